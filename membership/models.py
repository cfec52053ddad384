"""Membership tables: the brand's programme settings, levels, members (and their level audit),
member prices, stored-value top-up plans / top-ups / charges, points rules / lots / awards,
dynamic member codes and their guess budget, and member-base imports.

Money and points balances live in the shared ledger (ledger/): these tables hold what the
ledger cannot (plans, the principal/bonus split of each charge, expiry lots, codes).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime

SPEND_ORDERS = ("PROPORTIONAL", "PRINCIPAL_FIRST", "BONUS_FIRST")
LEVEL_BASES = ("SPEND", "POINTS")


class MembershipProgram(Base):
    """One row per brand; absent means the defaults below."""

    __tablename__ = "membership_program"
    __table_args__ = (
        CheckConstraint("spend_order IN ('PROPORTIONAL','PRINCIPAL_FIRST','BONUS_FIRST')", name="spend_order"),
        CheckConstraint("level_basis IN ('SPEND','POINTS')", name="level_basis"),
    )
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), primary_key=True)
    auto_join: Mapped[bool] = mapped_column(Boolean, default=False)  # join on the first order
    level_basis: Mapped[str] = mapped_column(String(16), default="SPEND")
    level_window_days: Mapped[int] = mapped_column(Integer, default=365)
    # Which part of stored value an order spends: PROPORTIONAL (default: the 2025 SPC prepaid
    # interpretation draft converts consumption at paid/(paid+bonus)), PRINCIPAL_FIRST, BONUS_FIRST.
    spend_order: Mapped[str] = mapped_column(String(16), default="PROPORTIONAL")
    points_per_yuan: Mapped[int] = mapped_column(Integer, default=1)  # points earned per 100 fen
    point_value_fen: Mapped[int] = mapped_column(Integer, default=1)  # money off one point buys
    redeem_max_percent: Mapped[int] = mapped_column(Integer, default=50)  # of the order subtotal
    points_expiry_days: Mapped[int] = mapped_column(Integer, default=365)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class MemberLevel(Base):
    __tablename__ = "member_level"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        UniqueConstraint("tenant_id", "rank"),
        CheckConstraint("discount_percent BETWEEN 1 AND 100", name="discount_percent"),
        CheckConstraint("points_multiplier_pct BETWEEN 0 AND 10000", name="points_multiplier"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    rank: Mapped[int] = mapped_column(Integer)  # higher is better
    threshold: Mapped[int] = mapped_column(BigInteger, default=0)  # fen spent or points earned in the window
    discount_percent: Mapped[int] = mapped_column(Integer, default=100)  # 95: pay 95% of the price
    free_delivery_min_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    points_multiplier_pct: Mapped[int] = mapped_column(Integer, default=100)


class Member(Base):
    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    level_id: Mapped[int | None] = mapped_column(ForeignKey("member_level.id"), nullable=True)
    joined_via: Mapped[str] = mapped_column(String(16))  # EXPLICIT, FIRST_ORDER, IMPORT, COUNTER
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    last_active_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class MemberLevelChange(Base):
    """Audit of every level change: the evaluation job's, an import's, or staff's."""

    __tablename__ = "member_level_change"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    from_level_id: Mapped[int | None] = mapped_column(ForeignKey("member_level.id"), nullable=True)
    to_level_id: Mapped[int | None] = mapped_column(ForeignKey("member_level.id"), nullable=True)
    basis_value: Mapped[int] = mapped_column(BigInteger, default=0)
    reason: Mapped[str] = mapped_column(String(200))
    actor_type: Mapped[str] = mapped_column(String(16), default="system")
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class MemberPrice(Base):
    """A member price for a SKU: for one level, or (level_id NULL) for every member."""

    __tablename__ = "member_price"
    __table_args__ = (UniqueConstraint("tenant_id", "sku_id", "level_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    level_id: Mapped[int | None] = mapped_column(ForeignKey("member_level.id"), nullable=True)
    price_fen: Mapped[int] = mapped_column(BigInteger)


class TopUpPlan(Base):
    __tablename__ = "top_up_plan"
    __table_args__ = (CheckConstraint("pay_fen > 0 AND bonus_fen >= 0", name="amounts"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    pay_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class TopUp(Base):
    """A purchase of stored value through a payment provider. SUCCEEDED once the provider
    confirmed it; then principal and bonus are credited in one ledger transaction."""

    __tablename__ = "top_up"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        UniqueConstraint("provider", "provider_ref"),
        CheckConstraint("principal_refunded_fen >= 0 AND principal_refunded_fen <= pay_fen", name="refund_cap"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("top_up_plan.id"), nullable=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"), nullable=True)  # None: online
    pay_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_fen: Mapped[int] = mapped_column(BigInteger)
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str] = mapped_column(String(64))
    # PENDING, SUCCEEDED, FAILED; REFUND_REQUIRED (paid the wrong amount) -> REFUNDED by the sweep
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    idempotency_key: Mapped[str] = mapped_column(String(128))
    captured_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # what the provider took
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    principal_refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class StoredValueCharge(Base):
    """Stored value spent: on an online order (order_id) or at a store counter (order_id NULL),
    with the principal/bonus split it took, and what of each went back on refunds."""

    __tablename__ = "stored_value_charge"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        UniqueConstraint("order_id"),
        CheckConstraint(
            "principal_fen >= 0 AND bonus_fen >= 0 AND principal_fen + bonus_fen = amount_fen AND amount_fen > 0",
            name="split",
        ),
        CheckConstraint(
            "refunded_principal_fen BETWEEN 0 AND principal_fen AND refunded_bonus_fen BETWEEN 0 AND bonus_fen",
            name="refund_cap",
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), nullable=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_principal_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    idempotency_key: Mapped[str] = mapped_column(String(128))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class PointsRule(Base):
    """A points multiplier for a category and/or store, optionally within a campaign window.
    The highest matching multiplier applies to a line (100 = the base rate)."""

    __tablename__ = "points_rule"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), nullable=True)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"), nullable=True)
    multiplier_pct: Mapped[int] = mapped_column(Integer, default=100)
    starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PointsLot(Base):
    """Points credited together, expiring together. `remaining` only moves by conditional
    UPDATE; the sum of a member's remaining equals their points ledger balance."""

    __tablename__ = "points_lot"
    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= points", name="remaining"),
        Index("ix_points_lot_member_id_expires_at", "member_id", "expires_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    points: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class PointsAward(Base):
    """Points earned by (EARN) or spent on (REDEEM) one order or counter sale; `lots` records
    which lots a redemption consumed so a refund restores them."""

    __tablename__ = "points_award"
    __table_args__ = (UniqueConstraint("tenant_id", "reference", "kind"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    reference: Mapped[str] = mapped_column(String(128))  # "order:<id>" or "counter:<key>"
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), nullable=True)
    # A counter sale's store: a replay of its key from another store is refused (None: online,
    # or a counter award from before the store was recorded).
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(8))  # EARN, REDEEM
    points: Mapped[int] = mapped_column(BigInteger)
    fen: Mapped[int] = mapped_column(BigInteger, default=0)  # EARN: amount earned on; REDEEM: money off
    reversed_points: Mapped[int] = mapped_column(BigInteger, default=0)
    lots: Mapped[list | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class MemberCode(Base):
    """A dynamic member code shown in the app: short-lived, single use, stored hashed."""

    __tablename__ = "member_code"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class MemberLookupBudget(Base):
    """Code look-ups one staff member or API key may make per window (take_attempt)."""

    __tablename__ = "member_lookup_budget"
    __table_args__ = (UniqueConstraint("tenant_id", "actor_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    actor_key: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class MemberImport(Base):
    """One imported member-base file, by digest: a re-run of the same file is a no-op."""

    __tablename__ = "member_import"
    __table_args__ = (UniqueConstraint("tenant_id", "digest"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    digest: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
