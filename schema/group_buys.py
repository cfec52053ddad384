"""GraphQL types of group buys (拼团); the domain is promotions.group_buys."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.common import Money
from schema.enums import FulfilmentType
from schema.promotions import PromotionError


@strawberry.enum
class GroupBuyGroupStatus(Enum):
    OPEN = "OPEN"
    FORMED = "FORMED"
    FAILED = "FAILED"


@strawberry.type
class GroupBuy:
    id: strawberry.ID
    name: str
    sku_id: strawberry.ID
    store_id: strawberry.ID | None = strawberry.field(description="Null: groups may open at every store under the node.")
    price: Money = strawberry.field(description="The group price of one unit.")
    group_size: int
    window_hours: int = strawberry.field(description="Hours a group has, from opening, for all its members to pay.")
    per_customer_limit: int = strawberry.field(description="Places one customer may hold across this campaign's groups.")
    starts_at: datetime
    ends_at: datetime


@strawberry.type
class GroupBuyGroup:
    id: strawberry.ID
    group_buy: GroupBuy
    store_id: strawberry.ID
    status: GroupBuyGroupStatus
    size: int
    paid_members: int = strawberry.field(description="Members who paid; the group forms when this reaches size.")
    places_taken: int = strawberry.field(description="Members holding a place (paid, or with an unpaid order).")
    remaining: int = strawberry.field(description="Payments still needed to form the group.")
    expires_at: datetime
    formed_at: datetime | None
    share_token: str = strawberry.field(description="Signed; carries the group. Put it in the share link; joiners pass it to groupBuyJoin.")


@strawberry.input
class GroupBuyCreateInput:
    node_id: strawberry.ID
    sku_id: strawberry.ID
    name: str
    price: str = strawberry.field(description='The group price, e.g. "9.90".')
    group_size: int
    window_hours: int
    starts_at: datetime
    ends_at: datetime
    per_customer_limit: int = 1
    store_id: strawberry.ID | None = strawberry.field(default=None, description="Omit to run at every store under the node.")
    idempotency_key: str | None = strawberry.field(default=None, description="Client-generated: a retry with the same key returns the first answer.")


@strawberry.input
class GroupBuyStartInput:
    group_buy_id: strawberry.ID
    store_id: strawberry.ID
    fulfilment_type: FulfilmentType
    address_id: strawberry.ID | None = None
    note: str = ""
    idempotency_key: str | None = strawberry.field(default=None, description="Client-generated: a retry with the same key returns the first answer.")


@strawberry.input
class GroupBuyJoinInput:
    share_token: str
    fulfilment_type: FulfilmentType
    address_id: strawberry.ID | None = None
    note: str = ""
    idempotency_key: str | None = strawberry.field(default=None, description="Client-generated: a retry with the same key returns the first answer.")


@strawberry.type
class GroupBuyPayload:
    group_buy: GroupBuy | None = None
    errors: list[PromotionError] = strawberry.field(default_factory=list)


@strawberry.type
class GroupBuyPlacePayload:
    group: GroupBuyGroup | None = None
    order_id: strawberry.ID | None = strawberry.field(default=None, description="Your order at the group price: pay it (orderPay) to hold your place.")
    total: Money | None = None
    errors: list[PromotionError] = strawberry.field(default_factory=list)
