"""Bulk stock and price batches for one store.

Each function validates the rows in Python, then writes with one statement per chunk of
rows and reads the outcome from RETURNING:

* versions: `INSERT ... ON CONFLICT DO UPDATE SET version = excluded.version WHERE
  sync_version.version < excluded.version RETURNING sku_id` — the rows it returns are newer than
  anything applied before (the WHERE is the check, so two batches racing cannot both win with
  an older version); the others are STALE_VERSION.
* absolute stock: an upsert whose DO UPDATE only fires `WHERE stock.reserved <= new on_hand`
  (a count may not drop below what open orders hold: BELOW_RESERVED);
* stock deltas: `UPDATE stock SET on_hand = on_hand + d FROM (VALUES ...) WHERE on_hand + d >=
  reserved` — the same condition online reservations use (commerce.stock), so an in-store sale
  and an online checkout can never both take the last unit (INSUFFICIENT_STOCK);
* prices: an upsert of store_price; a null price deletes the store's own price.

Deltas carry no version: movements add up in any order, and a retried batch is caught by its
idempotency key.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from sqlalchemy import BigInteger, column, delete, select, update, values
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.models import Sku, Stock, StorePrice
from commerce.quantities import MAX_GRAMS_PER_LINE
from core.clock import utc_now
from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN
from events import StockChanged
from network_pricing import audit
from network_pricing.bands import bands_for_paths
from events.registry import emit_many
from store_network.access import load_store
from store_network.control import ControlledAttribute, may_change
from store_network.policies import control_chain, require_may_change
from store_sync.errors import SyncErrorCode as Codes
from store_sync.models import SyncVersion

MAX_ROWS = 50_000  # per batch (the HTTP endpoint); GraphQL batches are capped lower in app/list_caps.py
CHUNK = 1000
MAX_STOCK = MAX_GRAMS_PER_LINE * 10_000  # as commerce.inventory
MAX_VERSION = 2**63 - 1


class Mode(str, Enum):
    ABSOLUTE = "ABSOLUTE"
    DELTA = "DELTA"


class RowStatus(str, Enum):
    APPLIED = "APPLIED"
    STALE = "STALE"
    REJECTED = "REJECTED"


@dataclass
class StockRow:
    sku_code: str | None = None
    sku_id: int | None = None
    mode: Mode = Mode.ABSOLUTE
    quantity: int | None = 0  # None: not a whole number in ASCII digits (the row is INVALID)
    version: int | None = None  # required for ABSOLUTE


@dataclass
class PriceRow:
    sku_code: str | None = None
    sku_id: int | None = None
    price_fen: int | None = None  # None: remove the store's own price (HQ's applies)
    version: int | None = None  # required


@dataclass
class RowResult:
    index: int
    sku_code: str | None
    status: RowStatus = RowStatus.REJECTED
    code: Codes | None = None
    message: str = ""
    on_hand: int | None = None
    reserved: int | None = None
    price_fen: int | None = None
    listed: bool | None = None  # listing batches (store_sync.listing)

    def as_json(self) -> dict:
        out = {"index": self.index, "skuCode": self.sku_code, "status": self.status.value,
               "code": self.code.value if self.code else None, "message": self.message,
               "onHand": self.on_hand, "reserved": self.reserved, "priceFen": self.price_fen}
        if self.listed is not None:
            out["listed"] = self.listed
        return out


@dataclass
class _Resolved:
    results: list[RowResult]
    skus: dict[int, Sku] = field(default_factory=dict)  # row index -> sku, for rows still in play


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _insert(session: AsyncSession, model):
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def _reject(result: RowResult, code: Codes, message: str) -> None:
    result.status, result.code, result.message = RowStatus.REJECTED, code, message


async def _resolve(session: AsyncSession, tenant_id: int, rows: list) -> _Resolved:
    """Look up every row's SKU (two queries in all) and refuse unknown and duplicate SKUs."""
    if len(rows) > MAX_ROWS:
        raise DomainError(Codes.TOO_MANY_ROWS, f"at most {MAX_ROWS} rows per batch", "rows")
    if not rows:
        raise DomainError(Codes.REQUIRED, "the batch has no rows", "rows")
    codes = {r.sku_code for r in rows if r.sku_code is not None}
    ids = {r.sku_id for r in rows if r.sku_id is not None}
    by_code, by_id = {}, {}
    for chunk in _chunks(sorted(codes)):
        for sku in (await session.scalars(select(Sku).where(Sku.tenant_id == tenant_id, Sku.code.in_(chunk)))).all():
            by_code[sku.code] = sku
    for chunk in _chunks(sorted(ids)):
        for sku in (await session.scalars(select(Sku).where(Sku.tenant_id == tenant_id, Sku.id.in_(chunk)))).all():
            by_id[sku.id] = sku
    resolved = _Resolved(results=[])
    seen: set[int] = set()
    for index, row in enumerate(rows):
        sku = by_code.get(row.sku_code) if row.sku_code is not None else by_id.get(row.sku_id)
        result = RowResult(index=index, sku_code=sku.code if sku else row.sku_code)
        resolved.results.append(result)
        if (row.sku_code is None) == (row.sku_id is None):
            _reject(result, Codes.INVALID, "give exactly one of skuCode or skuId")
        elif sku is None:
            _reject(result, Codes.UNKNOWN_SKU, "no such SKU in this brand")
        elif sku.id in seen:
            _reject(result, Codes.DUPLICATE_ROW, "this SKU already appears earlier in the batch")
        elif row.version is not None and not 0 <= row.version <= MAX_VERSION:
            _reject(result, Codes.INVALID, "version must be a non-negative 64-bit integer")
        else:
            seen.add(sku.id)
            resolved.skus[index] = sku
    return resolved


async def _newer(session: AsyncSession, tenant_id: int, store_id: int, kind: str, versions: dict[int, int]) -> set[int]:
    """Record the versions that are newer than the stored ones; returns their SKU ids."""
    accepted: set[int] = set()
    statement = _insert(session, SyncVersion)
    statement = statement.on_conflict_do_update(
        index_elements=[SyncVersion.store_id, SyncVersion.sku_id, SyncVersion.kind],
        set_={"version": statement.excluded.version},
        where=SyncVersion.version < statement.excluded.version,
    ).returning(SyncVersion.sku_id)
    items = sorted(versions.items())  # rows locked in key order: concurrent batches cannot deadlock on them
    for chunk in _chunks(items):
        # One statement, many parameter sets: SQLAlchemy sends them as multi-row INSERTs
        # ("insertmanyvalues"), compiled once, and gathers the RETURNING rows.
        params = [{"store_id": store_id, "sku_id": sku_id, "kind": kind, "tenant_id": tenant_id, "version": v} for sku_id, v in chunk]
        accepted.update((await session.scalars(statement, params)).all())
    return accepted


async def sync_stock(session: AsyncSession, principal: Principal, store_id: int, rows: list[StockRow]) -> list[RowResult]:
    store, path = await load_store(session, principal, store_id, Codes, Permission.MANAGE_STOCK)
    # Strong stock control above the store refuses every row (each row says why, as listing does).
    may_edit = may_change(principal, await control_chain(session, store.tenant_id, path, ControlledAttribute.STOCK),
                          Permission.MANAGE_STOCK)
    resolved = await _resolve(session, store.tenant_id, rows)
    results = resolved.results
    absolute: dict[int, tuple[int, int]] = {}  # index -> (sku id, on_hand)
    deltas: dict[int, tuple[int, int]] = {}
    versions: dict[int, int] = {}
    for index, sku in resolved.skus.items():
        row, result = rows[index], results[index]
        if not may_edit:
            _reject(result, Codes.STOCK_LOCKED_BY_HQ, "this store's stock is set centrally (strong stock control)")
        elif row.quantity is None:
            _reject(result, Codes.INVALID, "quantity must be a whole number in ASCII digits")
        elif abs(row.quantity) > MAX_STOCK or (row.mode is Mode.ABSOLUTE and row.quantity < 0):
            _reject(result, Codes.OUT_OF_RANGE, "stock quantity is out of range")
        elif row.quantity % sku.quantity_step:
            _reject(result, Codes.NOT_MULTIPLE_OF_STEP, f"stock must be a multiple of {sku.quantity_step}")
        elif row.mode is Mode.ABSOLUTE and row.version is None:
            _reject(result, Codes.REQUIRED, "an absolute count needs a version")
        elif row.mode is Mode.ABSOLUTE:
            absolute[index] = (sku.id, row.quantity)
            versions[sku.id] = row.version
        else:
            deltas[index] = (sku.id, row.quantity)

    if versions:
        fresh = await _newer(session, store.tenant_id, store.id, "stock", versions)
        for index, (sku_id, _) in list(absolute.items()):
            if sku_id not in fresh:
                results[index].status, results[index].code = RowStatus.STALE, Codes.STALE_VERSION
                results[index].message = "a newer count was already applied"
                del absolute[index]

    now = utc_now()
    applied: dict[int, tuple[int, int]] = {}  # sku id -> (on_hand, reserved)
    upsert = _insert(session, Stock)
    upsert = upsert.on_conflict_do_update(
        index_elements=[Stock.store_id, Stock.sku_id],
        set_={"on_hand": upsert.excluded.on_hand, "updated_at": upsert.excluded.updated_at},
        where=Stock.reserved <= upsert.excluded.on_hand,
    ).returning(Stock.sku_id, Stock.on_hand, Stock.reserved)
    for chunk in _chunks(sorted(absolute.values())):
        params = [{"tenant_id": store.tenant_id, "store_id": store.id, "sku_id": sku_id, "on_hand": on_hand, "reserved": 0, "updated_at": now}
                  for sku_id, on_hand in chunk]
        applied.update({r.sku_id: (r.on_hand, r.reserved) for r in (await session.execute(upsert, params)).all()})
    for index, (sku_id, _) in absolute.items():
        _outcome(results[index], applied.get(sku_id), Codes.BELOW_RESERVED, "open orders hold more than this count")

    if deltas:
        # A receipt for a SKU the store never stocked creates its row (at zero, then the delta).
        missing = [{"tenant_id": store.tenant_id, "store_id": store.id, "sku_id": sku_id, "on_hand": 0, "reserved": 0, "updated_at": now}
                   for sku_id, d in deltas.values() if d > 0]
        if missing:
            await session.execute(_insert(session, Stock).on_conflict_do_nothing(index_elements=[Stock.store_id, Stock.sku_id]), missing)
        moved: dict[int, tuple[int, int]] = {}
        for chunk in _chunks(sorted(deltas.values())):
            moved.update(await _move(session, store.id, chunk, now))
        for index, (sku_id, _) in deltas.items():
            _outcome(results[index], moved.get(sku_id), Codes.INSUFFICIENT_STOCK, "not enough unreserved stock for this movement")
        applied.update(moved)

    actor = principal.staff_id or principal.api_key_id
    await emit_many(session, [
        StockChanged(tenant_id=store.tenant_id, at=now, store_id=store.id, sku_id=sku_id, on_hand=on_hand, reserved=reserved, actor_id=actor)
        for sku_id, (on_hand, reserved) in applied.items()
    ])
    return results


async def _move(session: AsyncSession, store_id: int, chunk: list[tuple[int, int]], now) -> dict[int, tuple[int, int]]:
    """One conditional UPDATE for a chunk of (sku id, delta): PostgreSQL joins two array
    parameters (unnest), SQLite a VALUES list."""
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy import bindparam, func
        from sqlalchemy.dialects.postgresql import ARRAY

        v = select(
            func.unnest(bindparam("skus", [s for s, _ in chunk], type_=ARRAY(BigInteger))).label("sku_id"),
            func.unnest(bindparam("deltas", [d for _, d in chunk], type_=ARRAY(BigInteger))).label("delta"),
        ).subquery("v")
    else:
        v = values(column("sku_id", BigInteger), column("delta", BigInteger), name="v").data(chunk).cte("v")
    statement = (
        update(Stock)
        .where(Stock.store_id == store_id, Stock.sku_id == v.c.sku_id, Stock.on_hand + v.c.delta >= Stock.reserved)
        .values(on_hand=Stock.on_hand + v.c.delta, updated_at=now)
        .returning(Stock.sku_id, Stock.on_hand, Stock.reserved)
    )
    rows = (await session.execute(statement, execution_options={"synchronize_session": False})).all()
    return {r.sku_id: (r.on_hand, r.reserved) for r in rows}


def _outcome(result: RowResult, row: tuple[int, int] | None, code: Codes, message: str) -> None:
    if row is None:
        _reject(result, code, message)
    else:
        result.status, result.on_hand, result.reserved = RowStatus.APPLIED, row[0], row[1]


async def sync_prices(session: AsyncSession, principal: Principal, store_id: int, rows: list[PriceRow]) -> list[RowResult]:
    store, path = await load_store(session, principal, store_id, Codes, Permission.MANAGE_PRICES)
    await require_may_change(session, principal, store.tenant_id, path, ControlledAttribute.PRICES, Permission.MANAGE_PRICES, "rows")
    resolved = await _resolve(session, store.tenant_id, rows)
    results = resolved.results
    band = (await bands_for_paths(session, store.tenant_id, [path]))[path]
    candidates: dict[int, tuple[int, int | None]] = {}
    for index, sku in resolved.skus.items():
        row, result = rows[index], results[index]
        if row.version is None:
            _reject(result, Codes.REQUIRED, "a price needs a version")
        elif row.price_fen is not None and not 0 <= row.price_fen <= MAX_AMOUNT_FEN:
            _reject(result, Codes.OUT_OF_RANGE, "price is out of range")
        elif row.price_fen == 0:
            _reject(result, Codes.FREE_PRICE_NOT_ALLOWED, "a price of zero gives the SKU away; use storePriceSet with allowFree")
        elif row.price_fen is not None and band is not None and (message := band.out_of_band(sku.base_price_fen, row.price_fen)):
            _reject(result, Codes.PRICE_OUT_OF_BAND, message)
        else:
            candidates[index] = (sku.id, row.price_fen)
    if not candidates:
        return results
    fresh = await _newer(session, store.tenant_id, store.id, "price", {sku_id: rows[i].version for i, (sku_id, _) in candidates.items()})
    now = utc_now()
    old_prices: dict[int, int] = {}
    for chunk in _chunks(sorted(fresh)):
        old_prices.update((await session.execute(select(StorePrice.sku_id, StorePrice.price_fen).where(
            StorePrice.store_id == store.id, StorePrice.sku_id.in_(chunk)))).all())
    to_set, to_clear = [], []
    for index, (sku_id, price) in candidates.items():
        result = results[index]
        if sku_id not in fresh:
            result.status, result.code, result.message = RowStatus.STALE, Codes.STALE_VERSION, "a newer price was already applied"
            continue
        result.status, result.price_fen = RowStatus.APPLIED, price
        (to_clear if price is None else to_set).append((sku_id, price))
    if to_set:
        upsert = _insert(session, StorePrice)
        upsert = upsert.on_conflict_do_update(
            index_elements=[StorePrice.store_id, StorePrice.sku_id],
            set_={"price_fen": upsert.excluded.price_fen, "allow_free": False, "updated_at": upsert.excluded.updated_at},
        )
        for chunk in _chunks(sorted(to_set)):
            await session.execute(upsert, [
                {"tenant_id": store.tenant_id, "store_id": store.id, "sku_id": s, "price_fen": p, "allow_free": False, "updated_at": now}
                for s, p in chunk])
    for chunk in _chunks(to_clear):
        await session.execute(delete(StorePrice).where(StorePrice.store_id == store.id, StorePrice.sku_id.in_([s for s, _ in chunk])))
    changes = [audit.Change(node_id=store.node_id, store_id=store.id, sku_id=s, old_fen=old_prices.get(s), new_fen=p)
               for s, p in to_set + to_clear if old_prices.get(s) != p]
    await audit.record(session, principal, store.tenant_id, changes, source=audit.Source.STORE, channel=audit.Channel.POS, at=now)
    return results


