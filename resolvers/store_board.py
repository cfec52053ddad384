"""`storeBoardEvents(storeId:)`: the store's live board events for staff who may dispatch it
(DISPATCH_ORDERS, as `dispatchBoard`). Refusals are typed top-level errors (extensions.code):
NOT_FOUND (no such store in the caller's brand), UNAUTHENTICATED, PERMISSION_DENIED; a stream
that falls behind ends with SLOW_CONSUMER (delivery.store_feed)."""
from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from graphql import GraphQLError
from sqlalchemy import func, select
from strawberry.types import Info

from auth.roles import Permission
from commerce.models import Order as OrderRow
from core.clock import utc_now
from core.errors import DomainError
from delivery import store_feed
from delivery.board.board import BOARD_STATUSES
from delivery.board.errors import DispatchErrorCode as Codes
from schema import ids
from schema import store_board as types
from schema.couriers import CourierDeliveryState, CourierProvider
from schema.dispatch import DeliveryTaskState
from schema.enums import OrderStatus
from store_network.access import load_store


def _gid(type_name: str, pk) -> strawberry.ID | None:
    return None if pk is None else strawberry.ID(ids.encode(type_name, int(pk)))


def _refusal(exc: DomainError) -> GraphQLError:
    code = getattr(exc.code, "name", str(exc.code))
    return GraphQLError(exc.message, extensions={"code": code, "field": exc.field})


async def _authorized_store(info: Info, store_id: strawberry.ID):
    principal = info.context.principal
    try:
        pk = ids.decode(store_id, "Store", Codes, "storeId")
        async with info.context.database.read() as session:
            store, _ = await load_store(session, principal, pk, Codes, Permission.DISPATCH_ORDERS)
    except DomainError as exc:
        raise _refusal(exc) from None
    return store


async def _snapshot(info: Info, store) -> types.StoreBoardEvent:
    async with info.context.database.read() as session:
        count = await session.scalar(select(func.count()).select_from(OrderRow).where(
            OrderRow.tenant_id == store.tenant_id, OrderRow.store_id == store.id,
            OrderRow.fulfilment_type == "SAME_CITY_DELIVERY", OrderRow.status.in_(BOARD_STATUSES)))
    return types.StoreBoardEvent(
        kind=types.StoreBoardEventKind.SNAPSHOT, store_id=_gid("Store", store.id), order_id=None, order_number=None,
        order_status=None, promised_by=None, task_state=None, rider_id=None, courier_provider=None, courier_state=None,
        open_orders=count, at=utc_now())


def _event(store_gid: strawberry.ID, message: dict) -> types.StoreBoardEvent | None:
    """The wire message as a typed event; None for one this version does not know (skipped)."""
    try:
        kind = types.StoreBoardEventKind(message["kind"])
        status, task, courier, state = (message.get(k) for k in ("orderStatus", "taskState", "courier", "courierState"))
        promised = message.get("promisedBy")
        return types.StoreBoardEvent(
            kind=kind, store_id=store_gid, order_id=_gid("Order", message["orderId"]), order_number=message.get("number"),
            order_status=OrderStatus(status) if status else None,
            promised_by=datetime.fromisoformat(promised) if promised else None,
            task_state=DeliveryTaskState(task) if task else None, rider_id=_gid("Rider", message.get("riderId")),
            courier_provider=CourierProvider(courier) if courier else None,
            courier_state=CourierDeliveryState(state) if state else None,
            open_orders=None, at=datetime.fromisoformat(message["at"]))
    except (KeyError, TypeError, ValueError):
        return None


async def store_board_events(info: Info, store_id: strawberry.ID) -> AsyncGenerator[types.StoreBoardEvent, None]:
    store = await _authorized_store(info, store_id)
    hub = info.context.services.tracking
    store_gid = _gid("Store", store.id)
    async with store_feed.listen(hub, store_feed.store_channel(store.tenant_id, store.id)) as messages:
        yield await _snapshot(info, store)  # after subscribing: nothing falls between the two
        try:
            async for message in messages:
                event = _event(store_gid, message)
                if event is not None:
                    yield event
        except store_feed.SlowConsumer as exc:
            raise GraphQLError(f"disconnected: {exc}; re-read the board and subscribe again",
                               extensions={"code": "SLOW_CONSUMER"}) from None
