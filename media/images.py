"""A product's gallery, managed by HQ catalog admins: add, update, remove, reorder.

Positions are dense (0..n-1) after every change and position 0 is the featured image. An
image's URL is either an http(s) URL (a CDN the brand already uses) or one this server's
media storage issued (POST /media/upload); nothing else (no data:, javascript: or relative
URLs of other paths) reaches a storefront. Adding a URL the gallery already holds returns
that image unchanged, so a retried productImageAdd adds nothing.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Principal
from commerce.catalog import require_catalog_admin
from commerce.models import Product
from core.errors import DomainError
from media.errors import MediaErrorCode as Codes
from media.models import ProductImage

MAX_IMAGES = 20
MAX_SIDE = 10_000
MAX_ALT = 200
MAX_URL = 2000
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


def check_url(url: str, storage) -> str:
    url = (url or "").strip()
    if not url:
        raise DomainError(Codes.REQUIRED, "an image needs a URL", "url")
    if len(url) > MAX_URL:
        raise DomainError(Codes.INVALID, f"the URL is longer than {MAX_URL} characters", "url")
    if storage is not None and storage.issued(url):
        return url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not _HOST.match(parts.netloc or "") or any(c.isspace() or ord(c) < 32 for c in url):
        raise DomainError(Codes.INVALID, "use an http(s) URL or a URL that /media/upload returned", "url")
    return url


def check_size(width: int, height: int) -> None:
    for name, value in (("width", width), ("height", height)):
        if not 1 <= value <= MAX_SIDE:
            raise DomainError(Codes.INVALID, f"{name} must be between 1 and {MAX_SIDE} pixels", name)


def check_alt(alt_text: str | None) -> str:
    alt_text = (alt_text or "").strip()
    if len(alt_text) > MAX_ALT:
        raise DomainError(Codes.INVALID, f"alt text is longer than {MAX_ALT} characters", "altText")
    return alt_text


async def _product(session: AsyncSession, tenant_id: int, product_id: int, field: str) -> Product:
    # FOR UPDATE (PostgreSQL): concurrent changes to one gallery run one after the other, so
    # the cap and the dense positions hold; SQLite serialises writers anyway.
    product = await session.scalar(
        select(Product).where(Product.id == product_id, Product.tenant_id == tenant_id).with_for_update()
    )
    if product is None:
        raise DomainError(Codes.NOT_FOUND, "product not found", field)
    return product


async def gallery(session: AsyncSession, product_id: int) -> list[ProductImage]:
    return list(await session.scalars(
        select(ProductImage).where(ProductImage.product_id == product_id).order_by(ProductImage.position, ProductImage.id)
    ))


def _renumber(images: list[ProductImage]) -> list[ProductImage]:
    for index, image in enumerate(images):
        image.position = index
    return images


async def _image(session: AsyncSession, tenant_id: int, image_id: int) -> ProductImage:
    image = await session.scalar(select(ProductImage).where(ProductImage.id == image_id, ProductImage.tenant_id == tenant_id))
    if image is None:
        raise DomainError(Codes.NOT_FOUND, "image not found", "id")
    return image


async def add_image(
    session: AsyncSession, principal: Principal, storage, product_id: int, *, url: str, width: int, height: int,
    alt_text: str | None = None, position: int | None = None,
) -> tuple[ProductImage, list[ProductImage]]:
    tenant_id = await require_catalog_admin(session, principal)
    url = check_url(url, storage)
    check_size(width, height)
    alt_text = check_alt(alt_text)
    await _product(session, tenant_id, product_id, "productId")
    images = await gallery(session, product_id)
    same = next((image for image in images if image.url == url), None)
    if same is not None:  # a retry (or the same picture twice): the gallery already shows it
        return same, images
    if len(images) >= MAX_IMAGES:
        raise DomainError(Codes.TOO_MANY_IMAGES, f"a product has at most {MAX_IMAGES} images", "productId")
    if position is not None and not 0 <= position <= len(images):
        raise DomainError(Codes.INVALID, f"position must be between 0 and {len(images)}", "position")
    image = ProductImage(tenant_id=tenant_id, product_id=product_id, url=url, width=width, height=height, alt_text=alt_text,
                         position=len(images))
    session.add(image)
    images.insert(len(images) if position is None else position, image)
    _renumber(images)
    await session.flush()
    return image, images


async def update_image(
    session: AsyncSession, principal: Principal, storage, image_id: int, *, url: str | None = None, width: int | None = None,
    height: int | None = None, alt_text: str | None = None,
) -> tuple[ProductImage, list[ProductImage]]:
    tenant_id = await require_catalog_admin(session, principal)
    image = await _image(session, tenant_id, image_id)
    await _product(session, tenant_id, image.product_id, "id")
    if url is not None:
        image.url = check_url(url, storage)
    new_width, new_height = width if width is not None else image.width, height if height is not None else image.height
    check_size(new_width, new_height)
    image.width, image.height = new_width, new_height
    if alt_text is not None:
        image.alt_text = check_alt(alt_text)
    await session.flush()
    return image, await gallery(session, image.product_id)


async def remove_image(session: AsyncSession, principal: Principal, image_id: int) -> list[ProductImage]:
    tenant_id = await require_catalog_admin(session, principal)
    image = await _image(session, tenant_id, image_id)
    await _product(session, tenant_id, image.product_id, "id")
    await session.execute(delete(ProductImage).where(ProductImage.id == image.id))
    images = _renumber([i for i in await gallery(session, image.product_id) if i.id != image.id])
    await session.flush()
    return images


async def reorder_images(session: AsyncSession, principal: Principal, product_id: int, image_ids: list[int]) -> list[ProductImage]:
    """`image_ids` is the whole gallery in its new order (each image once)."""
    tenant_id = await require_catalog_admin(session, principal)
    await _product(session, tenant_id, product_id, "productId")
    images = {image.id: image for image in await gallery(session, product_id)}
    if len(image_ids) != len(set(image_ids)) or set(image_ids) != images.keys():
        raise DomainError(Codes.INVALID, "list every image of the product exactly once", "imageIds")
    ordered = _renumber([images[i] for i in image_ids])
    await session.flush()
    return ordered
