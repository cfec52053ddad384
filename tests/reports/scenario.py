"""Orders driven through the real transitions and refunds at chosen instants, so the report's
day boundaries (Asia/Shanghai, UTC+8) can be placed exactly. No order lines: stock is not what
these tests are about, and a line-less order moves through every status."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from commerce.models import Order
from commerce.order_status import ActorType, OrderStatus
from commerce.orders import apply_transition
from payments.models import Payment
from payments.refunds import reserve_refund, settle_refund


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


async def new_order(database, world, store: str, total_fen: int, fulfilment: str, *, created: datetime,
                    promised_by: datetime | None = None) -> int:
    async with database.write() as session:
        order = Order(
            tenant_id=world.tenant_id, number=f"R{uuid.uuid4().hex[:12]}", customer_id=world.customer_ids["alice"],
            store_id=world.store_ids[store], status="UNPAID", fulfilment_type=fulfilment, currency="CNY",
            subtotal_fen=total_fen, total_fen=total_fen, stock_state="RESERVED", promised_by=promised_by,
            created_at=created, updated_at=created,
        )
        session.add(order)
        await session.flush()
        return order.id


async def move(database, order_id: int, *steps: tuple[str, datetime]) -> None:
    for status, at in steps:
        async with database.write() as session:
            order = await session.get(Order, order_id)
            actor = ActorType.SYSTEM if status in ("PAID",) else ActorType.STAFF
            await apply_transition(session, order, OrderStatus(status), actor=actor, actor_id=None, now=at)
            if status == "PAID":
                session.add(Payment(tenant_id=order.tenant_id, order_id=order.id, provider="SANDBOX",
                                    provider_ref=f"p-{uuid.uuid4().hex}", amount_fen=order.total_fen,
                                    captured_fen=order.total_fen, currency="CNY", status="SUCCEEDED"))


async def partial_refund(database, order_id: int, amount_fen: int, at: datetime) -> None:
    async with database.write() as session:
        payment = await session.scalar(Payment.__table__.select().where(Payment.order_id == order_id).with_only_columns(Payment.id))
        payment = await session.get(Payment, payment)
        refund, _ = await reserve_refund(session, payment, key=f"k-{uuid.uuid4()}", amount_fen=amount_fen, reason="test")
        number = refund.out_refund_no
    async with database.write() as session:
        assert await settle_refund(session, number, "SUCCEEDED", at) == "REFUNDED"


DELIVERY = ("PICKING", "READY", "DELIVERING")
