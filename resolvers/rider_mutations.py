"""Rider mutations: sign in, shift on/off, the task steps, position batches."""
from __future__ import annotations

from datetime import timedelta

import strawberry
from strawberry.types import Info

from auth import service as auth_service
from auth.errors import AuthError
from commerce.models import Order as OrderRow
from core.clock import utc_now
from core.errors import DomainError
from delivery.board import proof, riders
from delivery.board.errors import DispatchErrorCode as Codes
from delivery.board.events import Outbox
from schema import ids
from resolvers.account_mutations import _tenant, _tokens
from resolvers.dispatch_mutations import run_with_outbox
from resolvers.dispatch_queries import rider_task_type
from resolvers.errors import payload_errors
from resolvers.mutation_support import guarded
from schema import dispatch as types
from schema.common import AccountError
from schema.payloads import AuthPayload
from store_network.models import Store


async def rider_login(info: Info, input: types.RiderLoginInput) -> AuthPayload:
    """Mobile + the one-time code from requestLoginCode; the rider is found by Rider.mobile in the X-Tenant brand."""
    services = info.context.services
    try:
        async with info.context.database.write() as session:
            outcome = await auth_service.login_rider_with_code(
                session, services.signer, _tenant(info), input.mobile, input.code, utc_now(), services.code_pepper
            )
    except (AuthError, DomainError) as exc:
        return AuthPayload(errors=payload_errors(exc, AccountError, auth_service.AccountErrorCode))
    if isinstance(outcome, AuthError):  # wrong code or no such rider: the spent attempt is committed
        return AuthPayload(errors=payload_errors(outcome, AccountError, auth_service.AccountErrorCode))
    return AuthPayload(tokens=_tokens(outcome.tokens))


def _self(rider) -> types.RiderSelf:
    return types.RiderSelf(id=strawberry.ID(ids.encode("Rider", rider.id)), name=rider.name, status=types.RiderStatus(rider.status))


async def rider_shift_start(info: Info, input: types.RiderShiftInput | None = None) -> types.RiderShiftStatusPayload:
    principal = info.context.principal

    async def work(session, outbox):
        return {"rider": _self(await riders.shift_start(session, principal, utc_now()))}

    return await run_with_outbox(info, types.RiderShiftStatusPayload, work)


async def rider_shift_end(info: Info, input: types.RiderShiftInput | None = None) -> types.RiderShiftStatusPayload:
    principal = info.context.principal

    async def work(session, outbox):
        return {"rider": _self(await riders.shift_end(session, principal, utc_now(), outbox))}

    return await run_with_outbox(info, types.RiderShiftStatusPayload, work)


async def _task_payload(session, row) -> dict:
    order = await session.get(OrderRow, row.order_id)
    await session.refresh(order)
    store = await session.get(Store, order.store_id)
    return {"task": rider_task_type(row, order, store, utc_now())}


def _step(step):
    async def resolver(info: Info, input: types.RiderTaskInput) -> types.RiderTaskPayload:
        principal = info.context.principal

        async def work(session, outbox):
            order_id = ids.decode(input.order_id, "Order", Codes, "orderId")
            row = await step(session, principal, order_id, utc_now(), outbox)
            return await _task_payload(session, row)

        return await run_with_outbox(info, types.RiderTaskPayload, work)

    return resolver


rider_task_accept = _step(riders.accept)
rider_arrive_at_store = _step(riders.arrive)
rider_pick_up = _step(riders.pick_up)


async def rider_task_reject(info: Info, input: types.RiderTaskRejectInput) -> types.RiderTaskPayload:
    principal = info.context.principal

    async def work(session, outbox):
        order_id = ids.decode(input.order_id, "Order", Codes, "orderId")
        if len(input.reason) > 200:
            raise DomainError(Codes.INVALID, "reason is longer than 200 characters", "reason")
        row = await riders.reject(session, principal, order_id, input.reason, utc_now(), outbox)
        return await _task_payload(session, row)

    return await run_with_outbox(info, types.RiderTaskPayload, work)


async def rider_deliver(info: Info, input: types.RiderDeliverInput) -> types.RiderTaskPayload:
    """A wrong proof code is committed (the attempt counts) and then reported."""
    principal = info.context.principal
    services = info.context.services
    key = proof.proof_key(services.settings.secret_key)

    async def run():
        order_id = ids.decode(input.order_id, "Order", Codes, "orderId")
        outbox = Outbox()
        async with services.database.write() as session:
            row, error = await riders.deliver(session, principal, key, order_id, input.proof_code, utc_now(), outbox)
            fields = await _task_payload(session, row) if error is None else None
        if error is not None:
            raise error
        await outbox.flush(services.tracking)
        return fields

    return await guarded(types.RiderTaskPayload, types.DispatchError, Codes, run)


async def rider_position_report(info: Info, input: types.RiderPositionReportInput) -> types.RiderPositionReportPayload:
    principal = info.context.principal
    interval = timedelta(milliseconds=info.context.services.settings.rider_position_interval_ms)

    async def work(session, outbox):
        fixes = [riders.Fix(p.longitude, p.latitude, p.system, p.at, p.accuracy_meters) for p in input.positions]
        accepted = await riders.report_positions(session, principal, fixes, utc_now(), outbox, interval)
        return {"accepted": accepted}

    return await run_with_outbox(info, types.RiderPositionReportPayload, work)
