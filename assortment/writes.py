"""Writing listing changes: one upsert per chunk and one listing.changed event per change.
Shared by the POS listing sync (store_sync.listing) and staff changes (assortment.service)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from events import ListingChanged
from events.registry import emit_many
from store_sync.bulk import _chunks, _insert
from store_sync.models import StoreListing


async def current_listing(session: AsyncSession, store_id: int, sku_ids) -> dict[int, bool]:
    """Each SKU's listed state in the store (no row: listed)."""
    wanted = set(sku_ids)
    state = dict.fromkeys(wanted, True)
    for chunk in _chunks(sorted(wanted)):
        rows = await session.execute(
            select(StoreListing.sku_id, StoreListing.listed).where(StoreListing.store_id == store_id, StoreListing.sku_id.in_(chunk))
        )
        state.update({sku_id: bool(listed) for sku_id, listed in rows.all()})
    return state


async def apply_listing(
    session: AsyncSession, tenant_id: int, store_id: int, changes: list[tuple[int, bool]], actor_id: int | None, now: datetime
) -> None:
    """Write (sku_id, listed) pairs for one store and emit listing.changed for each."""
    if not changes:
        return
    upsert = _insert(session, StoreListing)
    upsert = upsert.on_conflict_do_update(
        index_elements=[StoreListing.store_id, StoreListing.sku_id],
        set_={"listed": upsert.excluded.listed, "updated_at": upsert.excluded.updated_at},
    )
    for chunk in _chunks(sorted(changes)):
        await session.execute(upsert, [{"store_id": store_id, "sku_id": s, "tenant_id": tenant_id, "listed": listed, "updated_at": now}
                                       for s, listed in chunk])
    await emit_many(session, [
        ListingChanged(tenant_id=tenant_id, at=now, store_id=store_id, sku_id=s, listed=listed, actor_id=actor_id) for s, listed in changes
    ])
