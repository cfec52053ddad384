"""Reading the outbox: a consumer keeps the last id it handled and asks for what came after.

Ids grow in insert order. On PostgreSQL a transaction that inserted a lower id can commit
after one with a higher id, so a reader that has just passed id N may later see N-1 appear:
consumers that must see every event re-read a short window behind their cursor and skip ids
they handled (events are immutable, so a re-read is harmless).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events.models import DomainEventRecord

MAX_BATCH = 1000


async def read_after(
    session: AsyncSession, tenant_id: int, cursor: int = 0, limit: int = 100, types: tuple[str, ...] | None = None
) -> list[DomainEventRecord]:
    """The tenant's events with id > cursor, oldest first, at most `limit` (≤ 1000)."""
    query = (
        select(DomainEventRecord)
        .where(DomainEventRecord.tenant_id == tenant_id, DomainEventRecord.id > cursor)
        .order_by(DomainEventRecord.id)
        .limit(max(1, min(limit, MAX_BATCH)))
    )
    if types:
        query = query.where(DomainEventRecord.type.in_(types))
    return list((await session.scalars(query)).all())
