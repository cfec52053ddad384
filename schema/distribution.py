"""GraphQL types for distribution: salespeople, share links, commission, withdrawals, reports."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from distribution.errors import DistributionErrorCode as DomainDistributionErrorCode
from schema.common import Money, _error_type

DistributionErrorCode = strawberry.enum(DomainDistributionErrorCode, name="DistributionErrorCode")
DistributionError = _error_type("DistributionError", DistributionErrorCode)


@strawberry.enum
class SalespersonKind(Enum):
    EMPLOYEE = "EMPLOYEE"
    DISTRIBUTOR = "DISTRIBUTOR"
    LEADER = "LEADER"


@strawberry.enum
class AttributionTouch(Enum):
    FIRST = "FIRST"
    LAST = "LAST"


@strawberry.enum
class CommissionMode(Enum):
    RATE = "RATE"
    SUPPLY = "SUPPLY"


@strawberry.type
class Salesperson:
    id: strawberry.ID
    kind: SalespersonKind
    level: int
    active: bool
    store_id: strawberry.ID
    upline_id: strawberry.ID | None
    joined_at: datetime


@strawberry.type
class ShareLink:
    token: str = strawberry.field(description="Put it in a share URL or QR code; a customer opening it calls distributionBind.")
    expires_at: datetime


@strawberry.type
class CommissionEarnings:
    pending: Money = strawberry.field(description="Accrued on paid orders; not yet settled.")
    withdrawable: Money = strawberry.field(description="Settled, net of claw-backs (negative while a late refund is owed back).")
    withdrawing: Money = strawberry.field(description="Held by withdrawals awaiting review.")
    withdrawn: Money = strawberry.field(description="Paid out, in total.")


@strawberry.type
class CommissionEntry:
    id: strawberry.ID
    account: str = strawberry.field(description="commission.pending, commission.withdrawable, commission.debt, commission.withdrawing or commission.withdrawn")
    amount: Money
    signed_amount_fen: int = strawberry.field(description="The move in fen: negative lowers the account.")
    balance_after_fen: int
    kind: str = strawberry.field(description="commission.accrue, .settle, .reverse, .offset, .withdraw, .withdraw.paid ...")
    reference_type: str | None
    reference_id: strawberry.ID | None
    at: datetime


@strawberry.type
class DistributorOrder:
    order_id: strawberry.ID
    number: str
    status: str
    total: Money
    commission: Money = strawberry.field(description="What this order earned you, net of reversals.")
    paid_at: datetime | None


@strawberry.type
class BoundCustomer:
    customer_id: strawberry.ID
    bound_at: datetime
    expires_at: datetime


@strawberry.type
class CommissionWithdrawal:
    id: strawberry.ID
    salesperson_id: strawberry.ID
    amount: Money
    state: str = strawberry.field(description="REQUESTED, PAID, REJECTED or FAILED")
    provider_reference: str | None
    created_at: datetime
    decided_at: datetime | None


@strawberry.type
class DistributionProgram:
    settle_days: int
    binding_days: int
    touch: AttributionTouch
    upline_levels: int
    upline1_rate_bp: int
    upline2_rate_bp: int
    first_order_reward: Money
    first_order_days: int
    min_withdrawal: Money
    upgrade_orders: int
    upgrade_gmv: Money
    upgrade_window_days: int


@strawberry.type
class CommissionRule:
    id: strawberry.ID
    product_id: strawberry.ID | None
    category_id: strawberry.ID | None
    level: int | None
    mode: CommissionMode
    rate_bp: int
    supply_price: Money


@strawberry.type
class DistributionInvite:
    id: strawberry.ID
    kind: SalespersonKind
    store_id: strawberry.ID
    uses_left: int
    expires_at: datetime


@strawberry.type
class RankedSalesperson:
    salesperson_id: strawberry.ID
    orders: int
    gmv: Money


@strawberry.type
class DistributionPerformance:
    orders: int
    gmv: Money
    salespeople_with_sales: int
    active_salespeople: int
    revenue_per_active_salesperson: Money
    ranking: list[RankedSalesperson]


# Inputs: one per mutation.
@strawberry.input
class DistributionProgramUpdateInput:
    settle_days: int | None = None
    binding_days: int | None = None
    touch: AttributionTouch | None = None
    upline_levels: int | None = strawberry.field(default=None, description="0, 1 or 2: never more")
    upline1_rate_bp: int | None = None
    upline2_rate_bp: int | None = None
    first_order_reward: str | None = None
    first_order_days: int | None = None
    min_withdrawal: str | None = None
    upgrade_orders: int | None = None
    upgrade_gmv: str | None = None
    upgrade_window_days: int | None = None


@strawberry.input
class CommissionRuleSetInput:
    product_id: strawberry.ID | None = None
    category_id: strawberry.ID | None = None
    level: int | None = None
    mode: CommissionMode = CommissionMode.RATE
    rate_bp: int = 0
    supply_price: str = "0"


@strawberry.input
class DistributionInviteCreateInput:
    kind: SalespersonKind
    store_id: strawberry.ID | None = strawberry.field(default=None, description="Staff: required. A salesperson inviting a downline: omitted.")
    uses: int = 1
    ttl_hours: int = 72


@strawberry.input
class DistributionInviteAcceptInput:
    token: str


@strawberry.input
class DistributionBindInput:
    share_token: str


@strawberry.input
class SalespersonStatusSetInput:
    id: strawberry.ID
    active: bool


@strawberry.input
class SalespersonUplineSetInput:
    id: strawberry.ID
    upline_id: strawberry.ID | None = None


@strawberry.input
class CommissionWithdrawalRequestInput:
    amount: str
    idempotency_key: str


@strawberry.input
class CommissionWithdrawalDecideInput:
    id: strawberry.ID
    approve: bool


@strawberry.input
class CommissionSettleInput:
    as_of: datetime | None = strawberry.field(default=None, description="Settle what is due at this time (default now; never later than now).")


@strawberry.input
class DistributionPerformanceInput:
    start: datetime
    end: datetime
    node_id: strawberry.ID | None = None
    leader_id: strawberry.ID | None = None
    top: int = 10


@strawberry.type
class DistributionProgramPayload:
    program: DistributionProgram | None = None
    errors: list[DistributionError] = strawberry.field(default_factory=list)


@strawberry.type
class CommissionRuleSetPayload:
    rule: CommissionRule | None = None
    errors: list[DistributionError] = strawberry.field(default_factory=list)


@strawberry.type
class DistributionInviteCreatePayload:
    invite: DistributionInvite | None = None
    token: str | None = strawberry.field(default=None, description="Shown once; put it in the invite link or QR code.")
    errors: list[DistributionError] = strawberry.field(default_factory=list)


@strawberry.type
class SalespersonPayload:
    salesperson: Salesperson | None = None
    errors: list[DistributionError] = strawberry.field(default_factory=list)


@strawberry.type
class DistributionBindPayload:
    salesperson_id: strawberry.ID | None = None
    bound_until: datetime | None = None
    errors: list[DistributionError] = strawberry.field(default_factory=list)


@strawberry.type
class CommissionWithdrawalPayload:
    withdrawal: CommissionWithdrawal | None = None
    earnings: CommissionEarnings | None = None
    errors: list[DistributionError] = strawberry.field(default_factory=list)


@strawberry.type
class CommissionSettlePayload:
    settled: int = 0
    errors: list[DistributionError] = strawberry.field(default_factory=list)
