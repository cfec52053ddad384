"""Rider roster: shifts per rider per store; the source of slot capacity.

A rider can only be in one place: a shift that overlaps another shift of the same rider
(at any store) is refused. Shifts are short (at most 16 h) and not in the past, so a
typo cannot roster someone for a month or rewrite history that capacity was counted from.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from core.clock import require_aware
from core.errors import DomainError
from delivery.errors import DeliveryErrorCode as Codes
from delivery.models import Rider, RiderShift
from store_network.access import load_store, require_tenant

MAX_SHIFT = timedelta(hours=16)
MAX_AHEAD = timedelta(days=60)


def _aware(value: datetime, field: str) -> datetime:
    try:
        return require_aware(value, field)
    except ValueError:
        raise DomainError(Codes.INVALID, f"{field} needs a timezone offset", field) from None


async def add_shift(
    session: AsyncSession, principal: Principal, rider_id: int, store_id: int, starts_at: datetime, ends_at: datetime, now: datetime
) -> RiderShift:
    store, _ = await load_store(session, principal, store_id, Codes, Permission.MANAGE_DELIVERY)
    # The rider's row is locked (PostgreSQL; SQLite has one writer) so two concurrent adds
    # for one rider run the overlap check one after the other. NO KEY UPDATE: inserts that
    # merely reference the rider (shifts, assignments) are not blocked.
    rider = await session.scalar(
        select(Rider).where(Rider.id == rider_id, Rider.tenant_id == store.tenant_id).with_for_update(key_share=True)
    )
    if rider is None:
        raise DomainError(Codes.NOT_FOUND, "rider not found", "riderId")
    starts_at, ends_at = _aware(starts_at, "startsAt"), _aware(ends_at, "endsAt")
    if ends_at <= starts_at:
        raise DomainError(Codes.INVALID, "a shift ends after it starts", "endsAt")
    if ends_at - starts_at > MAX_SHIFT:
        raise DomainError(Codes.INVALID, "a shift lasts at most 16 hours", "endsAt")
    if ends_at <= now:
        raise DomainError(Codes.INVALID, "this shift is already over", "endsAt")
    if starts_at > now + MAX_AHEAD:
        raise DomainError(Codes.INVALID, "shifts can be rostered at most 60 days ahead", "startsAt")
    clash = await session.scalar(
        select(RiderShift.id).where(
            RiderShift.rider_id == rider.id, RiderShift.starts_at < ends_at, RiderShift.ends_at > starts_at
        )
    )
    if clash is not None:
        raise DomainError(Codes.SHIFT_OVERLAPS, "the rider already has a shift at that time", "startsAt")
    shift = RiderShift(
        tenant_id=store.tenant_id, rider_id=rider.id, store_id=store.id, starts_at=starts_at, ends_at=ends_at, created_at=now
    )
    session.add(shift)
    await session.flush()
    return shift


async def remove_shift(session: AsyncSession, principal: Principal, shift_id: int) -> RiderShift:
    """Removing a shift lowers capacity from now on; orders already holding units keep them."""
    tenant_id = require_tenant(principal, Codes)
    shift = await session.scalar(select(RiderShift).where(RiderShift.id == shift_id, RiderShift.tenant_id == tenant_id))
    if shift is None:
        raise DomainError(Codes.NOT_FOUND, "shift not found", "shiftId")
    await load_store(session, principal, shift.store_id, Codes, Permission.MANAGE_DELIVERY, field="shiftId")
    await session.execute(delete(RiderShift).where(RiderShift.id == shift.id))
    return shift


async def shifts_for_store(session: AsyncSession, store_id: int, start: datetime, end: datetime) -> list[RiderShift]:
    return list(
        (
            await session.scalars(
                select(RiderShift)
                .where(RiderShift.store_id == store_id, RiderShift.starts_at < end, RiderShift.ends_at > start)
                .order_by(RiderShift.starts_at, RiderShift.id)
            )
        ).all()
    )
