"""HQ and store staff mutations: catalog, store prices, stock, stores and control policies."""
from __future__ import annotations

from sqlalchemy import select
from strawberry.types import Info

from auth.roles import Permission, grant_covers
from commerce import catalog
from commerce.errors import CatalogErrorCode as Codes
from commerce.models import Sku
from core.errors import DomainError
from core.money import MoneyError, parse_amount_to_fen
from resolvers import ids
from resolvers.loaders import Offer
from resolvers.mutation_support import in_transaction
from schema.catalog import Category, Product, StockLevel
from schema.common import CatalogError, Money
from schema.inputs import (
    CategoryCreateInput,
    NetworkNodeControlSetInput,
    ProductCreateInput,
    ProductUpdateInput,
    StockSetInput,
    StorePriceSetInput,
    StoreUpdateInput,
)
from schema.payloads import (
    CategoryCreatePayload,
    NetworkNodeControlSetPayload,
    ProductPayload,
    StockSetPayload,
    StorePriceSetPayload,
    StoreUpdatePayload,
)
from schema.store import NetworkNode, Store
from store_network import inventory, pricing
from store_network.access import load_node, load_store
from store_network.control import ControlLevel, deciding_node


def _fen(raw: str, field: str) -> int:
    try:
        return parse_amount_to_fen(raw)
    except MoneyError as exc:
        raise DomainError(Codes.AMOUNT_OUT_OF_RANGE, str(exc), field) from None


async def category_create(info: Info, input: CategoryCreateInput) -> CategoryCreatePayload:
    async def work(session):
        row = await catalog.create_category(session, info.context.principal, input.slug, input.name, input.position)
        return {"category": Category.from_row(row)}

    return await in_transaction(info, CategoryCreatePayload, CatalogError, Codes, work)


async def product_create(info: Info, input: ProductCreateInput) -> ProductPayload:
    async def work(session):
        skus = [
            catalog.SkuInput(
                code=s.code,
                name=s.name,
                barcode=s.barcode,
                base_price_fen=_fen(s.base_price, f"skus.{i}.basePrice"),
                price_per_quantity=s.price_per,
                quantity_step=s.quantity_step,
                min_quantity=s.min_quantity,
            )
            for i, s in enumerate(input.skus)
        ]
        row = await catalog.create_product(
            session,
            info.context.principal,
            category_id=ids.decode(input.category_id, "Category", Codes, "categoryId"),
            slug=input.slug,
            name=input.name,
            description=input.description,
            sold_by=input.sold_by.value,
            unit_label=input.unit_label,
            skus=skus,
        )
        return {"product": Product.from_row(row)}

    return await in_transaction(info, ProductPayload, CatalogError, Codes, work)


async def product_update(info: Info, input: ProductUpdateInput) -> ProductPayload:
    async def work(session):
        row = await catalog.update_product(
            session,
            info.context.principal,
            ids.decode(input.id, "Product", Codes, "id"),
            name=input.name,
            description=input.description,
            status=input.status.value if input.status else None,
            category_id=ids.decode_optional(input.category_id, "Category", Codes, "categoryId"),
        )
        return {"product": Product.from_row(row)}

    return await in_transaction(info, ProductPayload, CatalogError, Codes, work)


async def store_price_set(info: Info, input: StorePriceSetInput) -> StorePriceSetPayload:
    async def work(session):
        store_id = ids.decode(input.store_id, "Store", Codes, "storeId")
        sku_id = ids.decode(input.sku_id, "Sku", Codes, "skuId")
        price_fen = None if input.price is None else _fen(input.price, "price")
        row = await pricing.set_store_price(session, info.context.principal, store_id, sku_id, price_fen)
        effective = row.price_fen if row else await session.scalar(select(Sku.base_price_fen).where(Sku.id == sku_id))
        return {"price": Money.of(effective)}

    return await in_transaction(info, StorePriceSetPayload, CatalogError, Codes, work)


async def stock_set(info: Info, input: StockSetInput) -> StockSetPayload:
    async def work(session):
        row = await inventory.set_stock(
            session,
            info.context.principal,
            ids.decode(input.store_id, "Store", Codes, "storeId"),
            ids.decode(input.sku_id, "Sku", Codes, "skuId"),
            on_hand=input.on_hand,
            delta=input.delta,
        )
        offer = Offer(None, row.on_hand, row.reserved)
        return {
            "stock": StockLevel(quantity_available=offer.available, in_stock=offer.available > 0),
            "on_hand": row.on_hand,
        }

    return await in_transaction(info, StockSetPayload, CatalogError, Codes, work)


async def store_update(info: Info, input: StoreUpdateInput) -> StoreUpdatePayload:
    async def work(session):
        store, _ = await load_store(
            session, info.context.principal, ids.decode(input.id, "Store", Codes, "id"), Codes, Permission.MANAGE_STORES, "id"
        )
        if input.name is not None:
            if not input.name.strip() or len(input.name) > 200:
                raise DomainError(Codes.INVALID, "name must be 1-200 characters", "name")
            store.name = input.name.strip()
        if input.status is not None:
            store.status = input.status.value
        if input.prep_minutes is not None:
            if not 0 <= input.prep_minutes <= 240:
                raise DomainError(Codes.INVALID, "prepMinutes must be between 0 and 240", "prepMinutes")
            store.prep_minutes = input.prep_minutes
        if input.delivery_radius_meters is not None:
            if not 100 <= input.delivery_radius_meters <= 20_000:
                raise DomainError(Codes.INVALID, "deliveryRadiusMeters must be 100-20000", "deliveryRadiusMeters")
            store.delivery_radius_m = input.delivery_radius_meters
        await session.flush()
        return {"store": Store.from_row(store)}

    return await in_transaction(info, StoreUpdatePayload, CatalogError, Codes, work)


async def network_node_control_set(info: Info, input: NetworkNodeControlSetInput) -> NetworkNodeControlSetPayload:
    """HQ or a partner sets strong/weak control for its subtree (partners cannot loosen what HQ locked)."""

    async def work(session):
        principal = info.context.principal
        node = await load_node(session, principal, ids.decode(input.node_id, "NetworkNode", Codes, "nodeId"), Codes, "nodeId")
        if not principal.can(Permission.MANAGE_STORES, node.path):
            raise DomainError(Codes.PERMISSION_DENIED, "you may not change control for this node", "nodeId")
        for attribute, value in (
            ("price_control", input.prices),
            ("storefront_control", input.storefront),
            ("promotion_control", input.promotions),
        ):
            if value is None:
                continue
            chain = await pricing.control_chain(session, node.tenant_id, node.path, attribute)
            above = chain[:-1]
            if above and value.value == "WEAK":
                decider = deciding_node(above)
                locked_above = decider.level is ControlLevel.STRONG and not any(
                    grant_covers(g, decider.path, Permission.MANAGE_STORES) for g in principal.grants
                )
                if locked_above:
                    raise DomainError(Codes.PRICE_LOCKED_BY_HQ, "a node above holds strong control", attribute)
            setattr(node, attribute, value.value)
        await session.flush()
        return {"node": NetworkNode.from_row(node)}

    return await in_transaction(info, NetworkNodeControlSetPayload, CatalogError, Codes, work)

