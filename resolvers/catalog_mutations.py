"""HQ and store staff mutations: catalog, store prices, stock, stores and control policies."""
from __future__ import annotations

from strawberry.types import Info

from commerce import catalog, inventory, pricing, store_prices
from commerce.errors import CatalogErrorCode as Codes
from commerce.offers import Offer
from core.clock import utc_now
from core.errors import DomainError
from core.money import MoneyError, parse_amount_to_fen
from schema import ids
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
from store_network import policies, stores
from store_network.control import ControlledAttribute, ControlLevel


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
        principal = info.context.principal
        store, sku, _ = await store_prices.set_store_price(
            session, principal, store_id, sku_id, price_fen, allow_free=input.allow_free, reason=input.reason
        )
        context = pricing.PriceContext(store.tenant_id, store.id, principal.customer_id, utc_now())
        effective = (await pricing.price_skus(session, context, [sku.id]))[sku.id]
        return {"price": Money.of(effective.fen)}

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
        offer = Offer(None, row.on_hand, row.reserved)  # stock only: no price is shown here
        return {
            "stock": StockLevel(quantity_available=offer.available, in_stock=offer.available > 0),
            "on_hand": row.on_hand,
        }

    return await in_transaction(info, StockSetPayload, CatalogError, Codes, work)


async def store_update(info: Info, input: StoreUpdateInput) -> StoreUpdatePayload:
    async def work(session):
        from resolvers.store_network_admin import location, opening_hours

        changes = stores.StoreChanges(
            name=input.name,
            status=input.status.value if input.status is not None else None,
            prep_minutes=input.prep_minutes,
            delivery_radius_m=input.delivery_radius_meters,
            code=input.code,
            address=input.address,
            city=input.city,
            district=input.district,
            location=location(input.location),
            timezone=input.timezone,
            business_hours=opening_hours(input.opening_hours, input.hours, required=False),
            fulfilment_types=[f.value for f in input.fulfilment_types] if input.fulfilment_types is not None else None,
        )
        store = await stores.update_store(session, info.context.principal, ids.decode(input.id, "Store", Codes, "id"), changes)
        return {"store": Store.from_row(store)}

    return await in_transaction(info, StoreUpdatePayload, CatalogError, Codes, work)


async def network_node_control_set(info: Info, input: NetworkNodeControlSetInput) -> NetworkNodeControlSetPayload:
    """HQ or a partner sets strong/weak control for its subtree (store_network.policies has the rule)."""

    async def work(session):
        requested = {
            ControlledAttribute.PRICES: input.prices,
            ControlledAttribute.STOREFRONT: input.storefront,
            ControlledAttribute.PROMOTIONS: input.promotions,
            ControlledAttribute.ASSORTMENT: input.assortment,
            ControlledAttribute.STOCK: input.stock,
            ControlledAttribute.ORDERS: input.orders,
        }
        levels = {attribute: ControlLevel(value.value) for attribute, value in requested.items() if value is not None}
        node_id = ids.decode(input.node_id, "NetworkNode", Codes, "nodeId")
        node = await policies.set_node_control(session, info.context.principal, node_id, levels)
        return {"node": NetworkNode.from_row(node)}

    return await in_transaction(info, NetworkNodeControlSetPayload, CatalogError, Codes, work)
