"""Promotions, coupons, flash sales, and what was applied to each order (snapshots)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class Promotion(Base):
    """An automatic promotion (kind AUTOMATIC) or a coupon template (kind COUPON).

    Owned by a network node: HQ's apply network-wide, a partner's or store's only to the stores
    under it. `version` goes up on every edit; orders keep the version and a snapshot they used.
    `issued` counts coupons handed out and only moves by a conditional UPDATE (never past `total_quota`).
    """

    __tablename__ = "promotion"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("kind IN ('AUTOMATIC','COUPON')", name="kind"),
        CheckConstraint("status IN ('ACTIVE','PAUSED')", name="status"),
        CheckConstraint("issued >= 0 AND (total_quota IS NULL OR issued <= total_quota)", name="issued_within_quota"),
        Index("ix_promotion_tenant_kind_status", "tenant_id", "kind", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"))
    node_path: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    stackable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    conditions: Mapped[list] = mapped_column(JSON)
    actions: Mapped[list] = mapped_column(JSON)
    scope: Mapped[dict] = mapped_column(JSON)  # {"sku_ids": [...], "product_ids": [...], "category_ids": [...]}
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    code: Mapped[str | None] = mapped_column(String(64))  # coupons: redeemable by this code
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)
    total_quota: Mapped[int | None] = mapped_column(BigInteger)
    issued: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class Coupon(Base):
    """One coupon a customer holds. `claim_no` (1..per-customer limit) is unique per customer and
    template, so two concurrent claims can never both take the last allowed one."""

    __tablename__ = "coupon"
    __table_args__ = (
        UniqueConstraint("promotion_id", "customer_id", "claim_no"),
        CheckConstraint("status IN ('AVAILABLE','USED')", name="status"),
        Index("ix_coupon_customer_status", "customer_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    promotion_id: Mapped[int] = mapped_column(ForeignKey("promotion.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    claim_no: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="AVAILABLE")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id"), index=True)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PromotionPolicy(Base):
    """HQ's limits on partner and store campaigns."""

    __tablename__ = "promotion_policy"
    __table_args__ = (CheckConstraint("max_partner_discount_percent BETWEEN 0 AND 100", name="percent"),)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), primary_key=True)
    max_partner_discount_percent: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class OrderPromotion(Base):
    """A promotion or coupon as applied to a placed order: its version and a snapshot of its rules,
    so a later edit never changes what a past order says."""

    __tablename__ = "order_promotion"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    promotion_id: Mapped[int | None] = mapped_column(ForeignKey("promotion.id"))
    flash_sale_id: Mapped[int | None] = mapped_column(ForeignKey("flash_sale.id"))
    promotion_version: Mapped[int] = mapped_column(Integer)
    coupon_id: Mapped[int | None] = mapped_column(ForeignKey("coupon.id"))
    name: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[dict] = mapped_column(JSON)
    discount_fen: Mapped[int] = mapped_column(BigInteger)  # lines + delivery
    shipping_discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class OrderLineDiscount(Base):
    """The share of an order promotion allocated to one order line (sums to the promotion's line part)."""

    __tablename__ = "order_line_discount"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id", ondelete="CASCADE"))
    order_promotion_id: Mapped[int] = mapped_column(ForeignKey("order_promotion.id", ondelete="CASCADE"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class FlashSale(Base):
    """A scheduled price for one SKU with a unit quota: per store (`store_id`) or shared by every
    store under the owning node (`store_id` NULL). `sold` only moves by conditional UPDATE."""

    __tablename__ = "flash_sale"
    __table_args__ = (
        CheckConstraint("sold >= 0 AND sold <= quota", name="sold_within_quota"),
        CheckConstraint("price_fen >= 0", name="price_not_negative"),
        Index("ix_flash_sale_tenant_sku", "tenant_id", "sku_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"))
    node_path: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    quota: Mapped[int] = mapped_column(BigInteger)
    sold: Mapped[int] = mapped_column(BigInteger, default=0)
    per_customer_limit: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class FlashSaleBuyer(Base):
    """Units one customer holds in a flash sale (per-customer limit, by conditional UPDATE)."""

    __tablename__ = "flash_sale_buyer"
    __table_args__ = (
        UniqueConstraint("flash_sale_id", "customer_id"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flash_sale_id: Mapped[int] = mapped_column(ForeignKey("flash_sale.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)


class FlashSalePurchase(Base):
    """Quota an order took; released (once) when the unpaid order is cancelled or expires."""

    __tablename__ = "flash_sale_purchase"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    flash_sale_id: Mapped[int] = mapped_column(ForeignKey("flash_sale.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    quantity: Mapped[int] = mapped_column(BigInteger)
    released: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class GroupBuy(Base):
    """A group-buy campaign (拼团): one SKU at `price_fen` for groups of `group_size` buyers who all
    pay within `window_hours` of the group opening. Per store (`store_id`) or at every store under
    the owning node (`store_id` NULL; each group then lives at the store it was opened at)."""

    __tablename__ = "group_buy"
    __table_args__ = (
        CheckConstraint("price_fen >= 0", name="price_not_negative"),
        CheckConstraint("group_size >= 2", name="group_size_at_least_two"),
        CheckConstraint("window_hours >= 1", name="window_positive"),
        CheckConstraint("per_customer_limit >= 1", name="limit_positive"),
        Index("ix_group_buy_tenant_sku", "tenant_id", "sku_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"))
    node_path: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    group_size: Mapped[int] = mapped_column(Integer)
    window_hours: Mapped[int] = mapped_column(Integer)
    per_customer_limit: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class GroupBuyGroup(Base):
    """One group of a campaign. `seats` counts members holding a place (paid or still paying),
    `paid` the members who paid; both only move by conditional UPDATE, never past `size`.
    OPEN -> FORMED when the size-th member pays; OPEN -> FAILED when `expires_at` passes first."""

    __tablename__ = "group_buy_group"
    __table_args__ = (
        CheckConstraint("status IN ('OPEN','FORMED','FAILED')", name="status"),
        CheckConstraint("seats >= 0 AND seats <= size", name="seats_within_size"),
        CheckConstraint("paid >= 0 AND paid <= seats", name="paid_within_seats"),
        Index("ix_group_buy_group_status_expires", "status", "expires_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    group_buy_id: Mapped[int] = mapped_column(ForeignKey("group_buy.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    leader_customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    status: Mapped[str] = mapped_column(String(16), default="OPEN")
    size: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer, default=0)
    paid: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    formed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class GroupBuyMember(Base):
    """A customer's place in a group, held by one order. PENDING (order unpaid) -> PAID ->
    REFUNDED; PENDING -> RELEASED when the unpaid order is cancelled or expires. While the group
    is not FORMED a PAID member's order is on hold: it cannot move past PAID (promotions.group_buys)."""

    __tablename__ = "group_buy_member"
    __table_args__ = (
        UniqueConstraint("group_id", "customer_id"),
        CheckConstraint("status IN ('PENDING','PAID','RELEASED','REFUNDED')", name="status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("group_buy_group.id"), index=True)
    group_buy_id: Mapped[int] = mapped_column(ForeignKey("group_buy.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="PENDING")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class GroupBuyBuyer(Base):
    """How many places a customer holds in a campaign's groups (the per-customer limit); moves
    only by conditional UPDATE, the row created first with INSERT .. ON CONFLICT DO NOTHING."""

    __tablename__ = "group_buy_buyer"
    __table_args__ = (CheckConstraint("places >= 0", name="places_not_negative"),)
    group_buy_id: Mapped[int] = mapped_column(ForeignKey("group_buy.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    places: Mapped[int] = mapped_column(Integer, default=0)
