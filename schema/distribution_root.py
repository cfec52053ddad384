"""Distribution's Query and Mutation fields (base classes of Query / Mutation in schema/root.py).
Resolvers are imported inside the fields: schema modules never import resolvers at import time."""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema import distribution as t
from schema.catalog import Product
from schema.common import Connection


@strawberry.type(description="The signed-in customer's own distribution figures (they are a salesperson).")
class MyDistribution:
    salesperson: t.Salesperson
    row: strawberry.Private[object]

    @strawberry.field(description="A signed token for share links and QR codes (30 days).")
    async def share_link(self, info: Info) -> t.ShareLink:
        from resolvers import distribution as r

        return await r.share_link(info, self.row)

    @strawberry.field
    async def earnings(self, info: Info) -> t.CommissionEarnings:
        from resolvers import distribution as r

        return await r.earnings(info, self.row)

    @strawberry.field(description="Orders attributed to you, newest first, with what each earned you.")
    async def orders(self, info: Info, first: int | None = 20) -> list[t.DistributorOrder]:
        from resolvers import distribution as r

        return await r.orders(info, self.row, first)

    @strawberry.field(description="Customers bound to you, most recent first.")
    async def customers(self, info: Info, first: int | None = 20) -> list[t.BoundCustomer]:
        from resolvers import distribution as r

        return await r.customers(info, self.row, first)

    @strawberry.field(description="The ledger entries behind your earnings, newest first; `account` filters, e.g. commission.pending.")
    async def entries(self, info: Info, first: int | None = 20, account: str | None = None) -> list[t.CommissionEntry]:
        from resolvers import distribution as r

        return await r.entries(info, self.row, first, account)


@strawberry.type(description="A salesperson's little store page: their store's products at that store's live prices.")
class DistributorPage:
    salesperson_id: strawberry.ID
    kind: t.SalespersonKind
    store_id: strawberry.ID
    store_pk: strawberry.Private[int]

    @strawberry.field
    async def products(self, info: Info, first: int | None = 20, after: str | None = None) -> Connection[Product]:
        from resolvers import catalog_queries

        return await catalog_queries.product_connection(info, self.store_pk, first, after, None, None)


@strawberry.type
class DistributionQuery:
    @strawberry.field(description="Your salesperson figures (null unless you are a salesperson of this brand).")
    async def my_distribution(self, info: Info) -> MyDistribution | None:
        from resolvers import distribution as r

        return await r.my_distribution(info)

    @strawberry.field(description="The page behind a share link (null if the link is invalid, expired or the salesperson inactive).")
    async def distributor_page(self, info: Info, share_token: str) -> DistributorPage | None:
        from resolvers import distribution as r

        return await r.distributor_page(info, share_token)

    @strawberry.field(description="Orders, GMV, salespeople with sales, revenue per active salesperson and a ranking, for a node or a leader's team.")
    async def distribution_performance(self, info: Info, input: t.DistributionPerformanceInput) -> t.DistributionPerformance:
        from resolvers import distribution as r

        return await r.performance(info, input)

    @strawberry.field(description="Withdrawals of salespeople in your subtree, newest first (staff).")
    async def commission_withdrawals(self, info: Info, state: str | None = None, first: int | None = 20) -> list[t.CommissionWithdrawal]:
        from resolvers import distribution as r

        return await r.withdrawals_to_review(info, state, first)


@strawberry.type
class DistributionMutation:
    @strawberry.mutation(description="HQ: the brand's distribution rules (settle days, attribution, upline levels, rewards).")
    async def distribution_program_update(self, info: Info, input: t.DistributionProgramUpdateInput) -> t.DistributionProgramPayload:
        from resolvers import distribution as r

        return await r.program_update(info, input)

    @strawberry.mutation(description="HQ: set the commission rule for a product, a category or everything (optionally one level).")
    async def commission_rule_set(self, info: Info, input: t.CommissionRuleSetInput) -> t.CommissionRuleSetPayload:
        from resolvers import distribution as r

        return await r.rule_set(info, input)

    @strawberry.mutation(description="Staff (MANAGE_DISTRIBUTION over the store: store managers and up) or a salesperson (downline) creates an expiring invite.")
    async def distribution_invite_create(self, info: Info, input: t.DistributionInviteCreateInput) -> t.DistributionInviteCreatePayload:
        from resolvers import distribution as r

        return await r.invite_create(info, input)

    @strawberry.mutation(description="The signed-in customer accepts an invite and becomes a salesperson.")
    async def distribution_invite_accept(self, info: Info, input: t.DistributionInviteAcceptInput) -> t.SalespersonPayload:
        from resolvers import distribution as r

        return await r.invite_accept(info, input)

    @strawberry.mutation(description="The signed-in customer arrived through a share link or scanned a guide's QR: bind them.")
    async def distribution_bind(self, info: Info, input: t.DistributionBindInput) -> t.DistributionBindPayload:
        from resolvers import distribution as r

        return await r.bind(info, input)

    @strawberry.mutation(description="Staff: deactivate (no new customers or sales; earned commission still settles) or reactivate.")
    async def salesperson_status_set(self, info: Info, input: t.SalespersonStatusSetInput) -> t.SalespersonPayload:
        from resolvers import distribution as r

        return await r.status_set(info, input)

    @strawberry.mutation(description="Staff: change a salesperson's upline (depth and cycles checked).")
    async def salesperson_upline_set(self, info: Info, input: t.SalespersonUplineSetInput) -> t.SalespersonPayload:
        from resolvers import distribution as r

        return await r.upline_set(info, input)

    @strawberry.mutation(description="A salesperson asks to withdraw settled commission (held at once; idempotent on the key).")
    async def commission_withdrawal_request(self, info: Info, input: t.CommissionWithdrawalRequestInput) -> t.CommissionWithdrawalPayload:
        from resolvers import distribution as r

        return await r.withdrawal_request(info, input)

    @strawberry.mutation(description="HQ approves (pays through the payout provider) or rejects a withdrawal.")
    async def commission_withdrawal_decide(self, info: Info, input: t.CommissionWithdrawalDecideInput) -> t.CommissionWithdrawalPayload:
        from resolvers import distribution as r

        return await r.withdrawal_decide(info, input)

    @strawberry.mutation(description="HQ: run the settlement job now (it also runs with the sweeper); safe to run twice.")
    async def commission_settle(self, info: Info, input: t.CommissionSettleInput) -> t.CommissionSettlePayload:
        from resolvers import distribution as r

        return await r.settle(info, input)
