"""Store settings staff may edit (storeUpdate): what each may be, checked before anything is written."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from core.errors import DomainError
from store_network.access import load_store
from store_network.errors import NetworkErrorCode as Codes
from store_network.models import Store

STORE_STATUSES = frozenset({"OPEN", "CLOSED", "SUSPENDED"})


@dataclass(frozen=True)
class StoreChanges:
    """None leaves a setting as it is."""

    name: str | None = None
    status: str | None = None
    prep_minutes: int | None = None
    delivery_radius_m: int | None = None


async def update_store(session: AsyncSession, principal: Principal, store_id: int, changes: StoreChanges) -> Store:
    store, _ = await load_store(session, principal, store_id, Codes, Permission.MANAGE_STORES, "id")
    if changes.name is not None and (not changes.name.strip() or len(changes.name) > 200):
        raise DomainError(Codes.INVALID, "name must be 1-200 characters", "name")
    if changes.status is not None and changes.status not in STORE_STATUSES:
        raise DomainError(Codes.INVALID, f"status must be one of {', '.join(sorted(STORE_STATUSES))}", "status")
    if changes.prep_minutes is not None and not 0 <= changes.prep_minutes <= 240:
        raise DomainError(Codes.INVALID, "prepMinutes must be between 0 and 240", "prepMinutes")
    if changes.delivery_radius_m is not None and not 100 <= changes.delivery_radius_m <= 20_000:
        raise DomainError(Codes.INVALID, "deliveryRadiusMeters must be 100-20000", "deliveryRadiusMeters")
    if changes.name is not None:
        store.name = changes.name.strip()
    if changes.status is not None:
        store.status = changes.status
    if changes.prep_minutes is not None:
        store.prep_minutes = changes.prep_minutes
    if changes.delivery_radius_m is not None:
        store.delivery_radius_m = changes.delivery_radius_m
    await session.flush()
    return store
