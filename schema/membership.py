"""GraphQL types of membership: levels, a member's standing, histories, top-up plans, the
counter's view of a member, reports, and the inputs and payloads of membership mutations."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from membership.errors import MembershipErrorCode as DomainMembershipErrorCode
from schema.common import Money, _error_type

MembershipErrorCode = strawberry.enum(DomainMembershipErrorCode, name="MembershipErrorCode")
MembershipError = _error_type("MembershipError", MembershipErrorCode)


@strawberry.enum(description="Which part of stored value an adjustment changes, or points.")
class MemberAdjustmentPart(Enum):
    PRINCIPAL = "PRINCIPAL"
    BONUS = "BONUS"
    POINTS = "POINTS"


@strawberry.enum(description="Which part of stored value an order spends first (per brand).")
class StoredValueSpendOrder(Enum):
    PROPORTIONAL = "PROPORTIONAL"
    PRINCIPAL_FIRST = "PRINCIPAL_FIRST"
    BONUS_FIRST = "BONUS_FIRST"


@strawberry.type(description="A membership level and its benefits.")
class MemberLevel:
    id: strawberry.ID
    code: str
    name: str
    rank: int
    threshold: int = strawberry.field(description="Fen spent, or points earned, in the brand's window to reach this level.")
    discount_percent: int = strawberry.field(description="Members of this level pay this percent of the price (100: none).")
    free_delivery_from: Money | None = strawberry.field(description="Delivery is free from this subtotal.")
    points_multiplier_percent: int


@strawberry.type(description="Stored value: principal (paid in, refundable) and bonus (given, never paid out).")
class StoredValueBalance:
    principal: Money
    bonus: Money
    total: Money


@strawberry.type(description="One movement of points or stored value (newest first).")
class MembershipActivity:
    at: datetime
    kind: str
    amount: int = strawberry.field(description="Points, or fen for stored value; negative when taken out.")
    memo: str


@strawberry.type(description="The signed-in customer's membership.")
class Membership:
    id: strawberry.ID
    joined_at: datetime
    joined_via: str
    level: MemberLevel | None
    points: int
    balance: StoredValueBalance
    points_history: list[MembershipActivity]
    balance_history: list[MembershipActivity]


@strawberry.type
class TopUpPlan:
    id: strawberry.ID
    name: str
    pay: Money
    bonus: Money


@strawberry.type(description="A member as the store counter sees them (mobile masked).")
class CounterMember:
    id: strawberry.ID
    name: str
    mobile: str
    level: MemberLevel | None
    points: int
    balance: StoredValueBalance


@strawberry.type
class StoreMembershipFigures:
    store_id: strawberry.ID
    top_ups: Money
    stored_value_spent: Money


@strawberry.type(description="HQ's membership report over a window of days.")
class MembershipReport:
    members: int
    active_members: int
    top_ups: Money
    top_up_count: int
    balance_outstanding: Money
    by_store: list[StoreMembershipFigures]


# ---- inputs ----

@strawberry.input
class TopUpStartInput:
    plan_id: strawberry.ID
    idempotency_key: str
    provider: str | None = None


@strawberry.input
class StoredValuePayInput:
    order_id: strawberry.ID
    idempotency_key: str
    amount: str | None = strawberry.field(default=None, description="Part of the total (yuan) for a split payment; pay the rest with orderPay. Omit to pay it all.")


@strawberry.input
class PointsRedeemInput:
    order_id: strawberry.ID
    points: int


@strawberry.input
class MemberLookupInput:
    store_id: strawberry.ID
    code: str | None = None
    mobile: str | None = None


@strawberry.input
class CounterChargeInput:
    store_id: strawberry.ID
    member_id: strawberry.ID
    amount: str = strawberry.field(description="Yuan, e.g. \"12.50\".")
    idempotency_key: str


@strawberry.input
class CounterPointsInput:
    store_id: strawberry.ID
    member_id: strawberry.ID
    sale_amount: str = strawberry.field(description="What the sale came to, in yuan.")
    category_id: strawberry.ID | None = None
    redeem_points: int | None = strawberry.field(default=None, description="Set to redeem points off the sale instead of earning.")
    idempotency_key: str


@strawberry.input
class MembershipProgramSetInput:
    auto_join: bool | None = None
    level_basis: str | None = None
    level_window_days: int | None = None
    spend_order: StoredValueSpendOrder | None = None
    points_per_yuan: int | None = None
    point_value_fen: int | None = None
    redeem_max_percent: int | None = None
    points_expiry_days: int | None = None


@strawberry.input
class MemberLevelCreateInput:
    code: str
    name: str
    rank: int
    threshold: int = 0
    discount_percent: int = 100
    free_delivery_from: str | None = None
    points_multiplier_percent: int = 100


@strawberry.input
class TopUpPlanCreateInput:
    name: str
    pay: str
    bonus: str = "0"


@strawberry.input
class PointsRuleCreateInput:
    name: str
    multiplier_percent: int
    category_id: strawberry.ID | None = None
    store_id: strawberry.ID | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@strawberry.input
class MemberAdjustInput:
    member_id: strawberry.ID
    part: MemberAdjustmentPart
    amount: str = strawberry.field(description="Signed: yuan for PRINCIPAL/BONUS, whole points for POINTS.")
    reason: str
    idempotency_key: str


@strawberry.input
class MemberImportInput:
    csv: str = strawberry.field(description="Header mobile,name,level,points,balance; balance in yuan.")


# ---- payloads ----

@strawberry.type
class MembershipPayload:
    membership: Membership | None = None
    errors: list[MembershipError] = strawberry.field(default_factory=list)


@strawberry.type
class TopUpStartPayload:
    top_up_id: strawberry.ID | None = None
    client_payload: JSON | None = strawberry.field(default=None, description="Hand this to the payment provider's SDK.")
    errors: list[MembershipError] = strawberry.field(default_factory=list)


@strawberry.type
class StoredValuePayPayload:
    order_status: str | None = None
    amount_due: Money | None = strawberry.field(default=None, description="What is left to pay with orderPay (0 when PAID).")
    principal_spent: Money | None = None
    bonus_spent: Money | None = None
    errors: list[MembershipError] = strawberry.field(default_factory=list)


@strawberry.type
class PointsRedeemPayload:
    points_redeemed: int | None = None
    money_off: Money | None = None
    order_total: Money | None = None
    errors: list[MembershipError] = strawberry.field(default_factory=list)


@strawberry.type
class MemberCodePayload:
    code: str | None = strawberry.field(default=None, description="Show as a barcode/QR; single use.")
    expires_at: datetime | None = None
    errors: list[MembershipError] = strawberry.field(default_factory=list)


@strawberry.type
class CounterMemberPayload:
    member: CounterMember | None = None
    errors: list[MembershipError] = strawberry.field(default_factory=list)


@strawberry.type
class CounterPointsPayload:
    points: int | None = strawberry.field(default=None, description="Points earned, or redeemed.")
    money_off: Money | None = None
    member: CounterMember | None = None
    errors: list[MembershipError] = strawberry.field(default_factory=list)


@strawberry.type
class MembershipAdminPayload:
    id: strawberry.ID | None = strawberry.field(default=None, description="The created level, plan or rule.")
    changed: int | None = strawberry.field(default=None, description="Members whose level changed (evaluation).")
    errors: list[MembershipError] = strawberry.field(default_factory=list)


@strawberry.type
class MemberImportRowError:
    row: int
    field: str
    message: str


@strawberry.type
class MemberImportPayload:
    imported: int | None = None
    already_imported: bool | None = None
    row_errors: list[MemberImportRowError] = strawberry.field(default_factory=list)
    errors: list[MembershipError] = strawberry.field(default_factory=list)
