"""Catalog, store-level prices and stock, customers, carts and orders."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class Category(Base):
    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("tenant_id", "slug"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (
        UniqueConstraint("tenant_id", "slug"),
        CheckConstraint("sold_by IN ('UNIT','WEIGHT')", name="sold_by"),
        CheckConstraint("status IN ('ACTIVE','ARCHIVED')", name="status"),
        Index("ix_product_tenant_name_id", "tenant_id", "name", "id"),
        Index("ix_product_tenant_category_id", "tenant_id", "category_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    slug: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    sold_by: Mapped[str] = mapped_column(String(16), default="UNIT")
    unit_label: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class Sku(Base):
    """A sellable variant.

    Quantities are integers: units, or grams for weight-priced goods. The price is quoted
    per `price_per_quantity` (1 unit, or e.g. 500 g) and a quantity must be a multiple of
    `quantity_step` (1, or e.g. 250 g) and at least `min_quantity`.
    """

    __tablename__ = "sku"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("base_price_fen >= 0", name="price_not_negative"),
        CheckConstraint("quantity_step > 0 AND price_per_quantity > 0 AND min_quantity > 0", name="quantities"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    barcode: Mapped[str | None] = mapped_column(String(32))
    base_price_fen: Mapped[int] = mapped_column(BigInteger)
    price_per_quantity: Mapped[int] = mapped_column(Integer, default=1)
    quantity_step: Mapped[int] = mapped_column(Integer, default=1)
    min_quantity: Mapped[int] = mapped_column(Integer, default=1)


class StorePrice(Base):
    """A store's own price for a SKU; absent means the HQ base price applies."""

    __tablename__ = "store_price"
    __table_args__ = (
        UniqueConstraint("store_id", "sku_id"),
        CheckConstraint("price_fen >= 0", name="price_not_negative"),
        # A zero price is a giveaway only when someone said so (storePriceSet allowFree), never a slip.
        CheckConstraint("price_fen > 0 OR allow_free", name="zero_only_if_allowed"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    price_fen: Mapped[int] = mapped_column(BigInteger)
    allow_free: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class Stock(Base):
    """Per-store stock. `reserved` is held by unpaid/unshipped orders; available = on_hand - reserved.

    The CHECKs are the backstop: even a buggy code path cannot drive stock negative.
    """

    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("store_id", "sku_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    on_hand: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class Customer(Base):
    """One identity online and in store: the mobile number (E.164)."""

    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("tenant_id", "mobile"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    mobile: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class Address(Base):
    __tablename__ = "address"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    label: Mapped[str] = mapped_column(String(50), default="")
    recipient: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str] = mapped_column(String(20))
    line: Mapped[str] = mapped_column(String(400))
    lon: Mapped[float] = mapped_column(Float)  # WGS-84
    lat: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class Cart(Base):
    __tablename__ = "cart"
    __table_args__ = (UniqueConstraint("customer_id", "store_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class CartLine(Base):
    __tablename__ = "cart_line"
    __table_args__ = (
        UniqueConstraint("cart_id", "sku_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("cart.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    quantity: Mapped[int] = mapped_column(BigInteger)


class Order(Base):
    __tablename__ = "customer_order"  # "order" is an SQL keyword
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        CheckConstraint("total_fen >= 0 AND subtotal_fen >= 0 AND delivery_fee_fen >= 0", name="money_not_negative"),
        CheckConstraint("stock_state IN ('RESERVED','DEDUCTED','RELEASED','RESTOCKED')", name="stock_state"),
        CheckConstraint("slot_state IN ('HELD','BOOKED','RELEASED')", name="slot_state"),
        Index("ix_order_store_status", "store_id", "status"),
        Index("ix_order_status_expires", "status", "expires_at"),
        Index("ix_order_customer_id", "customer_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    number: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    status: Mapped[str] = mapped_column(String(24))
    fulfilment_type: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_fen: Mapped[int] = mapped_column(BigInteger)
    delivery_fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    stock_state: Mapped[str] = mapped_column(String(16), default="RESERVED")
    shipping_address: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Delivery promise (delivery.holds): the booked slot, its hold state, and the deadline dispatch must meet.
    slot_kind: Mapped[str | None] = mapped_column(String(16))
    slot_starts_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    slot_ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    slot_units: Mapped[int] = mapped_column(Integer, default=0)
    slot_state: Mapped[str | None] = mapped_column(String(16))
    promised_by: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class OrderLine(Base):
    """Price and naming are snapshotted: later catalog edits never rewrite a placed order."""

    __tablename__ = "order_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("sku.id"))
    product_name: Mapped[str] = mapped_column(String(200))
    sku_code: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    price_per_quantity: Mapped[int] = mapped_column(Integer)
    line_total_fen: Mapped[int] = mapped_column(BigInteger)


class OrderEvent(Base):
    """Audit trail: every status change with who did it and when."""

    __tablename__ = "order_event"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class IdempotencyRecord(Base):
    """First result of a retried mutation, replayed for the same (principal, operation, key)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("tenant_id", "principal", "operation", "key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    principal: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
