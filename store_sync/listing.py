"""Per-store listing: which SKUs a store sells (issue 16: "listing per store").

Every SKU of the brand is listed in every store until someone de-lists it (a `store_listing`
row with listed = false). A de-listed SKU is hidden from that store's storefront
(commerce.offers marks it, the catalog filters it), and cart and checkout refuse it with
NOT_LISTED_IN_STORE.

Who may change it: a store manager or the store's API key (MANAGE_STOCK) may always de-list.
Re-listing follows the `storefront` control policy of the store network
(store_network.policies): under STRONG only the deciding node or those above it (HQ, or a
partner holding the lock) may re-list, so a store cannot bring back what HQ took off its
shelves. A batch works like the stock and price batches (store_sync.bulk): one idempotency
key, per-row results, a version per row so an older update never overwrites a newer one.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from core.clock import utc_now
from events import ListingChanged
from events.registry import emit_many
from store_network.access import load_store
from store_network.control import ControlledAttribute, may_change
from store_network.policies import control_chain
from store_sync.bulk import RowResult, RowStatus, _chunks, _insert, _newer, _reject, _resolve
from store_sync.errors import SyncErrorCode as Codes
from store_sync.listed import delisted_skus  # noqa: F401 - re-exported
from store_sync.models import StoreListing


@dataclass
class ListingRow:
    sku_code: str | None = None
    sku_id: int | None = None
    listed: bool = True
    version: int | None = None  # required


async def sync_listing(session: AsyncSession, principal: Principal, store_id: int, rows: list[ListingRow]) -> list[RowResult]:
    store, path = await load_store(session, principal, store_id, Codes, Permission.MANAGE_STOCK)
    may_relist = may_change(principal, await control_chain(session, store.tenant_id, path, ControlledAttribute.ASSORTMENT),
                            Permission.MANAGE_STOCK)
    resolved = await _resolve(session, store.tenant_id, rows)
    results = resolved.results
    candidates: dict[int, tuple[int, bool]] = {}
    for index, sku in resolved.skus.items():
        row, result = rows[index], results[index]
        if row.version is None:
            _reject(result, Codes.REQUIRED, "a listing change needs a version")
        elif row.listed and not may_relist:
            _reject(result, Codes.LISTING_LOCKED_BY_HQ, "this store's assortment is set centrally (strong assortment control): only HQ may re-list")
        else:
            candidates[index] = (sku.id, bool(row.listed))
    if not candidates:
        return results
    fresh = await _newer(session, store.tenant_id, store.id, "listing", {sku_id: rows[i].version for i, (sku_id, _) in candidates.items()})
    now = utc_now()
    changed: list[tuple[int, bool]] = []
    for index, (sku_id, listed) in candidates.items():
        result = results[index]
        if sku_id not in fresh:
            result.status, result.code, result.message = RowStatus.STALE, Codes.STALE_VERSION, "a newer listing change was already applied"
            continue
        result.status, result.listed = RowStatus.APPLIED, listed
        changed.append((sku_id, listed))
    upsert = _insert(session, StoreListing)
    upsert = upsert.on_conflict_do_update(
        index_elements=[StoreListing.store_id, StoreListing.sku_id],
        set_={"listed": upsert.excluded.listed, "updated_at": upsert.excluded.updated_at},
    )
    for chunk in _chunks(sorted(changed)):
        await session.execute(upsert, [{"store_id": store.id, "sku_id": s, "tenant_id": store.tenant_id, "listed": listed, "updated_at": now}
                                       for s, listed in chunk])
    actor = principal.staff_id or principal.api_key_id
    await emit_many(session, [
        ListingChanged(tenant_id=store.tenant_id, at=now, store_id=store.id, sku_id=s, listed=listed, actor_id=actor) for s, listed in changed
    ])
    return results
