"""GraphQL types of product media: images in gallery order, and their mutations' inputs and payloads."""
from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from media import models
from media.errors import MediaErrorCode as DomainMediaErrorCode
from schema.common import _error_type
from schema.ids import load_nodes

MediaErrorCode = strawberry.enum(DomainMediaErrorCode, name="MediaErrorCode")
MediaError = _error_type("MediaError", MediaErrorCode)


@strawberry.type(description="An image of a product; the product's first (position 0) is its featured image.")
class ProductImage(relay.Node):
    id: relay.NodeID[int]
    url: str = strawberry.field(description="An http(s) URL, or one this server's media storage issued (POST /media/upload).")
    width: int = strawberry.field(description="Pixels.")
    height: int = strawberry.field(description="Pixels.")
    alt_text: str
    position: int = strawberry.field(description="0-based place in the product's gallery.")

    @classmethod
    def from_row(cls, row: models.ProductImage) -> "ProductImage":
        return cls(id=row.id, url=row.url, width=row.width, height=row.height, alt_text=row.alt_text, position=row.position)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info.context.loaders.product_image, node_ids, cls.from_row)


@strawberry.input(description="Add an image to a product's gallery (HQ catalog admins); at most 20 per product.")
class ProductImageAddInput:
    product_id: strawberry.ID
    url: str
    width: int = strawberry.field(description="1..10000 pixels (POST /media/upload answers it).")
    height: int
    alt_text: str | None = strawberry.field(default=None, description="At most 200 characters.")
    position: int | None = strawberry.field(default=None, description="Where in the gallery (0 = featured); default last.")


@strawberry.input
class ProductImageUpdateInput:
    id: strawberry.ID
    url: str | None = None
    width: int | None = None
    height: int | None = None
    alt_text: str | None = None


@strawberry.input
class ProductImageRemoveInput:
    id: strawberry.ID


@strawberry.input(description="The product's whole gallery in its new order, each image once.")
class ProductImagesReorderInput:
    product_id: strawberry.ID
    image_ids: list[strawberry.ID]


@strawberry.type
class ProductImagePayload:
    image: ProductImage | None = None
    images: list[ProductImage] | None = strawberry.field(default=None, description="The product's gallery after the change.")
    errors: list[MediaError] = strawberry.field(default_factory=list)


@strawberry.type
class ProductImageRemovePayload:
    removed_id: strawberry.ID | None = None
    images: list[ProductImage] | None = None
    errors: list[MediaError] = strawberry.field(default_factory=list)


@strawberry.type
class ProductImagesReorderPayload:
    images: list[ProductImage] | None = None
    errors: list[MediaError] = strawberry.field(default_factory=list)
