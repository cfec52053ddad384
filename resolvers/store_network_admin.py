"""Store network administration: thin resolvers over store_network.admin / stores / store_import."""
from __future__ import annotations

from sqlalchemy import or_, select
from strawberry.types import Info

from core.errors import DomainError
from resolvers.errors import UserInputError, no_tenant_error
from resolvers.mutation_support import in_transaction
from resolvers.pagination import build_connection, keyset_page
from schema import ids
from schema import store_network_admin as t
from schema.common import Connection
from schema.store import NetworkNode as NetworkNodeType
from schema.store import Store as StoreType
from store_network import admin, store_fields, stores
from store_network.errors import NetworkErrorCode as Codes
from store_network.hours_text import parse_hours
from store_network.models import NetworkNode, Store, Tenant
from store_network.store_import import MAX_ROW_ERRORS, import_stores

SHOWN_IMPORTED = 100


def _node_id(raw: str, field: str) -> int:
    return ids.decode(raw, "NetworkNode", Codes, field)


def opening_hours(opening: list | None, text: str | None, *, required: bool) -> dict | None:
    """`openingHours` (list) or `hours` (text), not both; None when neither (and not required)."""
    if opening is not None and text is not None:
        raise DomainError(Codes.INVALID, "give openingHours or hours, not both", "hours")
    if opening is not None:
        return store_fields.business_hours([(h.weekday, h.opens, h.closes) for h in opening], "openingHours")
    if text is not None:
        return parse_hours(text, "hours")
    if required:
        raise DomainError(Codes.REQUIRED, "give openingHours or hours", "openingHours")
    return None


def location(loc) -> tuple[float, float] | None:
    if loc is None:
        return None
    return store_fields.location(loc.longitude, loc.latitude, getattr(loc.system, "value", loc.system), "location")


async def partner_create(info: Info, input: t.PartnerCreateInput) -> t.PartnerPayload:
    async def work(session):
        node = await admin.create_partner(session, info.context.principal, _node_id(input.parent_id, "parentId"), input.name)
        return {"node": NetworkNodeType.from_row(node)}

    return await in_transaction(info, t.PartnerPayload, t.NetworkError, t.NetworkErrorCode, work)


async def partner_update(info: Info, input: t.PartnerUpdateInput) -> t.PartnerPayload:
    async def work(session):
        node = await admin.update_partner(session, info.context.principal, _node_id(input.id, "id"), input.name)
        return {"node": NetworkNodeType.from_row(node)}

    return await in_transaction(info, t.PartnerPayload, t.NetworkError, t.NetworkErrorCode, work)


async def node_move(info: Info, input: t.NodeMoveInput) -> t.NodeMovePayload:
    async def work(session):
        node = await admin.move_node(
            session, info.context.principal, _node_id(input.node_id, "nodeId"), _node_id(input.new_parent_id, "newParentId")
        )
        return {"node": NetworkNodeType.from_row(node)}

    return await in_transaction(info, t.NodeMovePayload, t.NetworkError, t.NetworkErrorCode, work)


async def store_create(info: Info, input: t.StoreCreateInput) -> t.StoreCreatePayload:
    async def work(session):
        parent_id = _node_id(input.parent_id, "parentId")
        tenant_tz = await session.scalar(select(Tenant.timezone).where(Tenant.id == info.context.principal.tenant_id))
        point = location(input.location)
        data = admin.NewStore(
            code=store_fields.code(input.code),
            name=store_fields.text(input.name, "name", 200),
            city=store_fields.text(input.city, "city", 64),
            district=store_fields.text(input.district, "district", 64, required=False),
            address=store_fields.text(input.address, "address", 400),
            lon=point.lon,
            lat=point.lat,
            timezone=store_fields.timezone(input.timezone if input.timezone is not None else (tenant_tz or "Asia/Shanghai")),
            business_hours=opening_hours(input.opening_hours, input.hours, required=True),
            status=admin.initial_status(input.status.value),
            prep_minutes=store_fields.prep_minutes(input.prep_minutes),
            delivery_radius_m=store_fields.delivery_radius(input.delivery_radius_meters),
            fulfilment_types=store_fields.fulfilment_types(
                [f.value for f in input.fulfilment_types] if input.fulfilment_types is not None else store_fields.FULFILMENT_TYPES
            ),
        )
        store = await admin.create_store(session, info.context.principal, parent_id, data)
        node = await session.get(NetworkNode, store.node_id)
        return {"store": StoreType.from_row(store), "node": NetworkNodeType.from_row(node)}

    return await in_transaction(info, t.StoreCreatePayload, t.NetworkError, t.NetworkErrorCode, work)


async def store_status_set(info: Info, input: t.StoreStatusSetInput) -> t.StoreStatusSetPayload:
    async def work(session):
        store, changed = await stores.set_status(
            session, info.context.principal, ids.decode(input.store_id, "Store", Codes, "storeId"), input.status.value,
            expected=input.expected_status.value if input.expected_status is not None else None,
        )
        return {"store": StoreType.from_row(store), "changed": changed}

    return await in_transaction(info, t.StoreStatusSetPayload, t.NetworkError, t.NetworkErrorCode, work)


class _RowErrors(Exception):
    def __init__(self, errors):
        super().__init__("row errors")
        self.errors = errors


async def stores_import(info: Info, input: t.StoresImportInput) -> t.StoresImportPayload:
    async def work(session):
        result = await import_stores(session, info.context.principal, _node_id(input.parent_id, "parentId"), input.csv)
        if result.errors:
            raise _RowErrors(result.errors)  # leaves in_transaction by rolling back: nothing is written
        shown = (await session.scalars(select(Store).where(Store.id.in_(result.store_ids[:SHOWN_IMPORTED])).order_by(Store.id))).all()
        return {"created": len(result.store_ids), "stores": [StoreType.from_row(s) for s in shown]}

    try:
        return await in_transaction(info, t.StoresImportPayload, t.NetworkError, t.NetworkErrorCode, work)
    except _RowErrors as exc:
        errors = exc.errors
        return t.StoresImportPayload(
            row_errors=[t.StoreImportRowError(row=e.row, field=e.field, code=t.NetworkErrorCode[e.code.name], message=e.message)
                        for e in errors[:MAX_ROW_ERRORS]],
            errors=[t.NetworkError(field="csv", code=t.NetworkErrorCode.INVALID_CSV,
                                   message=f"{len(errors)} problems on {len({e.row for e in errors})} rows; nothing was imported")],
        )


# --- queries -------------------------------------------------------------------------------


def _visible(info: Info):
    """The principal's subtrees (any grant), or None for a caller without grants."""
    principal = info.context.principal
    if principal.tenant_id is None:
        raise no_tenant_error(info)
    if not principal.grants:
        return None
    return or_(*[NetworkNode.path.startswith(g.node_path) for g in principal.grants])


def _query_node_id(raw: str, field: str) -> int:
    try:
        return _node_id(raw, field)
    except DomainError as exc:
        raise UserInputError(f"{field}: {exc.message}") from None


async def network_nodes(info: Info, first: int | None, after: str | None, filter: t.NetworkNodesFilter | None) -> Connection[NetworkNodeType]:
    """Nodes in the caller's part of the network, in path order (a parent before its children)."""
    visible = _visible(info)
    if visible is None:
        return build_connection([], 20, after, lambda n: [n.path, n.id], NetworkNodeType.from_row)
    query = select(NetworkNode).where(NetworkNode.tenant_id == info.context.principal.tenant_id, visible)
    if filter and filter.parent_id is not None:
        query = query.where(NetworkNode.parent_id == _query_node_id(filter.parent_id, "parentId"))
    if filter and filter.kind is not None:
        query = query.where(NetworkNode.kind == filter.kind.value)
    query, limit = keyset_page(query, [NetworkNode.path, NetworkNode.id], descending=False, first=first, after=after)
    rows = list(await info.context.reader.scalars(query))
    return build_connection(rows, limit, after, lambda n: [n.path, n.id], NetworkNodeType.from_row)


async def managed_stores(info: Info, first: int | None, after: str | None, filter: t.ManagedStoresFilter | None) -> Connection[StoreType]:
    """Stores in the caller's part of the network, whatever their status, by code."""
    visible = _visible(info)
    if visible is None:
        return build_connection([], 20, after, lambda s: [s.code, s.id], StoreType.from_row)
    tenant_id = info.context.principal.tenant_id
    query = select(Store).join(NetworkNode, NetworkNode.id == Store.node_id).where(Store.tenant_id == tenant_id, visible)
    if filter and filter.status is not None:
        query = query.where(Store.status == filter.status.value)
    if filter and filter.parent_id is not None:
        parent_path = (await info.context.reader.execute(
            select(NetworkNode.path).where(NetworkNode.id == _query_node_id(filter.parent_id, "parentId"), NetworkNode.tenant_id == tenant_id)
        )).scalar()
        if parent_path is None:
            return build_connection([], 20, after, lambda s: [s.code, s.id], StoreType.from_row)
        query = query.where(NetworkNode.path.startswith(parent_path))
    query, limit = keyset_page(query, [Store.code, Store.id], descending=False, first=first, after=after)
    rows = list(await info.context.reader.scalars(query))
    return build_connection(rows, limit, after, lambda s: [s.code, s.id], StoreType.from_row)
