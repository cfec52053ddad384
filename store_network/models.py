"""Tenants, the HQ -> partner -> store tree, stores, staff and API keys."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime


class Tenant(Base):
    """A brand. Every business row belongs to exactly one tenant."""

    __tablename__ = "tenant"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # Payment providers the brand takes, default first ("SANDBOX,WECHAT"); NULL: every one the
    # deployment runs (payments/registry.py).
    payment_providers: Mapped[str | None] = mapped_column(String(200), nullable=True, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class NetworkNode(Base):
    """HQ, partner (region/franchisee) or store, with a materialised path for subtree checks.

    The control columns say what the subtree below may change by itself; NULL inherits
    from the nearest ancestor that sets it (HQ always sets them).
    """

    __tablename__ = "network_node"
    __table_args__ = (
        CheckConstraint("kind IN ('HQ','PARTNER','STORE')", name="kind"),
        UniqueConstraint("tenant_id", "path"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("network_node.id"))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(255))
    price_control: Mapped[str | None] = mapped_column(String(16))
    storefront_control: Mapped[str | None] = mapped_column(String(16))
    promotion_control: Mapped[str | None] = mapped_column(String(16))
    assortment_control: Mapped[str | None] = mapped_column(String(16))
    stock_control: Mapped[str | None] = mapped_column(String(16))
    order_control: Mapped[str | None] = mapped_column(String(16))
    # The price band around HQ's price for stores below (network_pricing.bands); NULL inherits.
    price_band_below_pct: Mapped[int | None] = mapped_column(Integer)
    price_band_above_pct: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class Store(Base):
    __tablename__ = "store"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("status IN ('OPENING_SOON','OPEN','PAUSED','CLOSED')", name="status"),
        CheckConstraint("lon >= -180 AND lon <= 180 AND lat >= -90 AND lat <= 90", name="lonlat_range"),
        CheckConstraint("delivery_radius_m > 0", name="radius_positive"),
        Index("ix_store_tenant_lat_lon", "tenant_id", "lat", "lon"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"), unique=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(String(400))
    # WGS-84. On PostgreSQL the migration adds a generated geography column `location` from these.
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))
    business_hours: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="OPEN")
    delivery_radius_m: Mapped[int] = mapped_column(Integer, default=3000)
    prep_minutes: Mapped[int] = mapped_column(Integer, default=10)
    fulfilment_types: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("tenant_id", "username"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(200))
    mobile: Mapped[str | None] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class StaffRoleGrant(Base):
    __tablename__ = "staff_role_grant"
    __table_args__ = (
        UniqueConstraint("staff_id", "node_id", "role"),
        CheckConstraint("role IN ('HQ_ADMIN','PARTNER_ADMIN','STORE_MANAGER','STORE_STAFF')", name="role"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"))
    role: Mapped[str] = mapped_column(String(32))


class ApiKey(Base):
    """Server-to-server credential bound, like a staff role, to one network node."""

    __tablename__ = "api_key"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    node_id: Mapped[int] = mapped_column(ForeignKey("network_node.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
