"""`node(id:)` / `nodes(ids:)` for the types that are not catalog, store or order (those live on
their own classes): one query per type per request, tenant first, then who may see the row.

Another brand's row, a missing row and a row the caller may not see all resolve to null.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import select
from strawberry.types import Info

from auth.roles import Permission, PrincipalKind
from schema.ids import node_pk
from store_network.models import NetworkNode, Store


async def _rows(info: Info, model, pks: list[int]) -> dict[int, object]:
    tenant_id = info.context.principal.tenant_id
    if tenant_id is None or not pks:
        return {}
    async with info.context.database.read() as session:
        rows = await session.scalars(select(model).where(model.id.in_(set(pks)), model.tenant_id == tenant_id))
        return {row.id: row for row in rows}


async def _store_paths(info: Info, store_ids: set[int]) -> dict[int, str]:
    tenant_id = info.context.principal.tenant_id
    if not store_ids:
        return {}
    async with info.context.database.read() as session:
        rows = await session.execute(
            select(Store.id, NetworkNode.path).join(NetworkNode, NetworkNode.id == Store.node_id)
            .where(Store.id.in_(store_ids), Store.tenant_id == tenant_id)
        )
        return dict(rows.all())


async def _resolve(info: Info, node_ids: Iterable[str], model, visible: Callable, build: Callable,
                   store_of: Callable | None = None, permissions: tuple[Permission, ...] = ()) -> list:
    """Rows by id in the caller's tenant; `visible(row)` or, for staff, a permission on the row's store."""
    principal = info.context.principal
    pks = [node_pk(str(i)) for i in node_ids]
    found = await _rows(info, model, [pk for pk in pks if pk is not None]) if principal.is_authenticated else {}
    paths: dict[int, str] = {}
    if store_of is not None and principal.kind in (PrincipalKind.STAFF, PrincipalKind.API_KEY):
        paths = await _store_paths(info, {store_of(row) for row in found.values()})

    def allowed(row) -> bool:
        if visible(row):
            return True
        path = paths.get(store_of(row)) if store_of is not None else None
        return path is not None and any(principal.can(p, path) for p in permissions)

    return [build(found[pk]) if pk in found and allowed(found[pk]) else None for pk in pks]


def _own_customer(info: Info):
    principal = info.context.principal
    return lambda row: principal.kind is PrincipalKind.CUSTOMER and row.customer_id == principal.customer_id


def _own_rider(info: Info, attr: str = "rider_id"):
    principal = info.context.principal
    return lambda row: principal.kind is PrincipalKind.RIDER and getattr(row, attr) == principal.rider_id


async def addresses(info: Info, node_ids: Iterable[str]) -> list:
    from commerce.models import Address
    from resolvers.account_mutations import address_type

    return await _resolve(info, node_ids, Address, _own_customer(info), address_type)


async def carts(info: Info, node_ids: Iterable[str]) -> list:
    from commerce.models import Cart
    from resolvers.cart_mutations import _cart_type as cart_type

    return await _resolve(info, node_ids, Cart, _own_customer(info), cart_type)


async def riders(info: Info, node_ids: Iterable[str]) -> list:
    from delivery.models import Rider
    from resolvers.rider_admin import rider_type

    principal = info.context.principal
    return await _resolve(
        info, node_ids, Rider, lambda row: principal.kind is PrincipalKind.RIDER and row.id == principal.rider_id,
        rider_type, store_of=lambda row: row.home_store_id,
        permissions=(Permission.DISPATCH_ORDERS, Permission.MANAGE_DELIVERY),  # as riders(storeId:)
    )


async def rider_shifts(info: Info, node_ids: Iterable[str]) -> list:
    from delivery.models import RiderShift
    from resolvers.slot_queries import shift_type

    return await _resolve(info, node_ids, RiderShift, _own_rider(info), shift_type,
                          store_of=lambda row: row.store_id, permissions=(Permission.MANAGE_DELIVERY,))  # as riderShifts


async def delivery_zones(info: Info, node_ids: Iterable[str]) -> list:
    from geo.models import DeliveryZoneRow
    from resolvers.zone_mutations import zone_type

    return await _resolve(info, node_ids, DeliveryZoneRow, lambda row: False, zone_type,
                          store_of=lambda row: row.store_id, permissions=(Permission.MANAGE_DELIVERY, Permission.DISPATCH_ORDERS))  # as Store.deliveryZones


async def delivery_tasks(info: Info, node_ids: Iterable[str]) -> list:
    from commerce.models import Order
    from delivery.dispatch_models import DeliveryAssignment
    from resolvers.dispatch_queries import task_type

    pks = [node_pk(str(i)) for i in node_ids]
    numbers: dict[int, str] = {}
    found = await _rows(info, DeliveryAssignment, [pk for pk in pks if pk is not None])
    if found:
        async with info.context.database.read() as session:
            numbers = dict((await session.execute(
                select(Order.id, Order.number).where(Order.id.in_({r.order_id for r in found.values()}))
            )).all())
    return await _resolve(info, node_ids, DeliveryAssignment, _own_rider(info),
                          lambda row: task_type(row, numbers.get(row.order_id, "")),
                          store_of=lambda row: row.store_id, permissions=(Permission.DISPATCH_ORDERS,))  # as dispatchBoard


async def payments(info: Info, node_ids: Iterable[str]) -> list:
    """A payment is visible to whoever may see its order."""
    from payments.models import Payment
    from resolvers.orders import visible_orders
    from schema.orders import Payment as PaymentType

    pks = [node_pk(str(i)) for i in node_ids]
    found = await _rows(info, Payment, [pk for pk in pks if pk is not None]) if info.context.principal.is_authenticated else {}
    order_ids = sorted({row.order_id for row in found.values()})
    orders = dict(zip(order_ids, await visible_orders(info, order_ids)))
    return [PaymentType.from_row(found[pk]) if pk in found and orders.get(found[pk].order_id) else None for pk in pks]
