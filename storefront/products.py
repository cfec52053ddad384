"""Which products a rule-based product carousel shows in one store: one SELECT for every rule
section of the page (a UNION ALL of one limited branch per section), so the page's statement
count does not grow with its sections.

Only products the store sells: ACTIVE, and not de-listed there (a product whose SKUs the store
de-listed, store_sync.listing, with none of them still listed). Prices are never worked out
here: PRICE_ASC picks the section by the shelf price (the store's own price, else HQ's), and
the page shows the prices commerce.pricing gives (the caller re-sorts by those).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, literal, select, union_all

from commerce.models import Order, OrderLine, Product, Sku, StorePrice
from storefront.document import ProductRule
from store_sync.models import StoreListing

BEST_SELLING_WINDOW = timedelta(days=30)


def _hidden_in_store(store_id: int):
    delisted = exists(select(StoreListing.sku_id).where(
        StoreListing.store_id == store_id, StoreListing.sku_id == Sku.id, StoreListing.listed.is_(False)))
    return and_(
        exists(select(Sku.id).where(Sku.product_id == Product.id, delisted)),
        ~exists(select(Sku.id).where(Sku.product_id == Product.id, ~delisted)),
    )


def _branch(index: int, rule: ProductRule, tenant_id: int, store_id: int, at: datetime):
    query = select(literal(index).label("section"), Product.id.label("product_id")).where(
        Product.tenant_id == tenant_id, Product.status == "ACTIVE", ~_hidden_in_store(store_id)
    )
    if rule.category_id is not None:
        query = query.where(Product.category_id == rule.category_id)
    if rule.sort == "NEWEST":
        order = (Product.created_at.desc(), Product.id.desc())
    elif rule.sort == "PRICE_ASC":
        shelf = (
            select(func.min(func.coalesce(StorePrice.price_fen, Sku.base_price_fen)))
            .select_from(Sku)
            .outerjoin(StorePrice, and_(StorePrice.sku_id == Sku.id, StorePrice.store_id == store_id))
            .where(Sku.product_id == Product.id)
            .scalar_subquery()
        )
        order = (shelf.asc(), Product.id.asc())
    else:  # BEST_SELLING: paid orders of this store holding the product in the last 30 days
        sold = (
            select(func.count(func.distinct(Order.id)))
            .select_from(OrderLine)
            .join(Order, Order.id == OrderLine.order_id)
            .join(Sku, Sku.id == OrderLine.sku_id)
            .where(Sku.product_id == Product.id, Order.store_id == store_id, Order.paid_at >= at - BEST_SELLING_WINDOW)
            .scalar_subquery()
        )
        order = (sold.desc(), Product.id.asc())
    # Wrapped in a subquery: SQLite allows no ORDER BY/LIMIT on a UNION member itself. A UNION
    # need not keep its members' order, so each row carries its position.
    query = query.add_columns(func.row_number().over(order_by=order).label("position"))
    limited = query.order_by(*order).limit(rule.limit).subquery()
    return select(limited.c.section, limited.c.product_id, limited.c.position)


async def rule_products(db, tenant_id: int, store_id: int, rules: dict[int, ProductRule], at: datetime) -> dict[int, list[int]]:
    """Product ids per section index, in the rule's order; one statement for all of them."""
    if not rules:
        return {}
    branches = [_branch(index, rule, tenant_id, store_id, at) for index, rule in rules.items()]
    statement = branches[0] if len(branches) == 1 else union_all(*branches)
    rows = (await db.execute(statement)).all()
    found: dict[int, list[int]] = {index: [] for index in rules}
    for section, product_id, _ in sorted(rows, key=lambda row: (row[0], row[2])):
        found[section].append(product_id)
    return found
