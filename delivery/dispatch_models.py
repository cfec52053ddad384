"""Dispatch storage (issue 5): who carries which order, the engine's plan records, the riders'
last positions and the customer's delivery proof code.

* `delivery_assignment` is one row per attempt to give an order to a rider (or to a courier):
  its `state` walks ASSIGNED -> ACCEPTED -> AT_STORE -> PICKED_UP -> DELIVERED, or ends in
  REJECTED (by the rider), RELEASED (staff unassigned it, or the rider went off shift before
  pickup), CANCELLED (the order was refunded) or HANDED_TO_COURIER. At most one row per order
  is *active* (ASSIGNED..PICKED_UP): a partial unique index enforces it on both backends.
* `dispatch_plan` records every engine run of a city partition (objective, timings, counts)
  and keeps its suggestion (routes, hand-offs) for the staff board.
* `rider_position` is one row per rider: the latest accepted fix (WGS-84) and when the last
  batch arrived (the per-rider rate limit is a conditional UPDATE on it, so it holds across
  processes).
* `delivery_proof` is created on the first delivery attempt: the code itself is never stored
  (HMAC of the order, see delivery.board.proof); the row counts attempts and makes it one use.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utc_now
from db.base import Base, BigId, UtcDateTime

ASSIGNMENT_STATES = (
    "ASSIGNED", "ACCEPTED", "AT_STORE", "PICKED_UP", "DELIVERED", "REJECTED", "RELEASED", "CANCELLED", "HANDED_TO_COURIER",
)
ACTIVE_STATES = ("ASSIGNED", "ACCEPTED", "AT_STORE", "PICKED_UP")
_ACTIVE_SQL = "state IN ('ASSIGNED','ACCEPTED','AT_STORE','PICKED_UP')"


class DeliveryAssignment(Base):
    __tablename__ = "delivery_assignment"
    __table_args__ = (
        CheckConstraint("state IN (" + ",".join(f"'{s}'" for s in ASSIGNMENT_STATES) + ")", name="state"),
        CheckConstraint("assigned_by IN ('ENGINE','STAFF','API_KEY')", name="assigned_by"),
        CheckConstraint("rider_id IS NOT NULL OR state = 'HANDED_TO_COURIER'", name="rider_or_courier"),
        Index("ix_delivery_assignment_order_id", "order_id", "id"),
        Index("ix_delivery_assignment_rider_state", "rider_id", "state"),
        Index("ix_delivery_assignment_store_state", "store_id", "state"),
        # One active assignment per order (the backstop behind the order-row lock).
        Index(
            "ux_delivery_assignment_active_order", "order_id", unique=True,
            postgresql_where=text(_ACTIVE_SQL), sqlite_where=text(_ACTIVE_SQL),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    rider_id: Mapped[int | None] = mapped_column(ForeignKey("rider.id"))
    state: Mapped[str] = mapped_column(String(20))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)  # staff assigned it by hand: the engine never moves it
    assigned_by: Mapped[str] = mapped_column(String(16))  # ENGINE, STAFF or API_KEY
    assigned_by_id: Mapped[int | None] = mapped_column(BigInteger)  # staff / API key id; NULL for the engine
    plan_id: Mapped[int | None] = mapped_column(BigInteger)  # dispatch_plan row of the engine run that chose it
    reason: Mapped[str] = mapped_column(String(200), default="")  # rejection / release / hand-off reason
    courier_ref: Mapped[str | None] = mapped_column(String(64))  # courier adapter's booking reference
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    arrived_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    picked_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # delivered, rejected, released, cancelled
    ended_by: Mapped[str | None] = mapped_column(String(16))  # RIDER, STAFF, ENGINE, SYSTEM
    ended_by_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class DispatchPlanRecord(Base):
    __tablename__ = "dispatch_plan"
    __table_args__ = (Index("ix_dispatch_plan_partition_created", "tenant_id", "partition", "created_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    partition: Mapped[str] = mapped_column(String(128))  # "<tenant id>:<city>"
    trigger: Mapped[str] = mapped_column(String(16))  # period, dispatch_now, cli, ...
    status: Mapped[str] = mapped_column(String(16))  # committed, rejected, skipped, error
    objective: Mapped[int] = mapped_column(BigInteger, default=0)
    solve_ms: Mapped[float] = mapped_column(Float, default=0.0)
    total_ms: Mapped[float] = mapped_column(Float, default=0.0)
    riders: Mapped[int] = mapped_column(Integer, default=0)
    open_orders: Mapped[int] = mapped_column(Integer, default=0)
    free_orders: Mapped[int] = mapped_column(Integer, default=0)
    committed: Mapped[int] = mapped_column(Integer, default=0)
    handed_off: Mapped[int] = mapped_column(Integer, default=0)
    late_planned: Mapped[int] = mapped_column(Integer, default=0)
    suggestion: Mapped[dict] = mapped_column(JSON)  # {"routes": {rider: [stops]}, "unassigned": [...], "alerts": [...]}
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)


class RiderPosition(Base):
    __tablename__ = "rider_position"
    __table_args__ = (
        CheckConstraint("lon >= -180 AND lon <= 180 AND lat >= -90 AND lat <= 90", name="lonlat_range"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    rider_id: Mapped[int] = mapped_column(ForeignKey("rider.id", ondelete="CASCADE"), unique=True)
    lon: Mapped[float | None] = mapped_column(Float)  # WGS-84; NULL until the first fix
    lat: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # when the fix was taken (device clock, checked)
    last_batch_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # server time of the last accepted batch


class DeliveryProof(Base):
    __tablename__ = "delivery_proof"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id", ondelete="CASCADE"), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    used_by_rider_id: Mapped[int | None] = mapped_column(BigInteger)
