"""Watching what an order change leaves behind: its domain_event rows and its live-tracking messages."""
from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import select

from delivery.tracking import order_channel
from tests.dispatch_api.helpers import pk
from tests.worlds import World

GUARD_S = 10  # against a hang only: a message that is due arrives in milliseconds


async def outbox_rows(world: World, order_gid: str) -> list[tuple[str, dict]]:
    """(type, payload) of the order's events, oldest first."""
    from events.models import DomainEventRecord

    async with world.services.database.read() as session:
        rows = (await session.scalars(
            select(DomainEventRecord)
            .where(DomainEventRecord.tenant_id == world.tenant_id, DomainEventRecord.aggregate_type == "order",
                   DomainEventRecord.aggregate_id == pk(order_gid))
            .order_by(DomainEventRecord.id)
        )).all()
    return [(row.type, row.payload) for row in rows]


class Watcher:
    def __init__(self, messages):
        self._messages = messages

    async def next_status(self) -> dict:
        """The next STATUS message on the channel (rider positions are skipped)."""
        while True:
            message = await asyncio.wait_for(self._messages.__anext__(), GUARD_S)
            if message["type"] == "STATUS":
                return message


@contextlib.asynccontextmanager
async def watching(world: World, order_gid: str):
    """Subscribed to the order's tracking channel on the suite's hub (the app's own)."""
    async with world.services.tracking.subscribe(order_channel(world.tenant_id, pk(order_gid))) as messages:
        yield Watcher(messages)
