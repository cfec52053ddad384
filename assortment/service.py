"""Staff changes to what stores sell: list or de-list SKUs in one store or in every store below
a partner (or HQ), and mark products mandatory for a subtree.

All or nothing: one refused SKU in one store refuses the whole request, and nothing is
written. Idempotent: setting what is already so writes nothing and emits no event.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from assortment.errors import AssortmentErrorCode as Codes
from assortment.models import MandatoryProduct
from assortment.rules import PERMISSION, ListingRules
from assortment.writes import apply_listing
from auth.roles import Permission, Principal
from commerce.models import Product, Sku
from core.clock import utc_now
from core.errors import DomainError
from store_network.access import load_node, load_store, require_tenant
from store_network.models import NetworkNode, Store
from store_sync.bulk import _chunks, _insert
from store_sync.models import StoreListing

MAX_IDS = 100  # per request (app/list_caps.py caps the GraphQL lists at the same size)


@dataclass(frozen=True)
class ListingOutcome:
    sku_ids: list[int]
    stores: int  # stores the request covered
    changed: int  # (store, SKU) pairs whose listing actually changed


async def _targets(session: AsyncSession, principal: Principal, tenant_id: int, sku_ids, product_ids) -> list[tuple[int, str]]:
    """(sku id, input field) of every SKU the request names, directly or through its product."""
    if bool(sku_ids) == bool(product_ids):
        raise DomainError(Codes.INVALID, "send skuIds or productIds (one of them, not empty)", "skuIds")
    field, wanted = ("skuIds", sku_ids) if sku_ids else ("productIds", product_ids)
    if len(wanted) > MAX_IDS:
        raise DomainError(Codes.TOO_MANY, f"at most {MAX_IDS} ids per request", field)
    model = Sku if sku_ids else Product
    found = set((await session.scalars(select(model.id).where(model.tenant_id == tenant_id, model.id.in_(set(wanted))))).all())
    for index, pk in enumerate(wanted):
        if pk not in found:
            raise DomainError(Codes.NOT_FOUND, f"{model.__name__.lower()} not found", f"{field}.{index}")
    if sku_ids:
        return [(pk, f"skuIds.{i}") for i, pk in enumerate(dict.fromkeys(sku_ids))]
    position = {pk: i for i, pk in reversed(list(enumerate(product_ids)))}
    rows = (await session.execute(
        select(Sku.id, Sku.product_id).where(Sku.tenant_id == tenant_id, Sku.product_id.in_(found)).order_by(Sku.id)
    )).all()
    return [(sku_id, f"productIds.{position[product_id]}") for sku_id, product_id in rows]


async def set_listing(
    session: AsyncSession,
    principal: Principal,
    *,
    listed: bool,
    store_id: int | None = None,
    node_id: int | None = None,
    sku_ids: list[int] | None = None,
    product_ids: list[int] | None = None,
) -> ListingOutcome:
    """List or de-list in one store (store_id) or in every store below a node (node_id)."""
    tenant_id = require_tenant(principal, Codes)
    if store_id is not None:
        store, path = await load_store(session, principal, store_id, Codes, PERMISSION)
        stores, root_path = [(store.id, path)], path
    else:
        node = await load_node(session, principal, node_id, Codes, "nodeId")
        if not principal.is_authenticated:
            raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
        if not principal.can(PERMISSION, node.path):
            raise DomainError(Codes.PERMISSION_DENIED, "you may not change listings below this node", "nodeId")
        root_path = node.path
        stores = [tuple(r) for r in (await session.execute(
            select(Store.id, NetworkNode.path).join(NetworkNode, NetworkNode.id == Store.node_id)
            .where(Store.tenant_id == tenant_id, NetworkNode.path.startswith(root_path)).order_by(Store.id)
        )).all()]
    targets = await _targets(session, principal, tenant_id, sku_ids, product_ids)
    rules = await ListingRules.load(session, principal, tenant_id, root_path, [s for s, _ in targets])
    for _, path in stores:
        for sku_id, field in targets:
            if refusal := rules.refusal(path, sku_id, listed):
                raise DomainError(Codes(refusal.code), refusal.message, field)
    current = await _current(session, [s for s, _ in stores], [s for s, _ in targets])
    now, actor, changed = utc_now(), principal.staff_id or principal.api_key_id, 0
    for store_pk, _ in stores:
        changes = [(sku_id, listed) for sku_id, _ in targets if current.get((store_pk, sku_id), True) != listed]
        await apply_listing(session, tenant_id, store_pk, changes, actor, now)
        changed += len(changes)
    return ListingOutcome(sku_ids=[s for s, _ in targets], stores=len(stores), changed=changed)


async def _current(session: AsyncSession, store_ids: list[int], sku_ids: list[int]) -> dict[tuple[int, int], bool]:
    """(store, SKU) -> listed, for pairs with a row (no row: listed)."""
    state: dict[tuple[int, int], bool] = {}
    for chunk in _chunks(store_ids, 200):
        rows = await session.execute(select(StoreListing.store_id, StoreListing.sku_id, StoreListing.listed).where(
            StoreListing.store_id.in_(chunk), StoreListing.sku_id.in_(set(sku_ids))))
        state.update({(store, sku): bool(listed) for store, sku, listed in rows.all()})
    return state


async def set_mandatory(
    session: AsyncSession, principal: Principal, product_ids: list[int], mandatory: bool, node_id: int | None = None
) -> NetworkNode:
    """HQ (MANAGE_CATALOG) or a partner (MANAGE_PRICES over its region) marks products
    mandatory for its subtree, or unmarks its own marks. Marking does not re-list stores that
    already de-listed the product: networkListingSet does that, visibly."""
    tenant_id = require_tenant(principal, Codes)
    if node_id is None:
        node = await session.scalar(select(NetworkNode).where(NetworkNode.tenant_id == tenant_id, NetworkNode.kind == "HQ"))
    else:
        node = await load_node(session, principal, node_id, Codes, "nodeId")
    if not principal.is_authenticated:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
    if node.kind == "STORE":
        raise DomainError(Codes.INVALID, "mark products mandatory on HQ or a partner, not on a store", "nodeId")
    if not (principal.can(Permission.MANAGE_CATALOG, node.path) or principal.can(Permission.MANAGE_PRICES, node.path)):
        raise DomainError(Codes.PERMISSION_DENIED, "you may not set the assortment of this part of the network", "nodeId")
    if not product_ids:
        raise DomainError(Codes.REQUIRED, "name at least one product", "productIds")
    if len(product_ids) > MAX_IDS:
        raise DomainError(Codes.TOO_MANY, f"at most {MAX_IDS} products per request", "productIds")
    wanted = set(product_ids)
    found = set((await session.scalars(select(Product.id).where(Product.tenant_id == tenant_id, Product.id.in_(wanted)))).all())
    for index, pk in enumerate(product_ids):
        if pk not in found:
            raise DomainError(Codes.NOT_FOUND, "product not found", f"productIds.{index}")
    if mandatory:
        # DO NOTHING on a mark already there: a retry (or a concurrent twin) is not an error.
        insert = _insert(session, MandatoryProduct).on_conflict_do_nothing(index_elements=[MandatoryProduct.node_id, MandatoryProduct.product_id])
        await session.execute(insert, [{"node_id": node.id, "product_id": pk, "tenant_id": tenant_id, "created_at": utc_now()}
                                       for pk in sorted(wanted)])
    else:
        await session.execute(delete(MandatoryProduct).where(MandatoryProduct.node_id == node.id, MandatoryProduct.product_id.in_(wanted)))
    await session.flush()
    return node
