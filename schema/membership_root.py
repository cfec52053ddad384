"""Membership's Query and Mutation fields (base classes of schema.root's Query / Mutation).
Resolvers are imported inside each field: schema modules do not import resolvers at import time."""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.membership import (
    CounterChargeInput, CounterMemberPayload, CounterPointsInput, CounterPointsPayload, MemberAdjustInput, MemberCodePayload,
    MemberImportInput, MemberImportPayload, MemberLevel, MemberLevelCreateInput, MemberLookupInput, Membership,
    MembershipAdminPayload, MembershipPayload, MembershipProgramSetInput, MembershipReport, PointsRedeemInput,
    PointsRedeemPayload, PointsRuleCreateInput, StoredValuePayInput, StoredValuePayPayload, TopUpPlan, TopUpPlanCreateInput,
    TopUpStartInput, TopUpStartPayload,
)


def _r():
    from resolvers import membership

    return membership


@strawberry.type
class MembershipQuery:
    @strawberry.field(description="The signed-in customer's membership: level, benefits, points, stored value, histories (null if not a member).")
    async def my_membership(self, info: Info, history: int = 20) -> Membership | None:
        return await _r().my_membership(info, min(max(history, 1), 100))

    @strawberry.field(description="The brand's active top-up plans (pay 100, get 120).")
    async def top_up_plans(self, info: Info) -> list[TopUpPlan]:
        return await _r().top_up_plans(info)

    @strawberry.field(description="The brand's membership levels and their benefits.")
    async def member_levels(self, info: Info) -> list[MemberLevel]:
        return await _r().member_levels(info)

    @strawberry.field(description="HQ: members, active members, top-ups and stored value outstanding over the last `days`.")
    async def membership_report(self, info: Info, days: int = 30) -> MembershipReport:
        return await _r().membership_report(info, days)


@strawberry.type
class MembershipMutation:
    @strawberry.mutation(description="Join the brand's membership (idempotent).")
    async def membership_join(self, info: Info) -> MembershipPayload:
        return await _r().membership_join(info)

    @strawberry.mutation(description="Start buying stored value with a top-up plan; pay with clientPayload.")
    async def top_up_start(self, info: Info, input: TopUpStartInput) -> TopUpStartPayload:
        return await _r().top_up_start(info, input)

    @strawberry.mutation(description="Pay an unpaid order's whole total from stored value.")
    async def stored_value_pay(self, info: Info, input: StoredValuePayInput) -> StoredValuePayPayload:
        return await _r().stored_value_pay(info, input)

    @strawberry.mutation(description="Take points off an unpaid order as money off, within the brand's limit.")
    async def points_redeem(self, info: Info, input: PointsRedeemInput) -> PointsRedeemPayload:
        return await _r().points_redeem(info, input)

    @strawberry.mutation(description="A single-use member code (valid one minute) to show at the store counter.")
    async def member_code_create(self, info: Info) -> MemberCodePayload:
        return await _r().member_code_create(info)

    @strawberry.mutation(description="Store staff / POS: find a member by code or mobile.")
    async def member_lookup(self, info: Info, input: MemberLookupInput) -> CounterMemberPayload:
        return await _r().member_lookup(info, input)

    @strawberry.mutation(description="Store staff / POS: charge a member's stored value for a counter sale.")
    async def counter_charge(self, info: Info, input: CounterChargeInput) -> CounterMemberPayload:
        return await _r().counter_charge(info, input)

    @strawberry.mutation(description="Store staff / POS: earn points on a counter sale, or redeem points off it.")
    async def counter_points(self, info: Info, input: CounterPointsInput) -> CounterPointsPayload:
        return await _r().counter_points(info, input)

    @strawberry.mutation(description="HQ: the membership programme's settings.")
    async def membership_program_set(self, info: Info, input: MembershipProgramSetInput) -> MembershipAdminPayload:
        return await _r().membership_program_set(info, input)

    @strawberry.mutation(description="HQ: add a membership level.")
    async def member_level_create(self, info: Info, input: MemberLevelCreateInput) -> MembershipAdminPayload:
        return await _r().member_level_create(info, input)

    @strawberry.mutation(description="HQ: add a top-up plan.")
    async def top_up_plan_create(self, info: Info, input: TopUpPlanCreateInput) -> MembershipAdminPayload:
        return await _r().top_up_plan_create(info, input)

    @strawberry.mutation(description="HQ: add a points rule (category / store multiplier, optional campaign window).")
    async def points_rule_create(self, info: Info, input: PointsRuleCreateInput) -> MembershipAdminPayload:
        return await _r().points_rule_create(info, input)

    @strawberry.mutation(description="HQ: adjust a member's principal, bonus or points, with a reason (audited).")
    async def member_adjust(self, info: Info, input: MemberAdjustInput) -> MembershipAdminPayload:
        return await _r().member_adjust(info, input)

    @strawberry.mutation(description="HQ: re-evaluate every member's level now (the nightly job's work).")
    async def member_levels_evaluate(self, info: Info) -> MembershipAdminPayload:
        return await _r().member_levels_evaluate(info)

    @strawberry.mutation(description="HQ: import a member base (CSV). All rows or none; the same file again changes nothing.")
    async def member_import(self, info: Info, input: MemberImportInput) -> MemberImportPayload:
        return await _r().member_import(info, input)
