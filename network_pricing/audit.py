"""The price audit: one price_change row per change, written in the changing transaction, and
the price.changed event beside it (events.PriceChanged) so webhooks and listeners hear it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Principal
from events import PriceChanged
from events.registry import emit_many
from network_pricing.models import PriceChange

CHUNK = 1000


class Source(str, Enum):
    STORE = "STORE"
    PARTNER = "PARTNER"
    TIME = "TIME"


class Channel(str, Enum):
    API = "API"
    CSV = "CSV"
    POS = "POS"


@dataclass(frozen=True, slots=True)
class Change:
    node_id: int
    store_id: int | None
    sku_id: int
    old_fen: int | None
    new_fen: int | None
    time_price_id: int | None = None


async def record(
    session: AsyncSession, principal: Principal, tenant_id: int, changes: list[Change], *,
    source: Source, channel: Channel, reason: str = "", at: datetime,
) -> None:
    """Write the audit rows (executemany, in chunks) and emit one price.changed per change."""
    if not changes:
        return
    reason = (reason or "")[:200]
    rows = [
        {"tenant_id": tenant_id, "node_id": c.node_id, "store_id": c.store_id, "sku_id": c.sku_id, "old_fen": c.old_fen,
         "new_fen": c.new_fen, "source": source.value, "channel": channel.value, "actor_staff_id": principal.staff_id,
         "actor_api_key_id": principal.api_key_id, "time_price_id": c.time_price_id, "reason": reason, "at": at}
        for c in changes
    ]
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(PriceChange), rows[start:start + CHUNK])
    actor = principal.staff_id or principal.api_key_id
    await emit_many(session, [
        PriceChanged(tenant_id=tenant_id, at=at, store_id=c.store_id, node_id=c.node_id, sku_id=c.sku_id, price_fen=c.new_fen,
                     old_price_fen=c.old_fen, source=source.value, channel=channel.value, actor_id=actor)
        for c in changes
    ])
