"""Share links and customer binding, and the attribution every order records at checkout.

A share token is `<salesperson id>.<expiry unix>.<signature>`: HMAC-SHA256 over the tenant,
salesperson and expiry with a key derived from the server key, so it cannot be forged or
moved to another salesperson or brand, and it needs no table. A customer arriving through one
is bound to that salesperson for `program.binding_days`: the first binding holds while it
lasts (FIRST touch, the default) or the newest replaces it (LAST touch).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import as_utc, utc_now
from core.errors import DomainError
from distribution.enrolment import program
from distribution.errors import DistributionErrorCode as Codes
from distribution.models import CustomerBinding, OrderAttribution, Salesperson
from events import OrderCreated

SHARE_TTL = timedelta(days=30)


def _key(secret: str) -> bytes:
    return hashlib.sha256(("distribution-share:" + secret).encode()).digest()


def _sign(secret: str, tenant_id: int, salesperson_id: int, expires: int) -> str:
    mac = hmac.new(_key(secret), f"{tenant_id}:{salesperson_id}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def share_token(secret: str, tenant_id: int, salesperson_id: int, now: datetime | None = None, ttl: timedelta = SHARE_TTL) -> tuple[str, datetime]:
    expires = int(((now or utc_now()) + ttl).timestamp())
    return f"{salesperson_id}.{expires}.{_sign(secret, tenant_id, salesperson_id, expires)}", datetime.fromtimestamp(expires, tz=(now or utc_now()).tzinfo)


def read_share_token(secret: str, tenant_id: int, token: str, now: datetime | None = None) -> int:
    """The salesperson id, or SHARE_TOKEN_INVALID (forged, another brand's, expired, malformed)."""
    now = now or utc_now()
    try:
        sp, expires, signature = (token or "").split(".")
        salesperson_id, expires_at = int(sp), int(expires)
    except ValueError:
        raise DomainError(Codes.SHARE_TOKEN_INVALID, "this share link is not valid", "token") from None
    # bytes: compare_digest raises TypeError on non-ASCII str (a 500 for a token like 1.2.é)
    good = hmac.compare_digest(signature.encode(), _sign(secret, tenant_id, salesperson_id, expires_at).encode())
    if not good or expires_at < now.timestamp():
        raise DomainError(Codes.SHARE_TOKEN_INVALID, "this share link is not valid or has expired", "token")
    return salesperson_id


async def bind_customer(
    session: AsyncSession, secret: str, tenant_id: int, customer_id: int, token: str, now: datetime | None = None,
) -> CustomerBinding:
    """Bind the customer who opened a share link (or scanned a guide's QR at the counter)."""
    now = now or utc_now()
    salesperson_id = read_share_token(secret, tenant_id, token, now)
    seller = await session.get(Salesperson, salesperson_id)
    if seller is None or seller.tenant_id != tenant_id:
        raise DomainError(Codes.SHARE_TOKEN_INVALID, "this share link is not valid", "token")
    if seller.status != "ACTIVE":
        raise DomainError(Codes.SALESPERSON_INACTIVE, "this salesperson no longer takes new customers", "token")
    if seller.customer_id == customer_id:
        raise DomainError(Codes.SELF_REFERRAL, "you cannot be your own customer", "token")
    prog = await program(session, tenant_id)
    until = now + timedelta(days=prog.binding_days)
    current = await session.scalar(
        select(CustomerBinding).where(CustomerBinding.tenant_id == tenant_id, CustomerBinding.customer_id == customer_id)
    )
    if current is None:
        current = CustomerBinding(tenant_id=tenant_id, customer_id=customer_id, salesperson_id=seller.id, bound_at=now, expires_at=until)
        session.add(current)
    elif current.salesperson_id == seller.id or prog.touch == "LAST" or as_utc(current.expires_at) <= now:
        if current.salesperson_id != seller.id:
            current.bound_at = now
        current.salesperson_id, current.expires_at = seller.id, until
    await session.flush()
    return current


async def bound_salesperson(session: AsyncSession, tenant_id: int, customer_id: int, at: datetime) -> Salesperson | None:
    """The active salesperson the customer is bound to at `at`, if any."""
    row = await session.execute(
        select(Salesperson)
        .join(CustomerBinding, CustomerBinding.salesperson_id == Salesperson.id)
        .where(CustomerBinding.tenant_id == tenant_id, CustomerBinding.customer_id == customer_id, CustomerBinding.expires_at > at)
    )
    seller = row.scalar_one_or_none()
    return seller if seller is not None and seller.status == "ACTIVE" else None


async def attribute_order(session: AsyncSession, event: OrderCreated) -> None:
    """Listener: every order records its store and (when bound) its salesperson, in checkout's transaction."""
    seller = await bound_salesperson(session, event.tenant_id, event.customer_id, event.at)
    session.add(OrderAttribution(
        order_id=event.order_id, tenant_id=event.tenant_id, store_id=event.store_id,
        salesperson_id=seller.id if seller else None, customer_id=event.customer_id, created_at=event.at,
    ))
    await session.flush()
