"""Store-wide live events for staff boards: one channel per store, beside the per-order tracking ones.

The dispatch board of a store must learn about orders that have no stream yet (a new order), so
every order event of the store is also published, after commit, on
`qiandian:{tenant}:store:{store}:board` (`store_channel`), through the same TrackingHub (same
broker, same deployment namespace, same after-commit topic) as `orderTracking`:

    {"kind": "ORDER_CREATED" | "ORDER_PAID" | "ORDER_STATUS_CHANGED" | "ORDER_CANCELLED" | "ORDER_REFUNDED",
     "orderId": 7, "number": "...", "orderStatus": "PAID", "promisedBy": "...Z" | null, "at": "...Z"}
    {"kind": "TASK_CHANGED", "orderId": 7, "number": "...", "taskState": "ACCEPTED", "riderId": 3, "at": "..."}
    {"kind": "COURIER_CHANGED", "orderId": 7, "number": "...", "courier": "DADA", "courierState": "PICKED_UP", "at": "..."}

Messages are small and carry ids, never addresses or names: a board re-reads what it shows.

`listen` bounds what one subscriber may hold: the broker is drained into a queue of at most
QUEUE_LIMIT messages by a task of its own; a subscriber that falls further behind is cut off
(the broker subscription is dropped at once and the reader gets SlowConsumer), so a stalled
websocket never makes the process hold more.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.session import defer
from delivery.tracking import TOPIC
from events import DeliveryTaskChanged, OrderCreated, OrderTransitioned, register

QUEUE_LIMIT = 100  # messages a subscriber may be behind before it is disconnected

ORDER_KINDS = {"order.paid": "ORDER_PAID", "order.cancelled": "ORDER_CANCELLED", "order.refunded": "ORDER_REFUNDED"}


class SlowConsumer(Exception):
    """The subscriber fell more than QUEUE_LIMIT messages behind; it must re-read and resubscribe."""


def store_channel(tenant_id: int, store_id: int) -> str:
    return f"qiandian:{tenant_id}:store:{store_id}:board"


def publish_after_commit(session: AsyncSession, tenant_id: int, store_id: int, message: dict) -> None:
    """Queue `message` for the store's channel; it leaves once the transaction commits (db.session.defer)."""
    defer(session, TOPIC, (store_channel(tenant_id, store_id), message))


async def _order_facts(session: AsyncSession, order_id: int) -> tuple[str, object, str]:
    from commerce.models import Order

    # Columns, not the identity map's row: transitions and slot booking change the order with
    # UPDATE statements that do not refresh it (an express promise is set on payment).
    row = (await session.execute(select(Order.number, Order.promised_by, Order.status).where(Order.id == order_id))).one()
    return row.number, row.promised_by, row.status


async def on_order_created(session: AsyncSession, event: OrderCreated) -> None:
    number, promised_by, status = await _order_facts(session, event.order_id)
    publish_after_commit(session, event.tenant_id, event.store_id, {
        "kind": "ORDER_CREATED", "orderId": event.order_id, "number": number, "orderStatus": status,
        "promisedBy": promised_by.isoformat() if promised_by else None, "at": event.at.isoformat()})


async def on_order_transitioned(session: AsyncSession, event: OrderTransitioned) -> None:
    number, promised_by, _ = await _order_facts(session, event.order_id)
    publish_after_commit(session, event.tenant_id, event.store_id, {
        "kind": ORDER_KINDS.get(event.type, "ORDER_STATUS_CHANGED"), "orderId": event.order_id, "number": number,
        "orderStatus": event.to_status, "promisedBy": promised_by.isoformat() if promised_by else None,
        "at": event.at.isoformat()})


async def on_task_changed(session: AsyncSession, event: DeliveryTaskChanged) -> None:
    number, _, status = await _order_facts(session, event.order_id)
    publish_after_commit(session, event.tenant_id, event.store_id, {
        "kind": "TASK_CHANGED", "orderId": event.order_id, "number": number, "orderStatus": status,
        "taskState": event.state, "riderId": event.rider_id, "at": event.at.isoformat()})


async def publish_courier_state(session: AsyncSession, tenant_id: int, store_id: int, order_id: int,
                                provider: str, state: str, at) -> None:
    """A partner courier's delivery changed state (delivery.couriers.service)."""
    number, _, status = await _order_facts(session, order_id)
    publish_after_commit(session, tenant_id, store_id, {
        "kind": "COURIER_CHANGED", "orderId": order_id, "number": number, "orderStatus": status,
        "courier": provider, "courierState": state, "at": at.isoformat()})


def register_listeners() -> None:
    """Idempotent. Registered after delivery's own order listeners, so the promise and the task
    state read here are the ones those listeners left."""
    register(OrderCreated, on_order_created)
    register(OrderTransitioned, on_order_transitioned)
    register(DeliveryTaskChanged, on_task_changed)


_OVERFLOW = object()


@contextlib.asynccontextmanager
async def listen(hub, channel: str, limit: int | None = None) -> AsyncIterator[AsyncIterator[dict]]:
    """Subscribe to `channel` (returns once the broker confirmed, so nothing published after
    entering is missed) and yield the messages; SlowConsumer once more than `limit` wait."""
    limit = QUEUE_LIMIT if limit is None else limit
    queue: asyncio.Queue = asyncio.Queue()  # never more than limit + 1 items: the pump stops at the limit
    ready = asyncio.Event()
    failed: list[Exception] = []

    async def pump() -> None:
        try:
            async with hub.subscribe(channel) as messages:
                ready.set()
                async for message in messages:
                    if queue.qsize() >= limit:
                        queue.put_nowait(_OVERFLOW)
                        return  # leaves the broker subscription: nothing more is buffered for this reader
                    queue.put_nowait(message)
        except Exception as exc:  # noqa: BLE001 - handed to the reader, which raises it
            failed.append(exc)
            queue.put_nowait(exc)
        finally:
            ready.set()

    task = asyncio.create_task(pump())

    async def messages():
        while True:
            item = await queue.get()
            if item is _OVERFLOW:
                raise SlowConsumer(f"more than {limit} events behind")
            if isinstance(item, Exception):
                raise item
            yield item

    try:
        await ready.wait()
        if task.done() and failed:
            raise failed[0]  # the broker refused the subscription: say so before any snapshot
        yield messages()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
