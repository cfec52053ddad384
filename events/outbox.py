"""Reading the outbox.

Two readers:

* `read_after(cursor=id)`: the tenant's events with id > cursor. Simple, but on PostgreSQL ids
  are allocated at INSERT and transactions commit out of order, so a reader that has passed id
  N can later see N-1 appear (the transaction that took N-1 committed after N's). Fine for
  looking around; wrong for a consumer that must see every event once.

* `read_settled(after=Position)`: the one consumers that must not miss anything use (webhook
  dispatch). Every event records the id of the transaction that wrote it (`txid`, xid8 on
  PostgreSQL). The reader only returns events whose txid is below the oldest transaction still
  running (`pg_snapshot_xmin(pg_current_snapshot())`): every transaction older than that has
  finished, so the set of events with a smaller txid is final — nothing can be added to it
  later. Reading that set in (txid, id) order with a (txid, id) cursor therefore never skips
  an event, however transactions interleave. The price is latency: an event waits until every
  transaction that started before its own has ended (usually milliseconds). On SQLite there is
  one writer at a time, txid is 0, and the order is plain id order.
"""
from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import and_, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import DomainEventRecord

MAX_BATCH = 1000


class Position(NamedTuple):
    """A place in a tenant's settled event order: after the event (txid, id)."""

    txid: int = 0
    id: int = 0


START = Position(0, 0)


async def read_after(
    session: AsyncSession, tenant_id: int, cursor: int = 0, limit: int = 100, types: tuple[str, ...] | None = None
) -> list[DomainEventRecord]:
    """The tenant's events with id > cursor, oldest first, at most `limit` (≤ 1000). May miss
    events still being committed on PostgreSQL; consumers use read_settled."""
    query = (
        select(DomainEventRecord)
        .where(DomainEventRecord.tenant_id == tenant_id, DomainEventRecord.id > cursor)
        .order_by(DomainEventRecord.id)
        .limit(max(1, min(limit, MAX_BATCH)))
    )
    if types:
        query = query.where(DomainEventRecord.type.in_(types))
    return list((await session.scalars(query)).all())


def settled_condition(session: AsyncSession):
    """SQL condition: the event's transaction is older than every running transaction."""
    if session.bind.dialect.name != "postgresql":
        return literal_column("1") == 1
    return DomainEventRecord.txid < literal_column("pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


def after_condition(after: Position):
    return or_(
        DomainEventRecord.txid > after.txid,
        and_(DomainEventRecord.txid == after.txid, DomainEventRecord.id > after.id),
    )


async def read_settled(
    session: AsyncSession,
    tenant_id: int,
    after: Position = START,
    limit: int = 100,
    types: tuple[str, ...] | None = None,
) -> list[DomainEventRecord]:
    """The tenant's settled events after `after`, in (txid, id) order, at most `limit` (≤ 1000).
    Advance the cursor to `position(last)`; no event can later appear behind it."""
    query = (
        select(DomainEventRecord)
        .where(DomainEventRecord.tenant_id == tenant_id, after_condition(after), settled_condition(session))
        .order_by(DomainEventRecord.txid, DomainEventRecord.id)
        .limit(max(1, min(limit, MAX_BATCH)))
    )
    if types:
        query = query.where(DomainEventRecord.type.in_(types))
    return list((await session.scalars(query)).all())


def position(record: DomainEventRecord) -> Position:
    return Position(record.txid, record.id)
