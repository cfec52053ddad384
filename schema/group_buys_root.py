"""Group buys' Query and Mutation fields (base classes of schema.root.Query / Mutation)."""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema import group_buys as t
from schema.common import Connection


def _r():
    from resolvers import group_buys

    return group_buys


@strawberry.type
class GroupBuysQuery:
    @strawberry.field(description="Staff: group-buy campaigns of the nodes you manage and those above that reach your stores, newest first.")
    async def group_buys(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[t.GroupBuy]:
        return await _r().group_buys(info, first, after)

    @strawberry.field(description="A group, by the share token in its link (members count, remaining, expiry). Null if unknown here.")
    async def group_buy_group(self, info: Info, share_token: str) -> t.GroupBuyGroup | None:
        return await _r().group_buy_group(info, share_token)


@strawberry.type
class GroupBuysMutation:
    @strawberry.mutation(description="Staff: a group-buy campaign (拼团): a group price for groupSize buyers who all pay within windowHours.")
    async def group_buy_create(self, info: Info, input: t.GroupBuyCreateInput) -> t.GroupBuyPayload:
        return await _r().group_buy_create(info, input)

    @strawberry.mutation(description="Customer: open a new group; places your order at the group price (pay it to hold your place).")
    async def group_buy_start(self, info: Info, input: t.GroupBuyStartInput) -> t.GroupBuyPlacePayload:
        return await _r().group_buy_start(info, input)

    @strawberry.mutation(description="Customer: join an open group by its share token; GROUP_FULL if every place is taken.")
    async def group_buy_join(self, info: Info, input: t.GroupBuyJoinInput) -> t.GroupBuyPlacePayload:
        return await _r().group_buy_join(info, input)
