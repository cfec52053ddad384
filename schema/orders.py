"""Cart, order and payment types."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.nodes import EncodedIdNode
from strawberry import relay
from strawberry.types import Info

from schema.ids import encode, node_pk

from commerce import models
from payments import models as payment_models
from schema.catalog import Sku
from schema.common import Money
from schema.delivery import OrderSlot, PickupCode, SlotKind
from schema.enums import FulfilmentType, OrderStatus, PaymentStatus
from schema.store import Store

if TYPE_CHECKING:
    from schema.dispatch import DeliveryProof


@strawberry.type
class CartLine:
    quantity: int
    sku_id: strawberry.Private[int]
    store_id: strawberry.Private[int]

    @strawberry.field
    async def sku(self, info: Info) -> Sku | None:
        row = await info.context.loaders.sku.load(self.sku_id)
        if row is None:
            return None
        product = await info.context.loaders.product.load(row.product_id)
        return (await Sku.in_store(info, [row], product.sold_by if product else None, self.store_id))[0]


@strawberry.type
class Cart(EncodedIdNode):
    id: relay.NodeID[str]
    cart_id: strawberry.Private[int | None]
    store_id: strawberry.Private[int]

    @strawberry.field
    async def lines(self, info: Info) -> list[CartLine]:
        if self.cart_id is None:
            return []
        rows = await info.context.loaders.cart_lines.load(self.cart_id)
        return [CartLine(quantity=r.quantity, sku_id=r.sku_id, store_id=self.store_id) for r in rows]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        from resolvers import nodes

        return await nodes.carts(info, node_ids)


@strawberry.type
class OrderLine:
    id: strawberry.ID  # the line's global id (OrderLine): after-sales and partial refunds name it
    product_name: str
    sku_code: str
    quantity: int
    unit_price: Money
    price_per: int
    total: Money


@strawberry.type(description="One status change, with who made it.")
class OrderEvent:
    from_status: OrderStatus | None
    to_status: OrderStatus
    actor_type: str
    reason: str
    created_at: datetime


@strawberry.type
class ShippingAddress:
    recipient: str
    mobile: str
    line: str
    longitude: float
    latitude: float


@strawberry.type
class Order(relay.Node):
    id: relay.NodeID[int]
    number: str
    status: OrderStatus
    fulfilment_type: FulfilmentType
    subtotal: Money
    delivery_fee: Money
    total: Money
    note: str
    shipping_address: ShippingAddress | None
    expires_at: datetime | None = strawberry.field(description="An unpaid order is cancelled at this time.")
    paid_at: datetime | None
    created_at: datetime
    promised_by: datetime | None = strawberry.field(
        default=None, description="Deadline dispatch must meet: the slot's end, or payment + 30 minutes for EXPRESS_30."
    )
    store_id: strawberry.Private[int]
    currency: strawberry.Private[str]
    customer_id: strawberry.Private[int | None] = None
    slot: strawberry.Private[tuple | None] = None  # (kind, starts_at, ends_at) of the booked slot

    @strawberry.field(description="The booked delivery or pickup slot, if any.")
    def delivery_slot(self) -> OrderSlot | None:
        if self.slot is None:
            return None
        kind, starts_at, ends_at = self.slot
        return OrderSlot(kind=SlotKind(kind), starts_at=starts_at, ends_at=ends_at)

    @strawberry.field(description="STORE_PICKUP orders once paid; only the order's customer sees it.")
    async def pickup_code(self, info: Info) -> PickupCode | None:
        from resolvers.slot_queries import pickup_code_of

        return await pickup_code_of(info, self.id, self.customer_id)

    @strawberry.field(description="SAME_CITY_DELIVERY orders once paid: the code the rider asks for at the door. Only the order's customer sees it.")
    async def delivery_proof(self, info: Info) -> Annotated["DeliveryProof", strawberry.lazy("schema.dispatch")] | None:
        from resolvers.dispatch_queries import delivery_proof_of

        return await delivery_proof_of(info, self.id, self.customer_id)

    @strawberry.field(description="Taken off by promotions and coupons: subtotal + delivery fee - total.")
    def discount(self) -> Money:
        from decimal import Decimal

        fen = int((Decimal(self.subtotal.amount) + Decimal(self.delivery_fee.amount) - Decimal(self.total.amount)) * 100)
        return Money.of(fen, self.currency)

    @strawberry.field(description="Promotions, coupons and flash sales this order used, each with the version it was placed under.")
    async def applied_promotions(self, info: Info) -> list[Annotated["AppliedPromotion", strawberry.lazy("schema.promotions")]]:
        from resolvers.promotions import applied_to_order

        return await applied_to_order(info, self.id, self.currency)

    @classmethod
    def from_row(cls, row: models.Order) -> "Order":
        address = row.shipping_address
        return cls(
            id=row.id,
            number=row.number,
            status=OrderStatus(row.status),
            fulfilment_type=FulfilmentType(row.fulfilment_type),
            subtotal=Money.of(row.subtotal_fen, row.currency),
            delivery_fee=Money.of(row.delivery_fee_fen, row.currency),
            total=Money.of(row.total_fen, row.currency),
            note=row.note,
            shipping_address=ShippingAddress(
                recipient=address["recipient"],
                mobile=address["mobile"],
                line=address["line"],
                longitude=address["lon"],
                latitude=address["lat"],
            )
            if address
            else None,
            expires_at=row.expires_at if row.status == "UNPAID" else None,
            paid_at=row.paid_at,
            created_at=row.created_at,
            store_id=row.store_id,
            currency=row.currency,
            promised_by=row.promised_by,
            customer_id=row.customer_id,
            slot=_slot_of(row),
        )

    @strawberry.field
    async def lines(self, info: Info) -> list[OrderLine]:
        rows = await info.context.loaders.order_lines.load(self.id)
        return [
            OrderLine(
                id=strawberry.ID(encode("OrderLine", r.id)),
                product_name=r.product_name,
                sku_code=r.sku_code,
                quantity=r.quantity,
                unit_price=Money.of(r.unit_price_fen, self.currency),
                price_per=r.price_per_quantity,
                total=Money.of(r.line_total_fen, self.currency),
            )
            for r in rows
        ]

    @strawberry.field
    async def events(self, info: Info) -> list[OrderEvent]:
        rows = await info.context.loaders.order_events.load(self.id)
        return [
            OrderEvent(
                from_status=OrderStatus(r.from_status) if r.from_status else None,
                to_status=OrderStatus(r.to_status),
                actor_type=r.actor_type,
                reason=r.reason,
                created_at=r.created_at,
            )
            for r in rows
        ]

    @strawberry.field
    async def store(self, info: Info) -> Store:
        row = await info.context.loaders.store.load(self.store_id)
        return Store.from_row(row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        from resolvers.orders import visible_orders

        pks = [node_pk(str(i)) for i in node_ids]
        found = iter(await visible_orders(info, [pk for pk in pks if pk is not None]))
        return [None if pk is None else next(found) for pk in pks]


def _slot_of(row: models.Order) -> tuple | None:
    if row.slot_kind is None:
        return None
    if row.slot_kind == "EXPRESS_30":  # stored start is the capacity bucket; show the promise instead
        return row.slot_kind, row.paid_at or row.created_at, row.promised_by
    return row.slot_kind, row.slot_starts_at, row.slot_ends_at


@strawberry.type
class Payment(EncodedIdNode):
    id: relay.NodeID[str]
    provider: str
    status: PaymentStatus
    amount: Money

    @classmethod
    def from_row(cls, row: payment_models.Payment) -> "Payment":
        from schema.ids import encode

        return cls(
            id=strawberry.ID(encode("Payment", row.id)),
            provider=row.provider,
            status=PaymentStatus(row.status),
            amount=Money.of(row.amount_fen, row.currency),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        from resolvers import nodes

        return await nodes.payments(info, node_ids)

