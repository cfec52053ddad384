"""Distribution tables. Money amounts live on the ledger; these rows say who, what and when."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class DistributionProgram(Base):
    """One row per tenant: the brand's distribution rules (defaults apply without a row)."""

    __tablename__ = "distribution_program"
    __table_args__ = (
        CheckConstraint("upline_levels >= 0 AND upline_levels <= 2", name="upline_levels_at_most_two"),
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), primary_key=True)
    settle_days: Mapped[int] = mapped_column(Integer, default=7)
    binding_days: Mapped[int] = mapped_column(Integer, default=30)
    touch: Mapped[str] = mapped_column(String(8), default="FIRST")  # FIRST | LAST
    upline_levels: Mapped[int] = mapped_column(Integer, default=1)
    upline1_rate_bp: Mapped[int] = mapped_column(Integer, default=0)  # basis points of the line's paid amount
    upline2_rate_bp: Mapped[int] = mapped_column(Integer, default=0)
    first_order_reward_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    first_order_days: Mapped[int] = mapped_column(Integer, default=3)
    min_withdrawal_fen: Mapped[int] = mapped_column(BigInteger, default=100)
    # Level upgrade job: a level-1 salesperson with this many paid orders (or this GMV) in the
    # window becomes level 2 (0 = that test is off).
    upgrade_orders: Mapped[int] = mapped_column(Integer, default=0)
    upgrade_gmv_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    upgrade_window_days: Mapped[int] = mapped_column(Integer, default=30)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class Salesperson(Base):
    __tablename__ = "salesperson"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id"),
        CheckConstraint("upline_id IS NULL OR upline_id <> id", name="not_own_upline"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    # The person signs in as a customer of the brand; their earnings and share links hang off this.
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    kind: Mapped[str] = mapped_column(String(16))  # EMPLOYEE | DISTRIBUTOR | LEADER
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))  # whose products and prices they sell
    upline_id: Mapped[int | None] = mapped_column(ForeignKey("salesperson.id"), nullable=True, index=True)
    level: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")  # ACTIVE | INACTIVE
    invite_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the distribution_invite used (no FK: the tables refer to each other)
    # Set once by a conditional UPDATE: the order that earned the first-order reward.
    first_reward_order_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class DistributionInvite(Base):
    """An expiring, single- or limited-use invite. Only the token's hash is stored."""

    __tablename__ = "distribution_invite"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        CheckConstraint("uses_left >= 0", name="uses_never_negative"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    upline_id: Mapped[int | None] = mapped_column(ForeignKey("salesperson.id"), nullable=True)
    uses_left: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by_staff_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class CustomerBinding(Base):
    """Which salesperson a customer is bound to, until when (one current binding per customer)."""

    __tablename__ = "distribution_binding"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    salesperson_id: Mapped[int] = mapped_column(ForeignKey("salesperson.id"), index=True)
    bound_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OrderAttribution(Base):
    """The salesperson (if any) and store an order is attributed to, recorded at checkout."""

    __tablename__ = "order_attribution"
    __table_args__ = (Index("ix_order_attribution_tenant_salesperson", "tenant_id", "salesperson_id"),)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    salesperson_id: Mapped[int | None] = mapped_column(ForeignKey("salesperson.id"), nullable=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class CommissionRule(Base):
    """Commission for a product (or a category, or every product when both are NULL), optionally
    only for one salesperson level. RATE: `rate_bp` basis points of the paid line amount.
    SUPPLY: paid line amount minus `supply_price_fen` per priced quantity."""

    __tablename__ = "commission_rule"
    __table_args__ = (
        UniqueConstraint("tenant_id", "product_id", "category_id", "level"),
        CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_in_range"),
        CheckConstraint("supply_price_fen >= 0", name="supply_not_negative"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), nullable=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), nullable=True)
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mode: Mapped[str] = mapped_column(String(8))  # RATE | SUPPLY
    rate_bp: Mapped[int] = mapped_column(Integer, default=0)
    supply_price_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class CommissionAccrual(Base):
    """One earner's commission on one order (role SELLER, UPLINE1, UPLINE2, FIRST_ORDER).
    `amount_fen` is what was accrued; `reversed_fen` how much was taken back since.
    PENDING -> WITHDRAWABLE (settled) ; any state -> REVERSED when nothing is left."""

    __tablename__ = "commission_accrual"
    __table_args__ = (
        UniqueConstraint("order_id", "salesperson_id", "role"),
        CheckConstraint("reversed_fen >= 0 AND reversed_fen <= amount_fen", name="reversed_within_amount"),
        Index("ix_commission_accrual_due", "tenant_id", "state", "settle_after"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    salesperson_id: Mapped[int] = mapped_column(ForeignKey("salesperson.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reversed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[str] = mapped_column(String(16), default="PENDING")
    settle_after: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class CommissionWithdrawal(Base):
    """REQUESTED (money held) -> PAID | REJECTED | FAILED (money returned)."""

    __tablename__ = "commission_withdrawal"
    __table_args__ = (
        UniqueConstraint("tenant_id", "salesperson_id", "idempotency_key"),
        CheckConstraint("amount_fen > 0", name="amount_positive"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    salesperson_id: Mapped[int] = mapped_column(ForeignKey("salesperson.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="REQUESTED")
    provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    provider_reference: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewed_by_staff_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PickupPoint(Base):
    """A community leader's pickup point (issue 15 item 3): where the leader's customers collect.
    Registered by the leader (PENDING), approved or rejected by staff of the serving store."""

    __tablename__ = "pickup_point"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    salesperson_id: Mapped[int] = mapped_column(ForeignKey("salesperson.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)  # the serving store (the leader's)
    name: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    hours: Mapped[str] = mapped_column(String(100))  # free text shown to customers, e.g. "daily 16:00-20:00"
    status: Mapped[str] = mapped_column(String(16), default="PENDING")  # PENDING | APPROVED | REJECTED
    decided_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # staff id
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class OrderPickupPoint(Base):
    """The pickup point an order goes to (chosen by its customer), and when the leader handed it over."""

    __tablename__ = "order_pickup_point"
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_point.id"), index=True)
    handed_over_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
