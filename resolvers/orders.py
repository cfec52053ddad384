"""Order queries: customers see their own orders, staff those of stores in their subtree."""
from __future__ import annotations

from sqlalchemy import select
from strawberry.types import Info

from auth.roles import Permission, PrincipalKind
from commerce.models import Order
from resolvers.errors import UserInputError
from resolvers.pagination import build_connection, keyset_page
from schema.common import Connection
from schema.enums import OrderStatus
from schema.orders import Order as OrderType
from store_network.models import NetworkNode, Store


async def _visible_store_ids(info: Info) -> set[int] | None:
    """None means 'no restriction by store' (customers are restricted by customer id instead)."""
    principal = info.context.principal
    if principal.kind is PrincipalKind.CUSTOMER:
        return None
    rows = (
        await info.context.reader.execute(
            select(Store.id, NetworkNode.path)
            .join(NetworkNode, NetworkNode.id == Store.node_id)
            .where(Store.tenant_id == principal.tenant_id)
        )
    ).all()
    return {store_id for store_id, path in rows if principal.can(Permission.VIEW_ORDERS, path)}


async def visible_orders(info: Info, order_ids: list[int]) -> list[OrderType | None]:
    principal = info.context.principal
    if principal.kind is PrincipalKind.ANONYMOUS:
        return [None] * len(order_ids)
    rows = await info.context.loaders.order.load_many(order_ids)
    stores = await _visible_store_ids(info)
    result = []
    for row in rows:
        visible = row is not None and (
            row.customer_id == principal.customer_id if stores is None else row.store_id in stores
        )
        result.append(OrderType.from_row(row) if visible else None)
    return result


async def orders(
    info: Info, first: int | None, after: str | None, status: OrderStatus | None, store_id: int | None
) -> Connection[OrderType]:
    principal = info.context.principal
    if principal.kind is PrincipalKind.ANONYMOUS or principal.tenant_id is None:
        raise UserInputError("sign in to list orders")
    query = select(Order).where(Order.tenant_id == principal.tenant_id)
    if principal.kind is PrincipalKind.CUSTOMER:
        query = query.where(Order.customer_id == principal.customer_id)
    else:
        visible = await _visible_store_ids(info)
        query = query.where(Order.store_id.in_(visible or {-1}))
    if store_id is not None:
        query = query.where(Order.store_id == store_id)
    if status is not None:
        query = query.where(Order.status == status.value)
    query, limit = keyset_page(query, [Order.id], descending=True, first=first, after=after)
    rows = await info.context.reader.scalars(query)
    return build_connection(list(rows), limit, after, lambda o: [o.id], OrderType.from_row)
