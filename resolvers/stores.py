"""Store and network queries."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from strawberry.types import Info

from geo.opening_hours import is_open_at
from resolvers.errors import UserInputError, no_tenant_error
from resolvers.pagination import build_connection, keyset_page
from schema.common import Connection
from schema.store import NetworkNode as NetworkNodeType
from schema.store import Store as StoreType
from store_network.models import NetworkNode, Store


def store_is_open(store: StoreType, now: datetime) -> bool:
    if store.status.value != "OPEN":
        return False
    return is_open_at(store.business_hours, store.timezone, now)


async def stores(info: Info, first: int | None, after: str | None, search: str | None) -> Connection[StoreType]:
    tenant_id = info.context.tenant_id
    if tenant_id is None:
        raise no_tenant_error(info)
    query = select(Store).where(Store.tenant_id == tenant_id)
    if search:
        if len(search) > 100:
            raise UserInputError("search is longer than 100 characters")
        query = query.where(func.lower(Store.name).contains(search.lower(), autoescape=True))
    query, limit = keyset_page(query, [Store.code, Store.id], descending=False, first=first, after=after)
    rows = await info.context.reader.scalars(query)
    return build_connection(list(rows), limit, after, lambda s: [s.code, s.id], StoreType.from_row)


async def load_network_nodes(info: Info, node_ids: list[int]) -> list[NetworkNodeType | None]:
    """Network nodes are staff-only: they reveal the chain's structure."""
    principal = info.context.principal
    if not principal.grants or principal.tenant_id is None:
        return [None] * len(node_ids)
    rows = await info.context.reader.scalars(
        select(NetworkNode).where(NetworkNode.id.in_(node_ids), NetworkNode.tenant_id == principal.tenant_id)
    )
    found = {r.id: r for r in rows}
    return [NetworkNodeType.from_row(found[i]) if i in found else None for i in node_ids]
