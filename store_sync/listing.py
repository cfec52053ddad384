"""Per-store listing: which SKUs a store sells (issue 16: "listing per store").

Every SKU of the brand is listed in every store until someone de-lists it (a `store_listing`
row with listed = false). A de-listed SKU is hidden from that store's storefront
(commerce.offers marks it, the catalog filters it), and cart and checkout refuse it with
NOT_LISTED_IN_STORE.

Who may change it: a store manager or the store's API key (MANAGE_STOCK) may de-list, except
a product HQ or a partner made mandatory (PRODUCT_MANDATORY). Re-listing follows the
assortment control policy of the store network: under STRONG only the deciding node or those
above it (HQ, or a partner holding the lock) may re-list, so a store cannot bring back what HQ
took off its shelves. Both checks live in assortment.rules, shared with staff changes (and
assortment.writes does the writing for both). A batch works like the stock and price batches
(store_sync.bulk): one idempotency key, per-row results, a version per row so an older update
never overwrites a newer one.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from assortment.rules import ListingRules
from assortment.writes import apply_listing
from auth.roles import Permission, Principal
from core.clock import utc_now
from store_network.access import load_store
from store_sync.bulk import RowResult, RowStatus, _newer, _reject, _resolve
from store_sync.errors import SyncErrorCode as Codes
from store_sync.listed import delisted_skus  # noqa: F401 - re-exported


@dataclass
class ListingRow:
    sku_code: str | None = None
    sku_id: int | None = None
    listed: bool = True
    version: int | None = None  # required


async def sync_listing(session: AsyncSession, principal: Principal, store_id: int, rows: list[ListingRow]) -> list[RowResult]:
    store, path = await load_store(session, principal, store_id, Codes, Permission.MANAGE_STOCK)
    resolved = await _resolve(session, store.tenant_id, rows)
    rules = await ListingRules.load(session, principal, store.tenant_id, path, [sku.id for sku in resolved.skus.values()])
    results = resolved.results
    candidates: dict[int, tuple[int, bool]] = {}
    for index, sku in resolved.skus.items():
        row, result = rows[index], results[index]
        if row.version is None:
            _reject(result, Codes.REQUIRED, "a listing change needs a version")
        elif refusal := rules.refusal(path, sku.id, bool(row.listed)):
            _reject(result, Codes(refusal.code), refusal.message)
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
    await apply_listing(session, store.tenant_id, store.id, sorted(changed), principal.staff_id or principal.api_key_id, now)
    return results
