"""Payments against orders and the provider callbacks already processed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class Payment(Base):
    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("provider", "provider_ref"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
        CheckConstraint(
            "status IN ('PENDING','SUCCEEDED','FAILED','REFUNDED','REFUND_REQUIRED')", name="status"
        ),
        # Partial refunds reserve here by conditional UPDATE (payments.refunds); the CHECK is the backstop.
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= COALESCE(captured_fen, 0)", name="refunded_within_captured"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # what we asked for (the order's total)
    # What the provider says it took, set by its first success callback (NULL: nothing taken).
    # A refund gives back this, which differs from amount_fen when the provider took the wrong amount.
    captured_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True, default=None)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), default="PENDING")
    # Partial refunds asked for or done (PENDING + SUCCEEDED payment_refund rows), never above captured_fen.
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class PaymentCallbackEvent(Base):
    """UNIQUE(provider, event_id) makes a repeated callback a no-op."""

    __tablename__ = "payment_callback_event"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(128))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    outcome: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class PaymentRefund(Base):
    """One partial (or full) refund of a payment. `out_refund_no` is its idempotency key at the
    provider (WeChat Pay out_refund_no, Alipay out_request_no): derived from the caller's key,
    so a retry names the same refund and the provider refunds once."""

    __tablename__ = "payment_refund"
    __table_args__ = (
        UniqueConstraint("out_refund_no"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("status IN ('PENDING','SUCCEEDED','FAILED')", name="status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    out_refund_no: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    reason: Mapped[str] = mapped_column(String(200), default="")
    lines: Mapped[list | None] = mapped_column(JSON, nullable=True)  # [{line_id, sku_id, quantity, amount_fen}]
    restock: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)
