"""Domain events: typed facts about state changes, their listeners, and the durable outbox.

Domain code calls `emit(session, event)` inside the transaction that made the change. The
event is written to the `domain_event` table in that transaction (the outbox later readers
such as webhooks, commission and courier sync consume with `events.outbox.read_after`) and
handed to the listeners registered at start-up (`events.wiring.register_listeners`), which
run in the same transaction: a listener's error rolls the change back. Nothing here imports
strawberry or any domain package.
"""
from events.registry import emit, register
from events.types import (
    DeliveryTaskChanged,
    Event,
    ListingChanged,
    OrderCancelled,
    OrderCreated,
    OrderPaid,
    OrderRefunded,
    OrderStatusChanged,
    OrderTransitioned,
    PriceChanged,
    StockChanged,
    VoucherRedeemed,
    WebhookEndpointDisabled,
    order_transitioned,
)

__all__ = [
    "DeliveryTaskChanged", "Event", "ListingChanged", "OrderCancelled", "OrderCreated", "OrderPaid", "OrderRefunded", "OrderStatusChanged", "OrderTransitioned",
    "PriceChanged", "StockChanged", "VoucherRedeemed", "WebhookEndpointDisabled", "emit", "order_transitioned", "register",
]
