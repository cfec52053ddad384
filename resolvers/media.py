"""Thin resolvers of product images (media.images holds the rules)."""
from __future__ import annotations

from strawberry.types import Info

from media import images
from media.errors import MediaErrorCode as Codes
from resolvers.mutation_support import in_transaction
from schema import ids
from schema.media import MediaError, ProductImage, ProductImagePayload, ProductImageRemovePayload, ProductImagesReorderPayload


def _gallery(rows) -> list[ProductImage]:
    return [ProductImage.from_row(row) for row in rows]


async def product_image_add(info: Info, input) -> ProductImagePayload:
    async def work(session):
        image, gallery = await images.add_image(
            session, info.context.principal, info.context.services.media, ids.decode(input.product_id, "Product", Codes, "productId"),
            url=input.url, width=input.width, height=input.height, alt_text=input.alt_text, position=input.position)
        return {"image": ProductImage.from_row(image), "images": _gallery(gallery)}

    return await in_transaction(info, ProductImagePayload, MediaError, Codes, work)


async def product_image_update(info: Info, input) -> ProductImagePayload:
    async def work(session):
        image, gallery = await images.update_image(
            session, info.context.principal, info.context.services.media, ids.decode(input.id, "ProductImage", Codes, "id"),
            url=input.url, width=input.width, height=input.height, alt_text=input.alt_text)
        return {"image": ProductImage.from_row(image), "images": _gallery(gallery)}

    return await in_transaction(info, ProductImagePayload, MediaError, Codes, work)


async def product_image_remove(info: Info, input) -> ProductImageRemovePayload:
    async def work(session):
        gallery = await images.remove_image(session, info.context.principal, ids.decode(input.id, "ProductImage", Codes, "id"))
        return {"removed_id": input.id, "images": _gallery(gallery)}

    return await in_transaction(info, ProductImageRemovePayload, MediaError, Codes, work)


async def product_images_reorder(info: Info, input) -> ProductImagesReorderPayload:
    async def work(session):
        image_ids = [ids.decode(raw, "ProductImage", Codes, f"imageIds.{i}") for i, raw in enumerate(input.image_ids)]
        gallery = await images.reorder_images(
            session, info.context.principal, ids.decode(input.product_id, "Product", Codes, "productId"), image_ids)
        return {"images": _gallery(gallery)}

    return await in_transaction(info, ProductImagesReorderPayload, MediaError, Codes, work)
