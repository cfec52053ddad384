"""Listeners by event type, and `emit`.

Listeners are registered once at start-up (events.wiring.register_listeners) and run in
registration order inside the emitting transaction. Registering the same listener for the
same type again is a no-op, so start-up code may run more than once (several apps in one
process, test fixtures).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import literal_column
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import DomainEventRecord
from events.types import Event

Listener = Callable[[AsyncSession, Event], Awaitable[None]]

_listeners: list[tuple[type[Event], Listener]] = []


def register(event_type: type[Event], listener: Listener) -> None:
    if (event_type, listener) not in _listeners:
        _listeners.append((event_type, listener))


def listeners_for(event: Event) -> list[Listener]:
    return [listener for event_type, listener in _listeners if isinstance(event, event_type)]


async def emit(session: AsyncSession, event: Event) -> None:
    """Record the event in the outbox and run its listeners, all in the caller's transaction
    (a rolled-back change leaves neither the row nor the listeners' writes)."""
    session.add(
        DomainEventRecord(
            tenant_id=event.tenant_id,
            type=event.type,
            aggregate_type=event.aggregate_type,
            aggregate_id=event.aggregate_id,
            payload=event.payload(),
            created_at=event.at,
            txid=current_txid(session),
        )
    )
    for listener in listeners_for(event):
        await listener(session, event)


_PG_TXID = "pg_current_xact_id()::text::bigint"


def current_txid(session: AsyncSession):
    """What goes in domain_event.txid: on PostgreSQL the writing transaction's xid8 (an SQL
    expression evaluated by the INSERT), elsewhere 0 (SQLite has one writer at a time)."""
    return literal_column(_PG_TXID) if session.bind.dialect.name == "postgresql" else 0


async def emit_many(session: AsyncSession, events: list[Event]) -> None:
    """`emit` for a bulk change: the outbox rows go in with one multi-row statement per 1,000
    events instead of one INSERT each; listeners still run for every event."""
    rows = [
        {"tenant_id": e.tenant_id, "type": e.type, "aggregate_type": e.aggregate_type, "aggregate_id": e.aggregate_id,
         "payload": e.payload(), "created_at": e.at}
        for e in events
    ]
    statement = DomainEventRecord.__table__.insert().values(txid=current_txid(session))  # Core: no ORM bookkeeping
    for start in range(0, len(rows), 1000):
        await session.execute(statement, rows[start:start + 1000])
    for event in events:
        for listener in listeners_for(event):
            await listener(session, event)
