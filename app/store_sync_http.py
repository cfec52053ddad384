"""POST /pos/stores/{storeId}/stock, /prices and /listing: large sync files (CSV or JSON).

The same batch as the storeStockSync / storePriceSync mutations (store_sync.batches), for files
larger than a GraphQL request allows (up to store_sync.bulk.MAX_ROWS rows and
settings.sync_max_body_bytes). Authenticate with `Authorization: ApiKey qd_...`; send
`Idempotency-Key`. CSV has a header row:

    stock:  sku,mode,quantity,version      (mode ABSOLUTE or DELTA; version required for ABSOLUTE)
    prices: sku,price,version              (price in yuan, empty = remove the store's own price)
    listing: sku,listed,version            (listed true/false, 1/0)

JSON is {"rows": [{"sku": ..., "mode": ..., "quantity": ..., "version": ...}]}. The answer is
{"applied", "stale", "rejected", "replayed", "rows": [per-row results]} (rows in the order sent).
"""
from __future__ import annotations

import csv
import io
import json

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.context import authenticate
from app.services import Services
from core.digits import ascii_int
from core.errors import DomainError
from core.money import MoneyError, parse_amount_to_fen
from schema import ids
from store_sync import batches, bulk, listing
from store_sync.errors import SyncErrorCode as Codes


class _BadFile(Exception):
    pass


def _version(raw) -> int | None:
    """ASCII digits only (int() would read "１２" and "١٢"); anything else is -1, which the
    batch reports on that row as INVALID."""
    if raw is None or raw == "":
        return None
    value = ascii_int(raw)
    return -1 if value is None else value


def _quantity(raw) -> int | None:
    """ASCII digits with an optional sign; None (the row's INVALID) for anything else."""
    return ascii_int(raw, signed=True, max_digits=12)


def _records(request_body: bytes, content_type: str) -> list[dict]:
    if content_type.startswith("application/json"):
        try:
            data = json.loads(request_body)
        except (ValueError, RecursionError):
            raise _BadFile("body is not JSON") from None
        rows = data.get("rows") if isinstance(data, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise _BadFile('send {"rows": [{...}, ...]}')
        if any("\x00" in f"{k}{v}" for r in rows for k, v in r.items()):  # PostgreSQL text cannot hold NUL
            raise _BadFile("JSON must not contain NUL characters")
        return rows
    if content_type.startswith("text/csv"):
        try:
            text = request_body.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _BadFile("CSV must be UTF-8") from None
        if "\x00" in text:  # PostgreSQL text cannot hold NUL: refuse the file, not a 500
            raise _BadFile("CSV must not contain NUL characters")
        try:
            return list(csv.DictReader(io.StringIO(text)))
        except csv.Error as exc:  # e.g. a field over csv.field_size_limit()
            raise _BadFile(f"CSV is malformed: {exc}") from None
    raise _BadFile("Content-Type must be text/csv or application/json")


def _stock_rows(records: list[dict]) -> list[bulk.StockRow]:
    rows = []
    for i, r in enumerate(records):
        mode = str(r.get("mode") or "ABSOLUTE").strip().upper()
        if mode not in bulk.Mode.__members__:
            raise _BadFile(f"row {i}: mode must be ABSOLUTE or DELTA")
        rows.append(bulk.StockRow(sku_code=str(r.get("sku") or "").strip() or None, mode=bulk.Mode(mode),
                                  quantity=_quantity(r.get("quantity")), version=_version(r.get("version"))))
    return rows


def _price_rows(records: list[dict]) -> list[bulk.PriceRow]:
    rows = []
    for i, r in enumerate(records):
        raw = r.get("price")
        try:
            price = None if raw is None or str(raw).strip() == "" else parse_amount_to_fen(str(raw).strip())
        except MoneyError:
            price = -1
        rows.append(bulk.PriceRow(sku_code=str(r.get("sku") or "").strip() or None, price_fen=price, version=_version(r.get("version"))))
    return rows


_TRUE, _FALSE = {"true", "1", "yes", "y"}, {"false", "0", "no", "n"}


def _listing_rows(records: list[dict]) -> list[listing.ListingRow]:
    rows = []
    for i, r in enumerate(records):
        raw = r.get("listed")
        text = str(raw).strip().lower() if raw is not None else ""
        if isinstance(raw, bool):
            listed = raw
        elif text in _TRUE or text in _FALSE:
            listed = text in _TRUE
        else:
            raise _BadFile(f"row {i}: listed must be true or false")
        rows.append(listing.ListingRow(sku_code=str(r.get("sku") or "").strip() or None, listed=listed, version=_version(r.get("version"))))
    return rows


async def store_sync_upload(request: Request, services: Services, kind: str) -> JSONResponse:
    principal, auth_error = await authenticate(request, services)
    if auth_error or not principal.is_authenticated:
        return JSONResponse({"errors": [{"code": "UNAUTHENTICATED", "message": auth_error or "send an API key"}]}, status_code=401)
    key = request.headers.get("idempotency-key", "")
    try:
        store_id = ids.decode(request.path_params["store_id"], "Store", Codes, "storeId")
        records = _records(await request.body(), request.headers.get("content-type", ""))
        rows = {"stock": _stock_rows, "price": _price_rows, "listing": _listing_rows}[kind](records)
        results, replayed = await batches.run_batch(services.database, principal, kind, store_id, key, rows)
    except _BadFile as exc:
        return JSONResponse({"errors": [{"code": "INVALID", "message": str(exc)}]}, status_code=400)
    except DomainError as exc:
        status = {Codes.NOT_FOUND: 404, Codes.PERMISSION_DENIED: 403, Codes.UNAUTHENTICATED: 401}.get(exc.code, 400)
        return JSONResponse({"errors": [{"code": exc.code.name, "field": exc.field, "message": exc.message}]}, status_code=status)
    return JSONResponse({**batches.summary(results), "replayed": replayed, "rows": results})
