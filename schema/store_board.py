"""Store-wide live events for staff boards (`storeBoardEvents`): types only (resolvers/store_board.py)."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from schema.couriers import CourierDeliveryState, CourierProvider
from schema.dispatch import DeliveryTaskState
from schema.enums import OrderStatus


@strawberry.enum(description="What happened at the store. SNAPSHOT comes first, on every (re)subscription: re-read "
                 "the board then. ORDER_*: an order was placed or changed status; TASK_CHANGED: an own rider's task "
                 "changed (assigned, accepted, picked up, ended, handed to a courier); COURIER_CHANGED: a courier "
                 "partner's delivery changed state.")
class StoreBoardEventKind(Enum):
    SNAPSHOT = "SNAPSHOT"
    ORDER_CREATED = "ORDER_CREATED"
    ORDER_PAID = "ORDER_PAID"
    ORDER_STATUS_CHANGED = "ORDER_STATUS_CHANGED"
    ORDER_CANCELLED = "ORDER_CANCELLED"
    ORDER_REFUNDED = "ORDER_REFUNDED"
    TASK_CHANGED = "TASK_CHANGED"
    COURIER_CHANGED = "COURIER_CHANGED"


@strawberry.type(description="One store-wide event, sent after the change committed. Ids only: re-read what the board shows.")
class StoreBoardEvent:
    kind: StoreBoardEventKind
    store_id: strawberry.ID
    order_id: strawberry.ID | None
    order_number: str | None
    order_status: OrderStatus | None = strawberry.field(description="The order's status after the change.")
    promised_by: datetime | None
    task_state: DeliveryTaskState | None = strawberry.field(description="TASK_CHANGED: the task's new state.")
    rider_id: strawberry.ID | None
    courier_provider: CourierProvider | None = strawberry.field(description="COURIER_CHANGED: the partner.")
    courier_state: CourierDeliveryState | None = strawberry.field(description="COURIER_CHANGED: the partner delivery's new state.")
    open_orders: int | None = strawberry.field(description="SNAPSHOT: the store's same-city orders on the board now (PAID to DELIVERING).")
    at: datetime
