"""Staff courier resolvers: quotes side by side, call (one click or by policy), tip, cancel,
deliveries with their timelines, partner accounts and the calling policy. Thin: the work is in
delivery.couriers; partner errors become typed payload errors."""
from __future__ import annotations

from collections import defaultdict

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from auth.roles import Permission
from commerce.models import Order as OrderRow
from core.clock import utc_now
from core.errors import DomainError
from delivery.couriers import policy as policies
from delivery.couriers import service
from delivery.couriers.errors import CourierErrorCode as Codes
from delivery.couriers.models import CourierDelivery as DeliveryRow, CourierDeliveryEvent
from delivery.couriers.protocol import CourierError, CourierTimeout
from resolvers.errors import UserInputError
from resolvers.mutation_support import guarded
from schema import couriers as types
from schema import ids
from schema.common import Money
from store_network.access import load_node, load_store

MAX_CREDENTIALS = 12
MAX_PROVIDERS = 8
MAX_DELIVERIES = 20


def _domain(exc: CourierError) -> DomainError:
    message = str(exc)[:300]
    if isinstance(exc, service.CourierUnsupported):
        return DomainError(Codes.TIP_UNSUPPORTED, message, None)
    if isinstance(exc, CourierTimeout):
        return DomainError(Codes.COURIER_TIMEOUT, message, None)
    if "already has a courier" in message or "with one of our riders" in message:
        return DomainError(Codes.ALREADY_CALLED, message, "orderId")
    if message.startswith("no courier can take") or message.startswith("every partner refused"):
        return DomainError(Codes.NO_COURIER, message, None)
    if message == "delivery not found" or message == "order not found":
        return DomainError(Codes.NOT_FOUND, message, None)
    if message.startswith("delivery already"):
        return DomainError(Codes.ALREADY_FINISHED, message, "deliveryId")
    return DomainError(Codes.COURIER_REFUSED, message, None)


async def _order_for_staff(info: Info, raw_id, permission: Permission = Permission.DISPATCH_ORDERS) -> OrderRow:
    principal = info.context.principal
    order_id = ids.decode(raw_id, "Order", Codes, "orderId")
    async with info.context.database.read() as session:
        order = await session.get(OrderRow, order_id)
        if order is None or order.tenant_id != principal.tenant_id:
            raise DomainError(Codes.NOT_FOUND, "order not found", "orderId")
        await load_store(session, principal, order.store_id, Codes, permission, field="orderId")
    return order


async def _delivery_for_staff(info: Info, raw_id) -> DeliveryRow:
    principal = info.context.principal
    delivery_id = ids.decode(raw_id, "CourierDelivery", Codes, "deliveryId")
    async with info.context.database.read() as session:
        row = await session.get(DeliveryRow, delivery_id)
        if row is None or row.tenant_id != principal.tenant_id:
            raise DomainError(Codes.NOT_FOUND, "courier delivery not found", "deliveryId")
        await load_store(session, principal, row.store_id, Codes, Permission.DISPATCH_ORDERS, field="deliveryId")
    return row


def _partners(info: Info):
    partners = info.context.services.courier_partners
    if partners is None:
        raise DomainError(Codes.INVALID, "courier partners are not configured", None)
    return partners


async def delivery_types(info: Info, rows: list[DeliveryRow]) -> list[types.CourierDelivery]:
    """The deliveries with their timelines, one query for all of them."""
    events: dict[int, list] = defaultdict(list)
    if rows:
        async with info.context.database.read() as session:
            for event in (await session.scalars(select(CourierDeliveryEvent).where(
                CourierDeliveryEvent.delivery_id.in_([r.id for r in rows])).order_by(CourierDeliveryEvent.id))).all():
                events[event.delivery_id].append(event)
    return [_delivery(row, events[row.id]) for row in rows]


async def courier_delivery_nodes(info: Info, node_ids) -> list:
    """node(id:): visible to staff who may view the store's orders (another brand's: null)."""
    from resolvers.nodes import _resolve, _rows
    from schema.ids import node_pk

    pks = [node_pk(str(i)) for i in node_ids]
    found = await _rows(info, DeliveryRow, [pk for pk in pks if pk is not None]) if info.context.principal.is_authenticated else {}
    typed = dict(zip(found, await delivery_types(info, list(found.values()))))
    return await _resolve(info, node_ids, DeliveryRow, lambda row: False, lambda row: typed[row.id],
                          store_of=lambda row: row.store_id, permissions=(Permission.VIEW_ORDERS,))


def _money(fen: int | None, currency: str) -> Money | None:
    return None if fen is None else Money.of(fen, currency)


def _delivery(row: DeliveryRow, events) -> types.CourierDelivery:
    return types.CourierDelivery(
        id=strawberry.ID(ids.encode("CourierDelivery", row.id)), order_id=strawberry.ID(ids.encode("Order", row.order_id)),
        provider=types.CourierProvider(row.provider), state=types.CourierDeliveryState(row.state), exception=row.exception,
        cancelled_by=row.cancelled_by, cancelled_after_pickup=row.cancelled_after_pickup, reason=row.reason,
        quote=_money(row.quote_fen, row.currency), fee=_money(row.fee_fen, row.currency), tip=Money.of(row.tip_fen, row.currency),
        cancellation_fee=_money(row.deduct_fen, row.currency), rider_name=row.rider_name,
        rider_lon_lat=(row.rider_lon, row.rider_lat) if row.rider_lon is not None else None,
        created_at=row.created_at, updated_at=row.updated_at,
        timeline=[types.CourierTimelineEntry(
            source=e.source, partner_code=e.raw_code, state=types.CourierDeliveryState(e.state) if e.state else None,
            outcome=e.outcome, occurred_at=e.occurred_at, received_at=e.received_at) for e in events],
    )


# --- queries -------------------------------------------------------------------------------

async def courier_quotes(info: Info, order_id: strawberry.ID) -> list[types.CourierQuote]:
    try:
        order = await _order_for_staff(info, order_id)
        lines = await policies.quote_all(info.context.database, _partners(info), order.tenant_id, order.id)
    except DomainError as exc:
        raise UserInputError(exc.message) from None
    except CourierError as exc:
        raise UserInputError(str(exc)[:300]) from None
    return [types.CourierQuote(
        provider=types.CourierProvider(line.provider), fee=Money.of(line.quote.fee_fen, order.currency) if line.quote else None,
        eta_seconds=line.quote.eta_s if line.quote else None, distance_meters=line.quote.distance_m if line.quote else None,
        over_fee_cap=line.over_cap, error=line.error) for line in lines]


async def courier_deliveries(info: Info, order_id: strawberry.ID) -> list[types.CourierDelivery]:
    try:
        order = await _order_for_staff(info, order_id, Permission.VIEW_ORDERS)
    except DomainError as exc:
        raise UserInputError(exc.message) from None
    async with info.context.database.read() as session:
        rows = list((await session.scalars(select(DeliveryRow).where(
            DeliveryRow.tenant_id == order.tenant_id, DeliveryRow.order_id == order.id,
        ).order_by(DeliveryRow.id.desc()).limit(MAX_DELIVERIES))).all())
    return await delivery_types(info, rows)


# --- mutations -----------------------------------------------------------------------------

async def _payload_for(info: Info, delivery_id: int) -> dict:
    row = await service.get_delivery(info.context.database, delivery_id)
    return {"delivery": (await delivery_types(info, [row]))[0]}


async def courier_call(info: Info, input: types.CourierCallInput) -> types.CourierDeliveryPayload:
    async def run():
        if input.tip_fen < 0:
            raise DomainError(Codes.INVALID, "a tip cannot be negative", "tipFen")
        order = await _order_for_staff(info, input.order_id)
        provider = input.provider.value if input.provider else None
        partners, now = _partners(info), utc_now()
        try:
            await policies.check_staff_hand_off(info.context.database, order.tenant_id, order.id)
            row = await policies.call_courier(info.context.database, partners, order.tenant_id, order.id, now,
                                              provider=provider, tip_fen=input.tip_fen)
            # Onto the board's HANDED_TO_COURIER lane, so the engine does not send our own rider too.
            await policies.record_staff_hand_off(info.context.database, order.tenant_id, order.id, provider, now)
        except CourierError as exc:
            raise _domain(exc) from None
        return await _payload_for(info, row.id)

    return await guarded(types.CourierDeliveryPayload, types.CourierError, Codes, run)


async def courier_cancel(info: Info, input: types.CourierCancelInput) -> types.CourierDeliveryPayload:
    async def run():
        row = await _delivery_for_staff(info, input.delivery_id)
        try:
            await service.cancel(info.context.database, _partners(info), row.id, row.tenant_id, input.reason[:200], utc_now())
        except CourierError as exc:
            raise _domain(exc) from None
        return await _payload_for(info, row.id)

    return await guarded(types.CourierDeliveryPayload, types.CourierError, Codes, run)


async def courier_tip(info: Info, input: types.CourierTipInput) -> types.CourierDeliveryPayload:
    async def run():
        if not 0 < input.tip_fen <= 100_000:
            raise DomainError(Codes.INVALID, "a tip is between 1 fen and 1000 yuan", "tipFen")
        if not 0 < len(input.idempotency_key) <= 64:
            raise DomainError(Codes.INVALID, "idempotencyKey: 1-64 characters", "idempotencyKey")
        row = await _delivery_for_staff(info, input.delivery_id)
        try:
            await service.add_tip(info.context.database, _partners(info), row.id, row.tenant_id, input.tip_fen,
                                  input.idempotency_key, utc_now())
        except CourierError as exc:
            raise _domain(exc) from None
        return await _payload_for(info, row.id)

    return await guarded(types.CourierDeliveryPayload, types.CourierError, Codes, run)


async def courier_account_add(info: Info, input: types.CourierAccountAddInput) -> types.CourierAccountAddPayload:
    principal = info.context.principal

    async def run():
        if not 0 < len(input.credentials) <= MAX_CREDENTIALS:
            raise DomainError(Codes.INVALID, f"1-{MAX_CREDENTIALS} credentials", "credentials")
        credentials = {c.key[:64]: c.value[:2048] for c in input.credentials}
        async with info.context.database.write() as session:
            store_id = None
            if input.store_id is not None:
                store_id = ids.decode(input.store_id, "Store", Codes, "storeId")
                await load_store(session, principal, store_id, Codes, Permission.MANAGE_DELIVERY)
            else:
                if not principal.is_authenticated or not principal.can(Permission.MANAGE_DELIVERY, f"/{await _root(session, principal)}/"):
                    raise DomainError(Codes.PERMISSION_DENIED, "brand-wide courier accounts need HQ delivery management", None)
            try:
                account, token = await service.add_account(session, info.context.services.secret_box, principal.tenant_id,
                                                           input.provider.value, credentials, store_id)
            except CourierError as exc:
                raise DomainError(Codes.REQUIRED, str(exc), "credentials") from None
            account_id = account.id
        return {"account_id": strawberry.ID(ids.encode("CourierAccount", account_id)),
                "webhook_url": _partners(info).callback_url(input.provider.value, token)}

    return await guarded(types.CourierAccountAddPayload, types.CourierError, Codes, run)


async def _root(session, principal) -> int:
    from store_network.models import NetworkNode

    return await session.scalar(select(NetworkNode.id).where(NetworkNode.tenant_id == principal.tenant_id,
                                                             NetworkNode.parent_id.is_(None)))


async def courier_policy_set(info: Info, input: types.CourierPolicySetInput) -> types.CourierPolicySetPayload:
    principal = info.context.principal

    async def run():
        if input.providers is not None and len(input.providers) > MAX_PROVIDERS:
            raise DomainError(Codes.INVALID, f"at most {MAX_PROVIDERS} providers", "providers")
        if input.fee_cap_fen is not None and input.fee_cap_fen < 0:
            raise DomainError(Codes.INVALID, "the fee cap cannot be negative", "feeCapFen")
        if input.cascade_after_seconds is not None and not 60 <= input.cascade_after_seconds <= 86_400:
            raise DomainError(Codes.INVALID, "cascadeAfterSeconds: 60-86400", "cascadeAfterSeconds")
        node_id = ids.decode(input.node_id, "NetworkNode", Codes, "nodeId")
        async with info.context.database.write() as session:
            node = await load_node(session, principal, node_id, Codes, "nodeId")
            if not principal.is_authenticated or not principal.can(Permission.MANAGE_DELIVERY, node.path):
                raise DomainError(Codes.PERMISSION_DENIED, "you may not manage delivery for this node", "nodeId")
            values = {}
            if input.mode is not None:
                values["mode"] = input.mode.value
            if input.providers is not None:
                values["providers"] = list(dict.fromkeys(p.value for p in input.providers))
            if input.choose is not None:
                values["choose"] = input.choose.value
            if input.cascade_after_seconds is not None:
                values["cascade_after_s"] = input.cascade_after_seconds
            if input.fee_cap_fen is not None:
                values["fee_cap_fen"] = input.fee_cap_fen
            await policies.set_policy(session, principal.tenant_id, node.id, **values)
            effective = policies.effective([row for row in [await _policy_row(session, n) for n in _chain(node.path)]])
        return {"policy": types.CourierPolicy(
            mode=types.CourierCallMode(effective.mode), providers=[types.CourierProvider(p) for p in effective.providers],
            choose=types.CourierChoice(effective.choose), cascade_after_seconds=effective.cascade_after_s,
            fee_cap=Money.of(effective.fee_cap_fen) if effective.fee_cap_fen is not None else None)}

    return await guarded(types.CourierPolicySetPayload, types.CourierError, Codes, run)


def _chain(path: str) -> list[int]:
    from store_network.control import ancestor_ids

    return ancestor_ids(path)


async def _policy_row(session, node_id: int):
    from delivery.couriers.models import CourierPolicyRow

    return await session.scalar(select(CourierPolicyRow).where(CourierPolicyRow.node_id == node_id))
