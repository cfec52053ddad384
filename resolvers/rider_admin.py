"""riderCreate, riderUpdate and the riders of a store: thin, over delivery/riders.py."""
from __future__ import annotations

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from auth.roles import Permission
from core.clock import utc_now
from core.errors import DomainError
from delivery import riders
from delivery.errors import DeliveryErrorCode as Codes
from delivery.models import Rider as RiderRow
from schema import ids
from resolvers.mutation_support import in_transaction
from resolvers.pagination import build_connection, keyset_page
from schema import riders as types
from schema.common import Connection
from schema.dispatch import RiderStatus
from store_network.access import load_store


def rider_type(row: RiderRow) -> types.Rider:
    return types.Rider(
        id=ids.encode("Rider", row.id), name=row.name, mobile=row.mobile, status=RiderStatus(row.status),
        home_store_id=ids.encode("Store", row.home_store_id), capacity=row.capacity,
        vehicle=types.RiderVehicle(row.vehicle), created_at=row.created_at,
    )


def _value(enum_member):
    return None if enum_member is None else enum_member.value


async def rider_create(info: Info, input: types.RiderCreateInput) -> types.RiderPayload:
    principal = info.context.principal

    async def work(session):
        data = riders.RiderInput(
            name=input.name, mobile=input.mobile, home_store_id=ids.decode(input.home_store_id, "Store", Codes, "homeStoreId"),
            capacity=input.capacity, vehicle=_value(input.vehicle),
        )
        return {"rider": rider_type(await riders.create_rider(session, principal, data, utc_now()))}

    return await in_transaction(info, types.RiderPayload, types.DeliveryError, Codes, work)


async def rider_update(info: Info, input: types.RiderUpdateInput) -> types.RiderPayload:
    principal = info.context.principal

    async def work(session):
        rider_id = ids.decode(input.id, "Rider", Codes, "id")
        home = ids.decode(input.home_store_id, "Store", Codes, "homeStoreId") if input.home_store_id is not None else None
        data = riders.RiderInput(
            name=input.name, mobile=input.mobile, home_store_id=home, capacity=input.capacity,
            vehicle=_value(input.vehicle), suspended=input.suspended,
        )
        return {"rider": rider_type(await riders.update_rider(session, principal, rider_id, data))}

    return await in_transaction(info, types.RiderPayload, types.DeliveryError, Codes, work)


async def store_riders(info: Info, store_id: strawberry.ID, first: int | None, after: str | None) -> Connection[types.Rider]:
    """Riders whose home store this is, oldest first; empty for a store you may not dispatch
    or manage (as riderShifts: nothing is revealed about other stores or brands)."""
    principal = info.context.principal
    try:
        pk = ids.decode(store_id, "Store", Codes, "storeId")
        async with info.context.database.read() as session:
            _, path = await load_store(session, principal, pk, Codes)
            if not (principal.can(Permission.DISPATCH_ORDERS, path) or principal.can(Permission.MANAGE_DELIVERY, path)):
                raise DomainError(Codes.PERMISSION_DENIED, "not your store", "storeId")
            query, limit = keyset_page(
                select(RiderRow).where(RiderRow.home_store_id == pk, RiderRow.tenant_id == principal.tenant_id),
                [RiderRow.id], descending=False, first=first, after=after,
            )
            rows = list(await session.scalars(query))
    except DomainError:
        rows, limit, after = [], 0, None
    return build_connection(rows, limit, after, lambda r: [r.id], rider_type)
