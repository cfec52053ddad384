"""The read side of per-store listing, light enough for commerce (cart, checkout) to import:
it depends on the model only (store_sync.listing holds the writes)."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from store_sync.models import StoreListing


async def delisted_skus(session, store_id: int, sku_ids: Iterable[int]) -> set[int]:
    """The SKUs among `sku_ids` that this store has de-listed (one query)."""
    wanted = set(sku_ids)
    if not wanted:
        return set()
    rows = await session.scalars(select(StoreListing.sku_id).where(
        StoreListing.store_id == store_id, StoreListing.sku_id.in_(wanted), StoreListing.listed.is_(False)))
    return set(rows.all())
