"""Staff dispatch mutations: dispatch now (engine), assign by hand (a pin), unassign."""
from __future__ import annotations

from strawberry.types import Info

from commerce.models import Order as OrderRow
from core.clock import utc_now
from delivery.board import assignments
from delivery.board import board as board_service
from delivery.board.errors import DispatchErrorCode as Codes
from delivery.board.events import Outbox
from schema import ids
from resolvers.dispatch_queries import task_type
from resolvers.mutation_support import guarded, in_transaction
from schema import dispatch as types


async def run_with_outbox(info: Info, payload_cls, work):
    """in_transaction, then publish the collected tracking events once the transaction committed."""
    outbox = Outbox()
    payload = await in_transaction(info, payload_cls, types.DispatchError, Codes, lambda session: work(session, outbox))
    if not payload.errors:
        await outbox.flush(info.context.services.tracking)
    return payload


async def _number(session, order_id: int) -> str:
    return (await session.get(OrderRow, order_id)).number


async def dispatch_now(info: Info, input: types.DispatchNowInput) -> types.DispatchTaskPayload:
    principal = info.context.principal
    services = info.context.services

    async def run():
        order_id = ids.decode(input.order_id, "Order", Codes, "orderId")
        row = await board_service.dispatch_now(services.database, principal, order_id, utc_now(), hub=services.tracking,
                                               courier=services.couriers.for_tenant(principal.tenant_id))
        async with services.database.read() as session:
            return {"task": task_type(row, await _number(session, row.order_id))}

    return await guarded(types.DispatchTaskPayload, types.DispatchError, Codes, run)


async def dispatch_assign(info: Info, input: types.DispatchAssignInput) -> types.DispatchTaskPayload:
    principal = info.context.principal

    async def work(session, outbox):
        order_id = ids.decode(input.order_id, "Order", Codes, "orderId")
        rider_id = ids.decode(input.rider_id, "Rider", Codes, "riderId")
        row = await assignments.assign(session, principal, order_id, rider_id, utc_now(), outbox)
        return {"task": task_type(row, await _number(session, row.order_id))}

    return await run_with_outbox(info, types.DispatchTaskPayload, work)


async def dispatch_unassign(info: Info, input: types.DispatchUnassignInput) -> types.DispatchTaskPayload:
    principal = info.context.principal

    async def work(session, outbox):
        order_id = ids.decode(input.order_id, "Order", Codes, "orderId")
        row = await assignments.unassign(session, principal, order_id, utc_now(), outbox)
        return {"task": task_type(row, await _number(session, row.order_id))}

    return await run_with_outbox(info, types.DispatchTaskPayload, work)
