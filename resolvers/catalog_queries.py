"""Product listing with keyset pagination, filters and sorting, in an optional store context."""
from __future__ import annotations

from sqlalchemy import and_, exists, func, select
from strawberry.types import Info

from commerce.errors import CatalogErrorCode
from commerce.models import Category, Product, Sku, Stock
from core.errors import DomainError
from store_sync.models import StoreListing
from schema import ids
from resolvers.errors import UserInputError, no_tenant_error
from resolvers.pagination import build_connection, keyset_page
from schema.catalog import Category as CategoryType
from schema.catalog import Product as ProductType
from schema.common import Connection
from schema.enums import ProductSortField, SortDirection

MAX_SEARCH = 100


async def product_connection(info: Info, store_id: int | None, first, after, filter, sort_by) -> Connection[ProductType]:
    tenant_id = info.context.tenant_id
    if tenant_id is None:
        raise no_tenant_error(info)
    query = select(Product).where(Product.tenant_id == tenant_id, Product.status == "ACTIVE")
    if store_id is not None:  # a product whose SKUs this store all de-listed is not on its shelves
        query = query.where(~hidden_in_store(store_id))
    if filter is not None:
        if filter.search:
            if len(filter.search) > MAX_SEARCH:
                raise UserInputError(f"search is longer than {MAX_SEARCH} characters")
            escaped = filter.search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(func.lower(Product.name).like(f"%{escaped}%", escape="\\"))
        if filter.category_id:
            try:
                category_id = ids.decode(filter.category_id, "Category", CatalogErrorCode, "filter.categoryId")
            except DomainError as exc:
                raise UserInputError(exc.message) from None
            query = query.where(Product.category_id == category_id)
        if filter.sold_by:
            query = query.where(Product.sold_by == filter.sold_by.value)
        if filter.in_stock:
            if store_id is None:
                raise UserInputError("inStock needs a store context")
            query = query.where(
                exists(
                    select(Stock.id)
                    .join(Sku, Sku.id == Stock.sku_id)
                    .where(Sku.product_id == Product.id, Stock.store_id == store_id, Stock.on_hand > Stock.reserved)
                )
            )
    field = sort_by.field if sort_by else ProductSortField.NAME
    descending = bool(sort_by and sort_by.direction == SortDirection.DESC)
    columns = [Product.name, Product.id] if field == ProductSortField.NAME else [Product.id]
    query, limit = keyset_page(query, columns, descending=descending, first=first, after=after)
    rows = await info.context.reader.scalars(query)
    for row in rows:  # prime the loader: later hops by id cost nothing
        info.context.loaders.product.prime(row.id, row)
    rows = list(rows)
    cursor_of = (lambda p: [p.name, p.id]) if field == ProductSortField.NAME else (lambda p: [p.id])
    skus = await ProductType.prefetch_skus(info, rows[:limit], store_id) if _selects(info.selected_fields, "skus") else {}
    return build_connection(rows, limit, after, cursor_of, lambda p: ProductType.from_row(p, store_id, skus.get(p.id)))


def hidden_in_store(store_id: int):
    """Has the store de-listed some SKU of the product and left none of its SKUs listed?"""
    delisted = exists(select(StoreListing.sku_id).where(
        StoreListing.store_id == store_id, StoreListing.sku_id == Sku.id, StoreListing.listed.is_(False)))
    return and_(
        exists(select(Sku.id).where(Sku.product_id == Product.id, delisted)),
        ~exists(select(Sku.id).where(Sku.product_id == Product.id, ~delisted)),
    )


def _selects(selections, name: str) -> bool:
    """Is a field called `name` selected anywhere below (fragments included)?"""
    for selection in selections:
        if getattr(selection, "name", None) == name:
            return True
        if _selects(getattr(selection, "selections", ()), name):
            return True
    return False


async def categories(info: Info) -> list[CategoryType]:
    tenant_id = info.context.tenant_id
    if tenant_id is None:
        raise no_tenant_error(info)
    rows = await info.context.reader.scalars(
        select(Category).where(Category.tenant_id == tenant_id).order_by(Category.position, Category.id)
    )
    return [CategoryType.from_row(r) for r in rows]
