"""Storefront configuration's Query and Mutation fields (base classes of schema.root.Query / Mutation)."""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema import storefront as t
from schema.common import Connection


def _r():
    from resolvers import storefront

    return storefront


@strawberry.type
class StorefrontQuery:
    @strawberry.field(description="A store's home page in one query (anonymous allowed): theme, navigation and sections, "
                      "each with the level it came from; product sections hold that store's products, prices and stock.")
    async def storefront(self, info: Info, store_id: strawberry.ID) -> t.Storefront | None:
        return await _r().storefront(info, store_id)

    @strawberry.field(description="Staff (MANAGE_STOREFRONT over the node): the node's storefront versions, newest first.")
    async def storefront_versions(
        self, info: Info, node_id: strawberry.ID, first: int | None = 20, after: str | None = None
    ) -> Connection[t.StorefrontVersion]:
        return await _r().storefront_versions(info, node_id, first, after)


@strawberry.type
class StorefrontMutation:
    @strawberry.mutation(description="Staff: save the node's draft (HQ: the template; partner, store: an override where the storefront policy allows).")
    async def storefront_draft_save(self, info: Info, input: t.StorefrontDraftSaveInput) -> t.StorefrontVersionPayload:
        return await _r().storefront_draft_save(info, input)

    @strawberry.mutation(description="Staff: publish a draft now, or at publishAt (scheduled).")
    async def storefront_publish(self, info: Info, input: t.StorefrontPublishInput) -> t.StorefrontVersionPayload:
        return await _r().storefront_publish(info, input)

    @strawberry.mutation(description="Staff: publish a copy of an earlier published version, now, as a new version.")
    async def storefront_rollback(self, info: Info, input: t.StorefrontRollbackInput) -> t.StorefrontVersionPayload:
        return await _r().storefront_rollback(info, input)
