"""GraphQL for after-sales (aftersales/): requests, staff decisions, receipt confirmation."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.common import Money, PaymentError
from schema.inputs import MoneyInput
from schema.payments_root import RefundLineInput


@strawberry.enum
class AfterSalesKind(Enum):
    REFUND = "REFUND"  # money back, the goods stay with the customer (spoiled, missing)
    RETURN = "RETURN"  # the goods come back to the store


@strawberry.input
class AfterSalesRequestInput:
    order_id: strawberry.ID
    idempotency_key: str
    kind: AfterSalesKind
    lines: list[RefundLineInput] = strawberry.field(description="Lines and quantities (weight units for weighed goods), max 100.")
    reason: str = ""
    photos: list[str] = strawberry.field(default_factory=list, description="https URLs, at most 9.")


@strawberry.input
class AfterSalesDecideInput:
    request_id: strawberry.ID
    approve: bool
    approved_amount: MoneyInput | None = strawberry.field(default=None, description="Less than asked: partially approved.")
    restock: bool = strawberry.field(default=False, description="RETURN: the goods came back in sellable state.")
    note: str = ""


@strawberry.input
class OrderConfirmReceiptInput:
    order_id: strawberry.ID


@strawberry.type
class AfterSalesLine:
    line_id: strawberry.ID
    quantity: int
    amount: Money


@strawberry.type
class AfterSales:
    id: strawberry.ID
    kind: AfterSalesKind
    status: str  # REQUESTED, APPROVED, PARTIALLY_APPROVED, REJECTED
    reason: str
    photos: list[str]
    lines: list[AfterSalesLine]
    requested: Money
    approved: Money
    refund_status: str | None  # PENDING, SUCCEEDED, FAILED once approved
    created_at: datetime


@strawberry.type
class AfterSalesPayload:
    after_sales: AfterSales | None = None
    replayed: bool = False
    errors: list[PaymentError] = strawberry.field(default_factory=list)


@strawberry.type
class OrderConfirmReceiptPayload:
    confirmed: bool = False
    errors: list[PaymentError] = strawberry.field(default_factory=list)


@strawberry.type
class AfterSalesMutation:
    @strawberry.mutation(description="Customer: ask for a refund or a return of some lines / quantities.")
    async def after_sales_request(self, info: strawberry.Info, input: AfterSalesRequestInput) -> AfterSalesPayload:
        from resolvers import aftersales_mutations

        return await aftersales_mutations.after_sales_request(info, input)

    @strawberry.mutation(description="Staff: approve (all or part) or reject; the approved amount is refunded.")
    async def after_sales_decide(self, info: strawberry.Info, input: AfterSalesDecideInput) -> AfterSalesPayload:
        from resolvers import aftersales_mutations

        return await aftersales_mutations.after_sales_decide(info, input)

    @strawberry.mutation(description="Customer: the goods arrived (confirmed automatically after the configured time).")
    async def order_confirm_receipt(self, info: strawberry.Info, input: OrderConfirmReceiptInput) -> OrderConfirmReceiptPayload:
        from resolvers import aftersales_mutations

        return await aftersales_mutations.order_confirm_receipt(info, input)
