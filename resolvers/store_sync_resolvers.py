"""Thin resolvers for POS/ERP bulk sync (store_sync)."""
from __future__ import annotations

from strawberry.types import Info

from core.digits import ascii_int
from core.errors import DomainError
from core.money import MoneyError, parse_amount_to_fen
from resolvers.mutation_support import guarded
from schema import ids
from schema import store_systems as types
from schema.common import Money
from store_sync import batches, bulk, listing
from store_sync.errors import SyncErrorCode as Codes


def parse_version(raw: str | None) -> int | None:
    """ASCII digits to int (int() alone would read "１２" and "١٢"); anything else becomes -1,
    which the batch reports on that row as INVALID."""
    if raw is None:
        return None
    value = ascii_int(raw)
    return -1 if value is None else value


def parse_price(raw: str | None) -> int | None:
    if raw is None:
        return None
    try:
        return parse_amount_to_fen(raw)
    except MoneyError:
        return -1  # reported on the row as OUT_OF_RANGE


def _sku_id(raw, index: int) -> int | None:
    if raw is None:
        return None
    try:
        return ids.decode(raw, "Sku", Codes, f"rows.{index}.skuId")
    except DomainError:
        return 0  # no such SKU: the row reports UNKNOWN_SKU


def row_payload(row: dict) -> types.SyncRowResult:
    return types.SyncRowResult(
        index=row["index"], sku_code=row["skuCode"], status=types.SyncRowStatus(row["status"]),
        code=types.SyncErrorCode(row["code"]) if row["code"] else None, message=row["message"],
        on_hand=row["onHand"], reserved=row["reserved"], price=Money.of(row["priceFen"]) if row["priceFen"] is not None else None,
        listed=row.get("listed"),
    )


async def _run(info: Info, kind: str, store_gid: str, key: str, rows: list) -> types.StoreSyncPayload:
    async def work():
        store_id = ids.decode(store_gid, "Store", Codes, "storeId")
        results, replayed = await batches.run_batch(info.context.database, info.context.principal, kind, store_id, key, rows)
        return {**batches.summary(results), "replayed": replayed, "rows": [row_payload(r) for r in results]}

    return await guarded(types.StoreSyncPayload, types.SyncError, Codes, work)


async def store_stock_sync(info: Info, input: types.StoreStockSyncInput) -> types.StoreSyncPayload:
    rows = [
        bulk.StockRow(sku_code=r.sku_code, sku_id=_sku_id(r.sku_id, i), mode=bulk.Mode(r.mode.value if hasattr(r.mode, "value") else r.mode),
                      quantity=r.quantity, version=parse_version(r.version))
        for i, r in enumerate(input.rows)
    ]
    return await _run(info, "stock", input.store_id, input.idempotency_key, rows)


async def store_price_sync(info: Info, input: types.StorePriceSyncInput) -> types.StoreSyncPayload:
    rows = [
        bulk.PriceRow(sku_code=r.sku_code, sku_id=_sku_id(r.sku_id, i), price_fen=parse_price(r.price), version=parse_version(r.version))
        for i, r in enumerate(input.rows)
    ]
    return await _run(info, "price", input.store_id, input.idempotency_key, rows)


async def store_listing_sync(info: Info, input: types.StoreListingSyncInput) -> types.StoreSyncPayload:
    rows = [
        listing.ListingRow(sku_code=r.sku_code, sku_id=_sku_id(r.sku_id, i), listed=r.listed, version=parse_version(r.version))
        for i, r in enumerate(input.rows)
    ]
    return await _run(info, "listing", input.store_id, input.idempotency_key, rows)
