"""Riders of the chain's own fleet, their roster, and the delivery promise's tables.

Delivery promise (issue 4): per-node settings and closures (NULL = inherit), rider shifts,
staff caps and usage counters per slot, pickup codes and their verification audit.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class Rider(Base):
    __tablename__ = "rider"
    __table_args__ = (
        UniqueConstraint("tenant_id", "mobile"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("status IN ('OFF_SHIFT','AVAILABLE','BUSY','SUSPENDED')", name="status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    home_store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    mobile: Mapped[str] = mapped_column(String(20))
    vehicle: Mapped[str] = mapped_column(String(16), default="E_BIKE")
    capacity: Mapped[int] = mapped_column(Integer, default=6)
    status: Mapped[str] = mapped_column(String(16), default="OFF_SHIFT")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class DeliverySettingsRow(Base):
    """One node's own delivery settings; every NULL column inherits from the parent node."""

    __tablename__ = "delivery_settings"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"), unique=True)
    express_enabled: Mapped[bool | None] = mapped_column(Boolean)
    express_tiers: Mapped[list | None] = mapped_column(JSON)
    slot_minutes: Mapped[int | None] = mapped_column(Integer)
    cutoff_minutes: Mapped[int | None] = mapped_column(Integer)
    days_ahead: Mapped[int | None] = mapped_column(Integer)
    deliveries_per_rider_hour: Mapped[int | None] = mapped_column(Integer)
    tier_weights: Mapped[dict | None] = mapped_column(JSON)
    pickup_orders_per_slot: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class DeliveryClosure(Base):
    """Closed for delivery and pickup on these local dates (inclusive), at the node and below."""

    __tablename__ = "delivery_closure"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="range"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")


class RiderShift(Base):
    __tablename__ = "rider_shift"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_rider_shift_store_starts", "store_id", "starts_at"),
        Index("ix_rider_shift_rider_starts", "rider_id", "starts_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    rider_id: Mapped[int] = mapped_column(ForeignKey("rider.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


SLOT_KINDS_SQL = "kind IN ('EXPRESS_30','SLOT_60','PICKUP_60')"


class SlotCap(Base):
    """A staff cap on one slot's capacity units (e.g. fewer orders while the road is closed)."""

    __tablename__ = "slot_cap"
    __table_args__ = (
        UniqueConstraint("store_id", "kind", "starts_at"),
        CheckConstraint(SLOT_KINDS_SQL, name="kind"),
        CheckConstraint("max_units >= 0", name="max_units_not_negative"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    max_units: Mapped[int] = mapped_column(Integer)


class SlotUsage(Base):
    """Units held or booked in one slot. Changed only by conditional UPDATEs (delivery.holds)."""

    __tablename__ = "slot_usage"
    __table_args__ = (
        UniqueConstraint("store_id", "kind", "starts_at"),
        CheckConstraint(SLOT_KINDS_SQL, name="kind"),
        CheckConstraint("used_units >= 0", name="used_not_negative"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    kind: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_units: Mapped[int] = mapped_column(Integer, default=0)


class PickupCode(Base):
    """A pickup order's code. The code itself is never stored: it is HMAC(server key, nonce),
    so the row (or a database dump) is useless without the key -- the keyed-hash idea of the
    login codes, but re-derivable so the customer's app can show it again."""

    __tablename__ = "pickup_code"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), unique=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    nonce: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PickupVerification(Base):
    """Every pickupCodeVerify attempt, successful or not (audit, and the per-store rate limit)."""

    __tablename__ = "pickup_verification"
    __table_args__ = (Index("ix_pickup_verification_store_created", "store_id", "created_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("customer_order.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(8))  # CODE or QR
    outcome: Mapped[str] = mapped_column(String(24))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
