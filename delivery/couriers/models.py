"""Courier partner tables: accounts (sealed credentials), deliveries, and every callback received."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON, BigInteger, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime

_STATES = ("CREATED", "DISPATCHING", "RIDER_ASSIGNED", "AT_PICKUP", "PICKED_UP", "AT_DROPOFF", "RETURNING",
           "DELIVERED", "RETURNED", "CANCELLED", "EXPIRED", "CREATE_FAILED")


class CourierAccount(Base):
    """One contract with a partner: brand-wide (store_id NULL) or one store's own.

    Credentials are sealed with core.secret_box (never stored, logged or returned in clear).
    The webhook URL carries a random token; only its SHA-256 is stored.
    """

    __tablename__ = "courier_account"
    __table_args__ = (UniqueConstraint("tenant_id", "provider", "store_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"), nullable=True)
    sealed_credentials: Mapped[str] = mapped_column(Text)
    webhook_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class CourierDelivery(Base):
    """One booking with one partner for one order. State moves only by compare-and-set on
    `version` (delivery.couriers.service), per the shared machine in delivery.couriers.states."""

    __tablename__ = "courier_delivery"
    __table_args__ = (
        UniqueConstraint("merchant_order_id"),
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in _STATES)})", name="state"),
        CheckConstraint("tip_fen >= 0", name="tip_not_negative"),
        Index("ix_courier_delivery_state_updated", "state", "updated_at"),
        Index("ix_courier_delivery_order", "tenant_id", "order_id"),
        Index("ix_courier_delivery_partner", "provider", "partner_order_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    order_id: Mapped[int] = mapped_column(BigInteger)  # customer_order.id (no FK: bookings may outlive purges)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("courier_account.id"))
    provider: Mapped[str] = mapped_column(String(32))
    merchant_order_id: Mapped[str] = mapped_column(String(64))  # ours; the partner's origin/merchant order id
    partner_order_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="CREATED")
    exception: Mapped[bool] = mapped_column(Boolean, default=False)
    cancelled_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    cancelled_after_pickup: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(255), default="")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    quote_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    fee_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    tip_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    deduct_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rider_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    rider_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    rider_lon: Mapped[float | None] = mapped_column(Float, nullable=True)  # WGS-84
    rider_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)  # the partner's stamp
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class CourierDeliveryEvent(Base):
    """Every authenticated callback (and status poll), persisted before it is acknowledged.
    (tenant, provider, event_key) is unique: a duplicate is a no-op. No rider phone is kept here."""

    __tablename__ = "courier_delivery_event"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider", "event_key"),
        Index("ix_courier_delivery_event_delivery", "delivery_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    provider: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(255))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("courier_delivery.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="CALLBACK")  # CALLBACK, POLL, MERCHANT
    raw_code: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    outcome: Mapped[str] = mapped_column(String(24), default="")
    occurred_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class CourierPolicyRow(Base):
    """One network node's own courier calling policy; every NULL column inherits from the parent
    node (like delivery_settings), so HQ sets the brand default and a region or store overrides."""

    __tablename__ = "courier_policy"
    __table_args__ = (
        CheckConstraint("mode IS NULL OR mode IN ('OFF','OWN_FIRST','COURIER_ONLY')", name="mode"),
        CheckConstraint("choose IS NULL OR choose IN ('PREFERENCE','CHEAPEST','FASTEST')", name="choose"),
        CheckConstraint("fee_cap_fen IS NULL OR fee_cap_fen >= 0", name="fee_cap_not_negative"),
        CheckConstraint("cascade_after_s IS NULL OR cascade_after_s > 0", name="cascade_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"), unique=True)
    mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    providers: Mapped[list | None] = mapped_column(JSON, nullable=True)  # enabled partners, in preference order
    choose: Mapped[str | None] = mapped_column(String(16), nullable=True)
    cascade_after_s: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fee_cap_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
