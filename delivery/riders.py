"""The chain's own riders: staff add them, edit them, suspend and reinstate them.

Permission is MANAGE_DELIVERY over the rider's home store (store managers and up); moving a
rider to another home store needs it over both. A rider's mobile number is their login (a
one-time code is sent to it), so it is normalised like every login number and unique in
the brand. AVAILABLE and BUSY are the rider's own doing (shift start, tasks); staff only
suspend (never while the rider carries orders: reassign them first) and reinstate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.errors import AuthError
from auth.one_time_codes import normalize_mobile
from auth.roles import Permission, Principal
from core.errors import DomainError
from delivery.dispatch_models import ACTIVE_STATES, DeliveryAssignment
from delivery.errors import DeliveryErrorCode as Codes
from delivery.models import Rider
from store_network.access import load_store, require_tenant

VEHICLES = ("E_BIKE", "BICYCLE", "MOTORCYCLE", "CAR", "ON_FOOT")
MAX_CAPACITY = 20  # orders on board at once; more is a typo, not a rider
MAX_NAME = 100


@dataclass
class RiderInput:
    """Fields of a create (name, mobile, home store required) or an update (None = unchanged)."""

    name: str | None = None
    mobile: str | None = None
    home_store_id: int | None = None
    capacity: int | None = None
    vehicle: str | None = None
    suspended: bool | None = None


async def create_rider(session: AsyncSession, principal: Principal, data: RiderInput, now: datetime) -> Rider:
    if data.home_store_id is None:
        raise DomainError(Codes.REQUIRED, "a rider needs a home store", "homeStoreId")
    store, _ = await load_store(session, principal, data.home_store_id, Codes, Permission.MANAGE_DELIVERY, field="homeStoreId")
    if data.name is None or data.mobile is None:
        raise DomainError(Codes.REQUIRED, "a rider needs a name and a mobile number", "name" if data.name is None else "mobile")
    rider = Rider(tenant_id=store.tenant_id, home_store_id=store.id, status="OFF_SHIFT", created_at=now, capacity=6, vehicle="E_BIKE")
    await _apply(session, rider, data)
    if data.suspended:
        rider.status = "SUSPENDED"
    session.add(rider)
    await _flush(session)
    return rider


async def update_rider(session: AsyncSession, principal: Principal, rider_id: int, data: RiderInput) -> Rider:
    rider = await load_rider(session, principal, rider_id)
    if data.home_store_id is not None and data.home_store_id != rider.home_store_id:
        store, _ = await load_store(session, principal, data.home_store_id, Codes, Permission.MANAGE_DELIVERY, field="homeStoreId")
        rider.home_store_id = store.id
    await _apply(session, rider, data)
    if data.suspended is True and rider.status != "SUSPENDED":
        carrying = await session.scalar(
            select(func.count(DeliveryAssignment.id)).where(
                DeliveryAssignment.rider_id == rider.id, DeliveryAssignment.state.in_(ACTIVE_STATES)
            )
        )
        if carrying:
            raise DomainError(
                Codes.RIDER_HAS_ACTIVE_TASKS, f"the rider has {carrying} active task(s): reassign them first", "suspended"
            )
        rider.status = "SUSPENDED"
    elif data.suspended is False and rider.status == "SUSPENDED":
        rider.status = "OFF_SHIFT"  # back on the roster; they start a shift themselves
    await _flush(session)
    return rider


async def load_rider(
    session: AsyncSession, principal: Principal, rider_id: int, permission: Permission = Permission.MANAGE_DELIVERY
) -> Rider:
    """Another brand's rider is NOT_FOUND; one whose home store is outside your scope,
    PERMISSION_DENIED. The row is locked (PostgreSQL) so a suspension cannot race an
    assignment check or another edit."""
    tenant_id = require_tenant(principal, Codes)
    rider = await session.scalar(
        select(Rider).where(Rider.id == rider_id, Rider.tenant_id == tenant_id).with_for_update(key_share=True)
    )
    if rider is None:
        raise DomainError(Codes.NOT_FOUND, "rider not found", "id")
    await load_store(session, principal, rider.home_store_id, Codes, permission, field="id")
    return rider


async def _apply(session: AsyncSession, rider: Rider, data: RiderInput) -> None:
    if data.name is not None:
        name = data.name.strip()
        if not name or len(name) > MAX_NAME:
            raise DomainError(Codes.INVALID, f"name must be 1-{MAX_NAME} characters", "name")
        rider.name = name
    if data.mobile is not None:
        try:
            mobile = normalize_mobile(data.mobile)
        except AuthError:
            raise DomainError(Codes.INVALID, "not a valid mainland China mobile number", "mobile") from None
        if mobile != rider.mobile:
            taken = await session.scalar(
                select(Rider.id).where(Rider.tenant_id == rider.tenant_id, Rider.mobile == mobile, Rider.id != rider.id)
            )
            if taken is not None:
                raise DomainError(Codes.MOBILE_TAKEN, "another rider of this brand has this mobile number", "mobile")
            rider.mobile = mobile
    if data.capacity is not None:
        if isinstance(data.capacity, bool) or not 1 <= data.capacity <= MAX_CAPACITY:
            raise DomainError(Codes.INVALID, f"capacity must be 1-{MAX_CAPACITY} orders", "capacity")
        rider.capacity = data.capacity
    if data.vehicle is not None:
        if data.vehicle not in VEHICLES:
            raise DomainError(Codes.INVALID, f"vehicle must be one of {', '.join(VEHICLES)}", "vehicle")
        rider.vehicle = data.vehicle


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError:  # two concurrent creates with one number: the unique constraint decides
        raise DomainError(Codes.MOBILE_TAKEN, "another rider of this brand has this mobile number", "mobile") from None
