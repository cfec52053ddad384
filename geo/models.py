"""Storage for delivery zones and the per-tenant geo index version.

`delivery_zone.polygon` is the source of truth: GeoJSON in WGS-84 (converted from the
client's system on input). On PostgreSQL the migration adds `delivery_zone.area`, a
geometry(Polygon, 4326) generated from that JSON (so the two can never disagree) with a
GiST index; SQLite has no such column and uses the in-memory index.

`geo_index_version.version` is bumped by database triggers (migrations 0002 and 0005-0007)
in the same transaction as any change to a store's geo-relevant columns, to a zone, or to an
input of the express policy (delivery settings, a node's place in the network);
`shape_version` only when geometry changes (zones, store points, fallback radii). Triggers
rather than application code because seeding scripts, bulk UPDATEs and future mutations
cannot forget them. On PostgreSQL they fire once per statement and compare old and new
values. API processes compare the versions with those their cached index was built from.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime

ZONE_KINDS = ("RADIUS", "POLYGON")


class DeliveryZoneRow(Base):
    __tablename__ = "delivery_zone"
    __table_args__ = (
        CheckConstraint("kind IN ('RADIUS','POLYGON')", name="kind"),
        CheckConstraint("tier >= 1", name="tier_positive"),
        CheckConstraint(
            "(kind = 'RADIUS' AND radius_m > 0 AND polygon IS NULL) OR (kind = 'POLYGON' AND radius_m IS NULL AND polygon IS NOT NULL)",
            name="shape_matches_kind",
        ),
        Index("ix_delivery_zone_tenant_store", "tenant_id", "store_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id", ondelete="CASCADE"), index=True)
    tier: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    radius_m: Mapped[float | None] = mapped_column(Float)
    # none_as_null: SQL NULL, not the JSON text "null" (CHECK and the generated PostGIS column rely on it).
    polygon: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))  # GeoJSON Polygon, WGS-84
    fee_rule: Mapped[dict] = mapped_column(JSON)  # see geo.zone_rules
    express_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, onupdate=utc_now)


class GeoIndexVersion(Base):
    __tablename__ = "geo_index_version"
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
    # Moves only when the geometry changes (zones, store points, fallback radii): migration 0006.
    shape_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
