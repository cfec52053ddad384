"""Thin resolvers of per-store assortment (assortment.service holds the rules)."""
from __future__ import annotations

from sqlalchemy import and_, or_, select
from strawberry.types import Info

from assortment import service
from assortment.errors import AssortmentErrorCode as Codes
from assortment.models import MandatoryProduct
from assortment.rules import PERMISSION
from commerce.models import Product, Sku
from core.errors import DomainError
from resolvers.errors import UserInputError
from resolvers.mutation_support import in_transaction
from resolvers.pagination import build_connection, keyset_page
from schema import ids
from schema.assortment import AssortmentError, ProductMandatorySetPayload, StoreAssortmentItem, StoreListingSetPayload
from schema.catalog import Sku as SkuType
from schema.common import Connection, PageInfo
from store_network.control import ancestor_ids
from store_network.models import NetworkNode, Store
from store_sync.models import StoreListing


def _ids(raw: list | None, type_name: str, field: str) -> list[int] | None:
    return None if raw is None else [ids.decode(r, type_name, Codes, f"{field}.{i}") for i, r in enumerate(raw)]


def _listing_payload(outcome: service.ListingOutcome, listed: bool) -> dict:
    return {"listed": listed, "sku_ids": [ids.encode("Sku", s) for s in outcome.sku_ids], "stores": outcome.stores,
            "changed": outcome.changed}


async def store_listing_set(info: Info, input) -> StoreListingSetPayload:
    async def work(session):
        outcome = await service.set_listing(
            session, info.context.principal, listed=input.listed, store_id=ids.decode(input.store_id, "Store", Codes, "storeId"),
            sku_ids=_ids(input.sku_ids, "Sku", "skuIds"), product_ids=_ids(input.product_ids, "Product", "productIds"))
        return _listing_payload(outcome, input.listed)

    return await in_transaction(info, StoreListingSetPayload, AssortmentError, Codes, work)


async def network_listing_set(info: Info, input) -> StoreListingSetPayload:
    async def work(session):
        outcome = await service.set_listing(
            session, info.context.principal, listed=input.listed, node_id=ids.decode(input.node_id, "NetworkNode", Codes, "nodeId"),
            sku_ids=_ids(input.sku_ids, "Sku", "skuIds"), product_ids=_ids(input.product_ids, "Product", "productIds"))
        return _listing_payload(outcome, input.listed)

    return await in_transaction(info, StoreListingSetPayload, AssortmentError, Codes, work)


async def product_mandatory_set(info: Info, input) -> ProductMandatorySetPayload:
    async def work(session):
        product_ids = _ids(input.product_ids, "Product", "productIds")
        node = await service.set_mandatory(session, info.context.principal, product_ids, input.mandatory,
                                           ids.decode_optional(input.node_id, "NetworkNode", Codes, "nodeId"))
        return {"product_ids": [ids.encode("Product", p) for p in dict.fromkeys(product_ids)], "mandatory": input.mandatory,
                "node_id": ids.encode("NetworkNode", node.id)}

    return await in_transaction(info, ProductMandatorySetPayload, AssortmentError, Codes, work)


_EMPTY = Connection(edges=[], page_info=PageInfo(has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None))


async def store_assortment(info: Info, store_id: str, first: int | None, after: str | None, listed: bool | None) -> Connection[StoreAssortmentItem]:
    """Every SKU of the brand with its listing in one store, by SKU id; staff who may change the
    store's listing only (anyone else sees an empty list, as with `riders`)."""
    principal, tenant_id = info.context.principal, info.context.tenant_id
    try:
        store_pk = ids.decode(store_id, "Store", Codes, "storeId")
    except DomainError as exc:
        raise UserInputError(exc.message) from None
    reader = info.context.reader
    row = (await reader.execute(select(Store.id, NetworkNode.path).join(NetworkNode, NetworkNode.id == Store.node_id)
                                .where(Store.id == store_pk, Store.tenant_id == tenant_id))).first() if tenant_id else None
    if row is None or not principal.can(PERMISSION, row.path):
        return _EMPTY
    query = (select(Sku, StoreListing.listed, StoreListing.updated_at, Product.sold_by)
             .join(Product, Product.id == Sku.product_id)
             .outerjoin(StoreListing, and_(StoreListing.store_id == store_pk, StoreListing.sku_id == Sku.id))
             .where(Sku.tenant_id == tenant_id))
    if listed is True:
        query = query.where(or_(StoreListing.listed.is_(None), StoreListing.listed.is_(True)))
    elif listed is False:
        query = query.where(StoreListing.listed.is_(False))
    query, limit = keyset_page(query, [Sku.id], descending=False, first=first, after=after)
    rows = (await reader.execute(query)).all()
    page_products = {sku.product_id for sku, *_ in rows[:limit]}
    mandatory = set((await reader.scalars(select(MandatoryProduct.product_id).where(
        MandatoryProduct.tenant_id == tenant_id, MandatoryProduct.node_id.in_(ancestor_ids(row.path)),
        MandatoryProduct.product_id.in_(page_products))))) if page_products else set()
    return build_connection(rows, limit, after, lambda r: [r[0].id], lambda r: StoreAssortmentItem(
        sku=SkuType.from_row(r[0], r[3]), product_id=ids.encode("Product", r[0].product_id), listed=r[1] is not False,
        mandatory=r[0].product_id in mandatory, updated_at=r[2]))
