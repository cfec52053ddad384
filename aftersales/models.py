"""After-sales requests and receipt confirmations."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class AfterSalesRequest(Base):
    __tablename__ = "after_sales_request"
    __table_args__ = (
        UniqueConstraint("order_id", "idempotency_key"),
        CheckConstraint("kind IN ('REFUND','RETURN')", name="kind"),
        CheckConstraint("status IN ('REQUESTED','APPROVED','PARTIALLY_APPROVED','REJECTED')", name="status"),
        CheckConstraint("requested_fen > 0 AND approved_fen >= 0 AND approved_fen <= requested_fen", name="amounts"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))  # REFUND: money only; RETURN: the goods come back
    status: Mapped[str] = mapped_column(String(20), default="REQUESTED")
    reason: Mapped[str] = mapped_column(String(500), default="")
    photos: Mapped[list] = mapped_column(JSON, default=list)  # https URLs
    lines: Mapped[list] = mapped_column(JSON)  # [{line_id, sku_id, quantity, amount_fen}]
    requested_fen: Mapped[int] = mapped_column(BigInteger)
    approved_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("payment_refund.id"), nullable=True)
    decided_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # staff id
    decision_note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ReceiptConfirmation(Base):
    """The customer confirmed receipt (or the sweep did, after the configured time): one per order."""

    __tablename__ = "receipt_confirmation"
    __table_args__ = (UniqueConstraint("order_id"), CheckConstraint("confirmed_by IN ('CUSTOMER','AUTO')", name="confirmed_by"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"))
    confirmed_by: Mapped[str] = mapped_column(String(8))
    confirmed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
