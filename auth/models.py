"""Storage for login codes and refresh tokens (the pure logic lives beside it in auth/)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class LoginCode(Base):
    __tablename__ = "login_code"
    __table_args__ = (Index("ix_login_code_tenant_mobile_created", "tenant_id", "mobile", "created_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    mobile: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    # The requesting client's network (sms_budgets.client_key: the address, IPv6 per /64); None
    # when unknown. The per-mobile hourly budget counts per network, so one outsider cannot
    # spend a victim's sends (auth.service.request_login_code).
    client_key: Mapped[str | None] = mapped_column(String(64), nullable=True)


class RefreshTokenFamily(Base):
    """One sign-in: every refresh token rotated from it, and the access tokens issued beside them,
    carry its id (`fam`). Revoking it (logout, or a used refresh token presented again) ends them all."""

    __tablename__ = "refresh_token_family"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    subject: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(16))  # LOGOUT or REPLAY


class RefreshToken(Base):
    """Issued refresh tokens by jti; rotation marks the old one revoked so a replay is refused."""

    __tablename__ = "refresh_token"
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    family_id: Mapped[str] = mapped_column(ForeignKey("refresh_token_family.id"), index=True)
    subject: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class SmsBudget(Base):
    """Codes sent per key (a client address, a brand, a mobile) in the current fixed window.

    A row per key shared by every API process; `sends` only moves by take_attempt's
    conditional UPDATE, so concurrent requests can never send past the budget. `tenant_id` is
    set for a brand's and its mobiles' budgets, NULL for a client address's (it spans brands)."""

    __tablename__ = "sms_budget"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenant.id"), index=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    sends: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
