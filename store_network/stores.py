"""Store settings staff may edit (storeUpdate) and the status change (storeStatusSet): what each
may be is checked before anything is written (store_network.store_fields)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from core.clock import utc_now
from core.errors import DomainError
from events.registry import emit
from events.types import StoreStatusChanged
from geo.coordinates import LonLat
from store_network import lifecycle, store_fields
from store_network.access import load_store
from store_network.admin import code_taken
from store_network.errors import NetworkErrorCode as Codes
from store_network.models import Store

STORE_STATUSES = frozenset(s.value for s in lifecycle.StoreStatus)


@dataclass(frozen=True)
class StoreChanges:
    """None leaves a setting as it is. Text and numbers arrive raw and are checked here;
    `location` is already WGS-84 (store_fields.location) and `business_hours` stored-shape."""

    name: str | None = None
    status: str | None = None
    prep_minutes: int | None = None
    delivery_radius_m: int | None = None
    code: str | None = None
    address: str | None = None
    city: str | None = None
    district: str | None = None
    location: LonLat | None = None
    timezone: str | None = None
    business_hours: dict | None = None
    fulfilment_types: list[str] | None = None


def _checked(changes: StoreChanges) -> dict:
    values: dict = {}
    if changes.name is not None:
        values["name"] = store_fields.text(changes.name, "name", 200)
    if changes.code is not None:
        values["code"] = store_fields.code(changes.code)
    if changes.address is not None:
        values["address"] = store_fields.text(changes.address, "address", 400)
    if changes.city is not None:
        values["city"] = store_fields.text(changes.city, "city", 64)
    if changes.district is not None:
        values["district"] = store_fields.text(changes.district, "district", 64, required=False)
    if changes.location is not None:
        values["lon"], values["lat"] = changes.location.lon, changes.location.lat
    if changes.timezone is not None:
        values["timezone"] = store_fields.timezone(changes.timezone)
    if changes.business_hours is not None:
        values["business_hours"] = changes.business_hours
    if changes.prep_minutes is not None:
        values["prep_minutes"] = store_fields.prep_minutes(changes.prep_minutes)
    if changes.delivery_radius_m is not None:
        values["delivery_radius_m"] = store_fields.delivery_radius(changes.delivery_radius_m)
    if changes.fulfilment_types is not None:
        values["fulfilment_types"] = store_fields.fulfilment_types(changes.fulfilment_types)
    if changes.status is not None and changes.status not in STORE_STATUSES:
        raise DomainError(Codes.INVALID, f"status must be one of {', '.join(sorted(STORE_STATUSES))}", "status")
    return values


async def update_store(session: AsyncSession, principal: Principal, store_id: int, changes: StoreChanges) -> Store:
    store, _ = await load_store(session, principal, store_id, Codes, Permission.MANAGE_STORES, "id")
    values = _checked(changes)
    if "code" in values and values["code"] != store.code and await code_taken(session, store.tenant_id, [values["code"]]):
        raise DomainError(Codes.STORE_CODE_TAKEN, f"store code {values['code']!r} is taken", "code")
    if changes.status is not None and changes.status != store.status:
        await set_status(session, principal, store_id, changes.status, expected=store.status)
    for name, value in values.items():
        setattr(store, name, value)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise DomainError(Codes.STORE_CODE_TAKEN, "this store code is taken", "code") from None
    return store


def _actor(principal: Principal) -> tuple[str, int | None]:
    if principal.staff_id is not None:
        return "STAFF", principal.staff_id
    return "API_KEY", principal.api_key_id


async def set_status(
    session: AsyncSession, principal: Principal, store_id: int, target: str, expected: str | None = None
) -> tuple[Store, bool]:
    """Move the store along its lifecycle; (store, changed). Compare-and-set: with `expected`
    the change applies only while the store is still in that status (STATUS_CHANGED if someone
    else moved it first), and the UPDATE itself re-checks the status it read. Asking again for
    the status the store already has is a no-op, so a retried request succeeds without a
    second event."""
    store, _ = await load_store(session, principal, store_id, Codes, Permission.MANAGE_STORES, "storeId")
    wanted = lifecycle.parse_status(target)
    current = lifecycle.StoreStatus(store.status)
    if wanted is current:
        return store, False
    if expected is not None and lifecycle.parse_status(expected, "expectedStatus") is not current:
        raise DomainError(Codes.STATUS_CHANGED, f"the store is {current.value} now, not {expected}", "expectedStatus")
    lifecycle.check_transition(current, wanted)
    now = utc_now()
    moved = await session.execute(
        update(Store).where(Store.id == store.id, Store.status == current.value).values(status=wanted.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise DomainError(Codes.STATUS_CHANGED, "the store's status changed meanwhile; read it and try again", "expectedStatus")
    await session.refresh(store)
    actor_type, actor_id = _actor(principal)
    await emit(session, StoreStatusChanged(
        tenant_id=store.tenant_id, at=now, store_id=store.id, code=store.code,
        from_status=current.value, to_status=wanted.value, actor_type=actor_type, actor_id=actor_id,
    ))
    return store, True
