"""Voucher products, issued vouchers, redemptions (the audit trail) and the per-store guess budget."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, BigId, UtcDateTime


class VoucherProduct(Base):
    """Buying `sku_id` (at its catalog price, X) issues a voucher worth `face_value_fen` (Y)."""

    __tablename__ = "voucher_product"
    __table_args__ = (UniqueConstraint("sku_id"), CheckConstraint("face_value_fen > 0 AND valid_days > 0", name="positive"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    face_value_fen: Mapped[int] = mapped_column(BigInteger)
    valid_days: Mapped[int] = mapped_column(Integer)
    accepted_store_ids: Mapped[list] = mapped_column(JSON)  # [] = every store of the brand
    partial_use: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Voucher(Base):
    """One issued voucher. `remaining_fen` only moves by conditional UPDATE (vouchers.service)."""

    __tablename__ = "voucher"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code_digest"),
        UniqueConstraint("order_line_id", "unit_index"),
        CheckConstraint("remaining_fen >= 0 AND remaining_fen <= face_value_fen", name="remaining_within_face"),
        CheckConstraint("status IN ('ACTIVE','USED','EXPIRED','REFUNDED')", name="status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("voucher_product.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"))
    unit_index: Mapped[int] = mapped_column(Integer)
    code_digest: Mapped[str] = mapped_column(String(64))  # HMAC of the code: a database dump reveals no codes
    code_sealed: Mapped[str] = mapped_column(Text)  # core.secret_box, for showing the owner again
    status: Mapped[str] = mapped_column(String(16))
    paid_fen: Mapped[int] = mapped_column(BigInteger)
    face_value_fen: Mapped[int] = mapped_column(BigInteger)
    remaining_fen: Mapped[int] = mapped_column(BigInteger)
    partial_use: Mapped[bool] = mapped_column(Boolean)
    accepted_store_ids: Mapped[list] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VoucherRedemption(Base):
    """Who redeemed how much where (the audit trail); `request_no` makes a retried redemption a replay."""

    __tablename__ = "voucher_redemption"
    __table_args__ = (UniqueConstraint("tenant_id", "request_no"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    voucher_id: Mapped[int] = mapped_column(ForeignKey("voucher.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    remaining_after_fen: Mapped[int] = mapped_column(BigInteger)
    request_no: Mapped[str] = mapped_column(String(64))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VoucherGuessBudget(Base):
    """Redemption attempts per store in a fixed window (core.attempts.take_attempt): a counter
    that types random codes runs out long before it finds one."""

    __tablename__ = "voucher_guess_budget"
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
