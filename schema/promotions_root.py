"""Promotions' Query and Mutation fields (base classes of schema.root.Query / Mutation).

Resolvers are imported inside each field: schema modules never import resolvers at import time.
"""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema import promotions as t
from schema.common import Connection


def _r():
    from resolvers import promotions

    return promotions


@strawberry.type
class PromotionsQuery:
    @strawberry.field(description="Staff: promotions and coupon templates of the nodes you manage and those above that reach your stores, newest first.")
    async def promotions(
        self, info: Info, first: int | None = 20, after: str | None = None, kind: t.PromotionKind | None = None
    ) -> Connection[t.Promotion]:
        return await _r().promotions(info, first, after, kind)

    @strawberry.field(description="The registered condition and action types and their typed arguments.")
    def promotion_types(self) -> t.PromotionTypes:
        return _r().promotion_types()

    @strawberry.field(description="The signed-in customer's unused coupons.")
    async def my_coupons(self, info: Info) -> list[t.Coupon]:
        return await _r().my_coupons(info)

    @strawberry.field(description="Coupon templates running at a store that can still be claimed.")
    async def claimable_coupons(self, info: Info, store_id: strawberry.ID) -> list[t.Promotion]:
        return await _r().claimable_coupons(info, store_id)

    @strawberry.field(description="Your cart in a store priced as checkout will price it: per line and order, what applied, what almost applied, your coupons ranked.")
    async def price_breakdown(
        self, info: Info, store_id: strawberry.ID, coupon_ids: list[strawberry.ID] | None = None
    ) -> t.PriceBreakdown:
        return await _r().price_breakdown(info, store_id, coupon_ids)


@strawberry.type
class PromotionsMutation:
    @strawberry.mutation(description="Staff: create an automatic promotion or a coupon template (MANAGE_PRICES; partners and stores only where the promotions policy is WEAK, within HQ's limit).")
    async def promotion_create(self, info: Info, input: t.PromotionCreateInput) -> t.PromotionPayload:
        return await _r().promotion_create(info, input)

    @strawberry.mutation(description="Staff: edit or pause a promotion; its version goes up (placed orders keep theirs).")
    async def promotion_update(self, info: Info, input: t.PromotionUpdateInput) -> t.PromotionPayload:
        return await _r().promotion_update(info, input)

    @strawberry.mutation(description="HQ: the maximum discount % of partner and store campaigns.")
    async def promotion_policy_set(self, info: Info, input: t.PromotionPolicySetInput) -> t.PromotionPolicyPayload:
        return await _r().promotion_policy_set(info, input)

    @strawberry.mutation(description="Staff: hand one coupon of a template to each customer (a campaign).")
    async def coupon_issue(self, info: Info, input: t.CouponIssueInput) -> t.CouponIssuePayload:
        return await _r().coupon_issue(info, input)

    @strawberry.mutation(description="Customer: claim a coupon by template id or by code.")
    async def coupon_claim(self, info: Info, input: t.CouponClaimInput) -> t.CouponPayload:
        return await _r().coupon_claim(info, input)

    @strawberry.mutation(description="Staff: a flash-sale price with a unit quota for one SKU (per store, or shared under the node).")
    async def flash_sale_create(self, info: Info, input: t.FlashSaleCreateInput) -> t.FlashSalePayload:
        return await _r().flash_sale_create(info, input)
