"""A sync batch: one idempotency key, one transaction, the per-row results stored for replays."""
from __future__ import annotations

from auth.roles import Principal
from commerce.idempotency import run_idempotent
from core.errors import DomainError
from db.session import Database
from store_sync import bulk, listing
from store_sync.errors import SyncErrorCode as Codes


def _principal_key(principal: Principal) -> str:
    if principal.api_key_id is not None:
        return f"api_key:{principal.api_key_id}"
    if principal.staff_id is not None:
        return f"staff:{principal.staff_id}"
    raise DomainError(Codes.UNAUTHENTICATED, "sign in or send an API key", None)


async def run_batch(
    database: Database, principal: Principal, kind: str, store_id: int, key: str, rows: list
) -> tuple[list[dict], bool]:
    """(row results as JSON dicts, replayed). `kind` is 'stock', 'price' or 'listing'."""
    if principal.tenant_id is None:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in or send an API key", None)
    who = _principal_key(principal)
    if len(rows) > bulk.MAX_ROWS:
        raise DomainError(Codes.TOO_MANY_ROWS, f"at most {bulk.MAX_ROWS} rows per batch", "rows")
    apply = {"stock": bulk.sync_stock, "price": bulk.sync_prices, "listing": listing.sync_listing}[kind]

    async def work(session):
        results = await apply(session, principal, store_id, rows)
        return {"rows": [r.as_json() for r in results]}

    request = {"store": store_id, "rows": [_fingerprint_row(r) for r in rows]}
    result, replayed = await run_idempotent(
        database, tenant_id=principal.tenant_id, principal=who, operation=f"store_sync.{kind}", key=key,
        request=request, codes=Codes, work=work,
    )
    return result["rows"], replayed


def _fingerprint_row(row) -> list:
    if isinstance(row, bulk.StockRow):
        return [row.sku_code, row.sku_id, row.mode.value, row.quantity, row.version]
    if isinstance(row, listing.ListingRow):
        return [row.sku_code, row.sku_id, row.listed, row.version]
    return [row.sku_code, row.sku_id, row.price_fen, row.version]


def summary(rows: list[dict]) -> dict:
    counts = {"APPLIED": 0, "STALE": 0, "REJECTED": 0}
    for row in rows:
        counts[row["status"]] += 1
    return {"applied": counts["APPLIED"], "stale": counts["STALE"], "rejected": counts["REJECTED"]}
