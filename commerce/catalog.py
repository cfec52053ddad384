"""HQ catalog management: categories, products and their SKUs."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.errors import CatalogErrorCode
from commerce.models import Category, Product, Sku
from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN
from store_network.access import require_tenant
from store_network.models import NetworkNode

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MAX_SKUS_PER_PRODUCT = 50


@dataclass(frozen=True)
class SkuInput:
    code: str
    name: str
    base_price_fen: int
    barcode: str | None = None
    price_per_quantity: int = 1
    quantity_step: int = 1
    min_quantity: int = 1


async def require_catalog_admin(session: AsyncSession, principal: Principal) -> int:
    tenant_id = require_tenant(principal, CatalogErrorCode)
    hq_path = await session.scalar(
        select(NetworkNode.path).where(NetworkNode.tenant_id == tenant_id, NetworkNode.kind == "HQ")
    )
    if hq_path is None or not principal.can(Permission.MANAGE_CATALOG, hq_path):
        raise DomainError(CatalogErrorCode.PERMISSION_DENIED, "only HQ manages the catalog", None)
    return tenant_id


def _validate_slug(slug: str, field: str) -> None:
    if not _SLUG.match(slug):
        raise DomainError(CatalogErrorCode.INVALID, "use lowercase letters, digits and dashes", field)


def _validate_name(name: str, field: str) -> str:
    name = name.strip()
    if not name:
        raise DomainError(CatalogErrorCode.REQUIRED, "name is required", field)
    if len(name) > 200:
        raise DomainError(CatalogErrorCode.INVALID, "name is longer than 200 characters", field)
    return name


def _validate_sku(sku: SkuInput, sold_by: str, index: int) -> None:
    prefix = f"skus.{index}"
    if not sku.code.strip() or len(sku.code) > 64:
        raise DomainError(CatalogErrorCode.INVALID, "SKU code must be 1-64 characters", f"{prefix}.code")
    if not 0 <= sku.base_price_fen <= MAX_AMOUNT_FEN:
        raise DomainError(CatalogErrorCode.AMOUNT_OUT_OF_RANGE, "price is out of range", f"{prefix}.basePrice")
    for name in ("price_per_quantity", "quantity_step", "min_quantity"):
        value = getattr(sku, name)
        if not 0 < value <= 100_000:
            raise DomainError(CatalogErrorCode.INVALID, f"{name} must be between 1 and 100000", f"{prefix}.{name}")
    if sold_by == "UNIT" and (sku.quantity_step != 1 or sku.price_per_quantity != 1):
        raise DomainError(CatalogErrorCode.INVALID, "unit goods are priced and sold per 1", f"{prefix}.quantityStep")
    if sku.min_quantity % sku.quantity_step:
        raise DomainError(CatalogErrorCode.INVALID, "minimum must be a multiple of the step", f"{prefix}.minQuantity")


async def create_category(session: AsyncSession, principal: Principal, slug: str, name: str, position: int = 0) -> Category:
    tenant_id = await require_catalog_admin(session, principal)
    _validate_slug(slug, "slug")
    category = Category(tenant_id=tenant_id, slug=slug, name=_validate_name(name, "name"), position=position)
    session.add(category)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        raise DomainError(CatalogErrorCode.DUPLICATE, "a category with this slug exists", "slug") from None
    return category


async def create_product(
    session: AsyncSession,
    principal: Principal,
    *,
    category_id: int,
    slug: str,
    name: str,
    description: str,
    sold_by: str,
    unit_label: str,
    skus: list[SkuInput],
) -> Product:
    tenant_id = await require_catalog_admin(session, principal)
    _validate_slug(slug, "slug")
    name = _validate_name(name, "name")
    if len(description) > 5000:
        raise DomainError(CatalogErrorCode.INVALID, "description is longer than 5000 characters", "description")
    if not skus:
        raise DomainError(CatalogErrorCode.REQUIRED, "a product needs at least one SKU", "skus")
    if len(skus) > MAX_SKUS_PER_PRODUCT:
        raise DomainError(CatalogErrorCode.INVALID, f"at most {MAX_SKUS_PER_PRODUCT} SKUs", "skus")
    for index, sku in enumerate(skus):
        _validate_sku(sku, sold_by, index)
    category = await session.scalar(
        select(Category).where(Category.id == category_id, Category.tenant_id == tenant_id)
    )
    if category is None:
        raise DomainError(CatalogErrorCode.NOT_FOUND, "category not found", "categoryId")
    product = Product(
        tenant_id=tenant_id,
        category_id=category.id,
        slug=slug,
        name=name,
        description=description,
        sold_by=sold_by,
        unit_label=unit_label[:16],
    )
    try:
        async with session.begin_nested():
            session.add(product)
            await session.flush()
            for sku in skus:
                session.add(
                    Sku(
                        tenant_id=tenant_id,
                        product_id=product.id,
                        code=sku.code.strip(),
                        name=sku.name.strip() or name,
                        barcode=sku.barcode,
                        base_price_fen=sku.base_price_fen,
                        price_per_quantity=sku.price_per_quantity,
                        quantity_step=sku.quantity_step,
                        min_quantity=sku.min_quantity,
                    )
                )
            await session.flush()
    except IntegrityError:
        raise DomainError(CatalogErrorCode.DUPLICATE, "slug or SKU code already in use", "slug") from None
    return product


async def update_product(
    session: AsyncSession,
    principal: Principal,
    product_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    status: str | None = None,
    category_id: int | None = None,
) -> Product:
    tenant_id = await require_catalog_admin(session, principal)
    product = await session.scalar(select(Product).where(Product.id == product_id, Product.tenant_id == tenant_id))
    if product is None:
        raise DomainError(CatalogErrorCode.NOT_FOUND, "product not found", "id")
    if name is not None:
        product.name = _validate_name(name, "name")
    if description is not None:
        if len(description) > 5000:
            raise DomainError(CatalogErrorCode.INVALID, "description is longer than 5000 characters", "description")
        product.description = description
    if status is not None:
        product.status = status
    if category_id is not None:
        exists = await session.scalar(
            select(Category.id).where(Category.id == category_id, Category.tenant_id == tenant_id)
        )
        if exists is None:
            raise DomainError(CatalogErrorCode.NOT_FOUND, "category not found", "categoryId")
        product.category_id = category_id
    await session.flush()
    return product
