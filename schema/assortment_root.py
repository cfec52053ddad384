"""Query and Mutation fields of per-store assortment and product media; base classes of schema.root's Query/Mutation."""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.assortment import (
    NetworkListingSetInput,
    ProductMandatorySetInput,
    ProductMandatorySetPayload,
    StoreAssortmentItem,
    StoreListingSetInput,
    StoreListingSetPayload,
)
from schema.common import Connection
from schema.media import (
    ProductImageAddInput,
    ProductImagePayload,
    ProductImageRemoveInput,
    ProductImageRemovePayload,
    ProductImagesReorderInput,
    ProductImagesReorderPayload,
    ProductImageUpdateInput,
)


@strawberry.type
class AssortmentQuery:
    @strawberry.field(description="Every SKU of the brand with its listing in one store, by SKU id (staff who may change the store's listing; empty otherwise).")
    async def store_assortment(
        self, info: Info, store_id: strawberry.ID, first: int | None = 50, after: str | None = None, listed: bool | None = None
    ) -> Connection[StoreAssortmentItem]:
        from resolvers import assortment

        return await assortment.store_assortment(info, store_id, first, after, listed)


@strawberry.type
class AssortmentMutation:
    @strawberry.mutation(description="List or de-list SKUs in one store (MANAGE_STOCK there). De-listing a mandatory product is PRODUCT_MANDATORY; re-listing under strong assortment control is LISTING_LOCKED_BY_HQ.")
    async def store_listing_set(self, info: Info, input: StoreListingSetInput) -> StoreListingSetPayload:
        from resolvers import assortment

        return await assortment.store_listing_set(info, input)

    @strawberry.mutation(description="List or de-list SKUs in every store below a partner or HQ node, all or nothing (MANAGE_STOCK over the node).")
    async def network_listing_set(self, info: Info, input: NetworkListingSetInput) -> StoreListingSetPayload:
        from resolvers import assortment

        return await assortment.network_listing_set(info, input)

    @strawberry.mutation(description="HQ (MANAGE_CATALOG) or a partner (MANAGE_PRICES over its node) marks products mandatory for its stores: they cannot be de-listed there.")
    async def product_mandatory_set(self, info: Info, input: ProductMandatorySetInput) -> ProductMandatorySetPayload:
        from resolvers import assortment

        return await assortment.product_mandatory_set(info, input)

    @strawberry.mutation(description="HQ catalog admins: add an image to a product's gallery.")
    async def product_image_add(self, info: Info, input: ProductImageAddInput) -> ProductImagePayload:
        from resolvers import media

        return await media.product_image_add(info, input)

    @strawberry.mutation
    async def product_image_update(self, info: Info, input: ProductImageUpdateInput) -> ProductImagePayload:
        from resolvers import media

        return await media.product_image_update(info, input)

    @strawberry.mutation
    async def product_image_remove(self, info: Info, input: ProductImageRemoveInput) -> ProductImageRemovePayload:
        from resolvers import media

        return await media.product_image_remove(info, input)

    @strawberry.mutation
    async def product_images_reorder(self, info: Info, input: ProductImagesReorderInput) -> ProductImagesReorderPayload:
        from resolvers import media

        return await media.product_images_reorder(info, input)
