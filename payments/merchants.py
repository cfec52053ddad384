"""Merchant accounts per brand (tenant) and provider, sealed at rest.

One row per (tenant, provider): the credentials (private keys, API v3 key, ...) sealed with
core.secret_box, and a public `lookup_key` that names the account in the provider's
callbacks (WeChat Pay: the platform public-key id in Wechatpay-Serial; Alipay: app_id), so a
callback finds its merchant before anything is verified or written. Credentials are opened
only in memory, never logged or returned (Sealed's repr hides them).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from core.secret_box import Sealed, SecretBox
from db.base import Base, BigId, UtcDateTime
from db.session import Database


class PaymentMerchant(Base):
    __tablename__ = "payment_merchant"
    __table_args__ = (UniqueConstraint("tenant_id", "provider"), UniqueConstraint("provider", "lookup_key"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    lookup_key: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


async def save_merchant(session: AsyncSession, box: SecretBox, tenant_id: int, provider: str,
                        lookup_key: str, credentials: dict) -> None:
    row = await session.scalar(select(PaymentMerchant).where(
        PaymentMerchant.tenant_id == tenant_id, PaymentMerchant.provider == provider))
    if row is None:
        row = PaymentMerchant(tenant_id=tenant_id, provider=provider)
        session.add(row)
    row.lookup_key = lookup_key
    row.sealed = box.seal(credentials)
    row.updated_at = utc_now()
    await session.flush()


class MerchantStore:
    """Reads and opens merchant rows for the providers (each call its own short read)."""

    def __init__(self, database: Database | None, box: SecretBox):
        self._database = database
        self._box = box

    async def for_tenant(self, provider: str, tenant_id: int) -> Sealed | None:
        return await self._one(PaymentMerchant.provider == provider, PaymentMerchant.tenant_id == tenant_id)

    async def by_lookup(self, provider: str, lookup_key: str) -> tuple[int, Sealed] | None:
        if self._database is None or not isinstance(lookup_key, str) or "\x00" in lookup_key:
            return None  # a NUL (app_id=%00 in an unsigned notify) is no merchant, not a PostgreSQL error
        async with self._database.read() as session:
            row = await session.scalar(select(PaymentMerchant).where(
                PaymentMerchant.provider == provider, PaymentMerchant.lookup_key == lookup_key[:64]))
        return None if row is None else (row.tenant_id, self._box.open(row.sealed))

    async def _one(self, *where) -> Sealed | None:
        if self._database is None:
            return None
        async with self._database.read() as session:
            row = await session.scalar(select(PaymentMerchant).where(*where))
        return None if row is None else self._box.open(row.sealed)
