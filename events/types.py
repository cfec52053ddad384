"""The event types. Each is a frozen dataclass of plain values: what the outbox stores as JSON.

`type` names the event for consumers ("order.paid"); `aggregate` says which row it is about.
Order transitions share one base class, so a listener registered for OrderTransitioned hears
every status change, and one for OrderCancelled only cancellations. One transition is one event.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str]
    aggregate_type: ClassVar[str]

    tenant_id: int
    at: datetime

    @property
    def aggregate_id(self) -> int:
        raise NotImplementedError

    def payload(self) -> dict:
        """Everything but the envelope (tenant, time), JSON-ready."""
        out = {}
        for f in fields(self):
            if f.name in ("tenant_id", "at"):
                continue
            value = getattr(self, f.name)
            out[f.name] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True, kw_only=True)
class OrderCreated(Event):
    type: ClassVar[str] = "order.created"
    aggregate_type: ClassVar[str] = "order"

    order_id: int
    number: str
    store_id: int
    customer_id: int
    fulfilment_type: str
    total_fen: int
    currency: str

    @property
    def aggregate_id(self) -> int:
        return self.order_id


@dataclass(frozen=True, kw_only=True)
class OrderTransitioned(Event):
    """Any order status change (commerce.orders.apply_transition); never emitted as such,
    only as one of its subclasses."""

    type: ClassVar[str] = "order.status_changed"
    aggregate_type: ClassVar[str] = "order"

    order_id: int
    store_id: int
    fulfilment_type: str
    from_status: str
    to_status: str
    actor_type: str
    actor_id: int | None
    reason: str

    @property
    def aggregate_id(self) -> int:
        return self.order_id


@dataclass(frozen=True, kw_only=True)
class OrderStatusChanged(OrderTransitioned):
    type: ClassVar[str] = "order.status_changed"


@dataclass(frozen=True, kw_only=True)
class OrderPaid(OrderTransitioned):
    type: ClassVar[str] = "order.paid"


@dataclass(frozen=True, kw_only=True)
class OrderCancelled(OrderTransitioned):
    type: ClassVar[str] = "order.cancelled"


@dataclass(frozen=True, kw_only=True)
class OrderRefunded(OrderTransitioned):
    type: ClassVar[str] = "order.refunded"


_TRANSITION_TYPES = {"PAID": OrderPaid, "CANCELLED": OrderCancelled, "REFUNDED": OrderRefunded}


def order_transitioned(**values) -> OrderTransitioned:
    """The event for a transition to `to_status`: paid, cancelled, refunded, or status changed."""
    return _TRANSITION_TYPES.get(values["to_status"], OrderStatusChanged)(**values)


@dataclass(frozen=True, kw_only=True)
class StockChanged(Event):
    """Staff changed a store's on-hand stock (a count or a movement). Reservations and order
    stock effects are implied by the order events and not repeated here."""

    type: ClassVar[str] = "stock.changed"
    aggregate_type: ClassVar[str] = "stock"

    store_id: int
    sku_id: int
    on_hand: int
    reserved: int
    actor_id: int | None

    @property
    def aggregate_id(self) -> int:
        return self.sku_id


@dataclass(frozen=True, kw_only=True)
class PriceChanged(Event):
    """A store's own price, a partner's price or a time price for a SKU was set, or cleared
    (`price_fen` None: the price above applies). `store_id` is None for a partner's price
    (`node_id` names the partner); `source` is STORE, PARTNER or TIME, `channel` API, CSV or POS."""

    type: ClassVar[str] = "price.changed"
    aggregate_type: ClassVar[str] = "store_price"

    store_id: int | None
    sku_id: int
    price_fen: int | None
    actor_id: int | None
    node_id: int | None = None
    old_price_fen: int | None = None
    source: str = "STORE"
    channel: str = "API"

    @property
    def aggregate_id(self) -> int:
        return self.sku_id


@dataclass(frozen=True, kw_only=True)
class DeliveryTaskChanged(Event):
    """A delivery task (delivery_assignment row) changed state: assigned by the engine or staff,
    accepted, at the store, picked up, delivered, rejected, released, cancelled, or handed to a courier."""

    type: ClassVar[str] = "delivery_task.changed"
    aggregate_type: ClassVar[str] = "delivery_task"

    task_id: int
    order_id: int
    store_id: int
    rider_id: int | None
    state: str
    by: str
    by_id: int | None
    reason: str

    @property
    def aggregate_id(self) -> int:
        return self.task_id


@dataclass(frozen=True, kw_only=True)
class WebhookEndpointDisabled(Event):
    """The webhook dispatcher gave up on an endpoint after a run of failed deliveries; the brand
    re-enables it with webhookEndpointReplay once the receiver works again."""

    type: ClassVar[str] = "webhook_endpoint.disabled"
    aggregate_type: ClassVar[str] = "webhook_endpoint"

    endpoint_id: int
    url: str
    consecutive_failures: int
    last_error: str

    @property
    def aggregate_id(self) -> int:
        return self.endpoint_id


def all_event_types() -> frozenset[str]:
    """Every `type` string an event can carry (the webhook event-type filter accepts these)."""
    found, stack = set(), list(Event.__subclasses__())
    while stack:
        cls = stack.pop()
        found.add(cls.type)
        stack.extend(cls.__subclasses__())
    return frozenset(found)


@dataclass(frozen=True, kw_only=True)
class VoucherRedeemed(Event):
    """A voucher was used at a store's counter (all of it, or part with partial use)."""

    type: ClassVar[str] = "voucher.redeemed"
    aggregate_type: ClassVar[str] = "voucher"

    voucher_id: int
    store_id: int
    amount_fen: int
    remaining_fen: int
    request_no: str
    actor_type: str
    actor_id: int | None

    @property
    def aggregate_id(self) -> int:
        return self.voucher_id


@dataclass(frozen=True, kw_only=True)
class RefundSucceeded(Event):
    """Money went back to the customer for part (or all) of a paid order (payments.refunds):
    points, coupons and commission listen to adjust by `amount_fen` / `lines`. The order's
    status does not change; `refunded_total_fen` is what this payment has given back so far."""

    type: ClassVar[str] = "refund.succeeded"
    aggregate_type: ClassVar[str] = "order"

    order_id: int
    payment_id: int
    refund_id: int
    out_refund_no: str
    amount_fen: int
    refunded_total_fen: int
    captured_fen: int
    lines: list  # [{line_id, sku_id, quantity, amount_fen}], empty for an amount-only refund
    restocked: bool
    reason: str

    @property
    def aggregate_id(self) -> int:
        return self.order_id


@dataclass(frozen=True, kw_only=True)
class OrderReceiptConfirmed(Event):
    """The customer confirmed receipt, or it was confirmed automatically after the configured
    time (aftersales): commission or points that wait for receipt can settle."""

    type: ClassVar[str] = "order.receipt_confirmed"
    aggregate_type: ClassVar[str] = "order"

    order_id: int
    confirmed_by: str  # CUSTOMER or AUTO

    @property
    def aggregate_id(self) -> int:
        return self.order_id


@dataclass(frozen=True, kw_only=True)
class ListingChanged(Event):
    """A store listed or de-listed a SKU (store_sync.listing): a de-listed SKU is hidden from
    that store's storefront and refused by its cart and checkout."""

    type: ClassVar[str] = "listing.changed"
    aggregate_type: ClassVar[str] = "store_listing"

    store_id: int
    sku_id: int
    listed: bool
    actor_id: int | None

    @property
    def aggregate_id(self) -> int:
        return self.sku_id


@dataclass(frozen=True, kw_only=True)
class StoreStatusChanged(Event):
    """A store moved along its lifecycle (store_network.lifecycle: OPENING_SOON, OPEN, PAUSED,
    CLOSED) through storeStatusSet or storeUpdate. Only OPEN trades."""

    type: ClassVar[str] = "store.status_changed"
    aggregate_type: ClassVar[str] = "store"

    store_id: int
    code: str
    from_status: str
    to_status: str
    actor_type: str  # STAFF or API_KEY
    actor_id: int | None

    @property
    def aggregate_id(self) -> int:
        return self.store_id


@dataclass(frozen=True, kw_only=True)
class NetworkNodeMoved(Event):
    """A partner or store was re-hung under another node (store_network.admin.move_node): every
    materialised path under `old_path` now starts with `new_path`. Domains that keep a copy of a
    node's path (promotions scope their campaigns by it) rewrite theirs in the same transaction."""

    type: ClassVar[str] = "network_node.moved"
    aggregate_type: ClassVar[str] = "network_node"

    node_id: int
    kind: str
    old_parent_id: int | None
    new_parent_id: int
    old_path: str
    new_path: str

    @property
    def aggregate_id(self) -> int:
        return self.node_id
