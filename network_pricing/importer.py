"""Bulk price import from CSV (pricesImport, `qiandian prices-import`): all rows or none.

Columns (a header row names them, in any order):
    store_code  the store's code            } exactly one of the two per row
    partner_id  a partner node's global ID  }
    sku_code    the SKU's code
    price       yuan with at most 2 decimals (parsed as Decimal, never float), above zero
    starts_at, ends_at  optional ISO 8601 times with an offset: the row becomes a time price
                        (a fixed price for that range; ends_at required) instead of the
                        store's or partner's own price

Every row is validated (unknown store/partner/SKU, bad price, out of band, locked by control,
duplicates) before anything is written; any error reports every bad row as
{row, field, code, message} (row = the line in the file, the header being line 1) and writes
nothing. Lookups are bulk SELECTs (chunks of 1,000), writes executemany upserts; the audit rows
and price.changed events go in the same transaction. On PostgreSQL a transaction-scoped
advisory lock per brand serialises imports, so two imports never interleave and each audits
the prices it really replaced.
"""
from __future__ import annotations

import base64
import binascii
import csv
import io
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.models import Sku, StorePrice
from core.clock import utc_now
from core.digits import ascii_int
from core.errors import DomainError
from core.money import MoneyError, parse_amount_to_fen
from network_pricing import audit
from network_pricing.bands import Band, tightest
from network_pricing.errors import PricingErrorCode as Codes
from network_pricing.models import PartnerPrice, TimePrice
from store_network.control import ControlLevel, ControlledAttribute, NodeControl, ancestor_ids, may_change
from store_network.models import NetworkNode, Store

MAX_ROWS = 20_000
MAX_BYTES = 2 * 1024 * 1024
CHUNK = 1000
MIN_YEAR, MAX_YEAR = 2000, 2200  # a time price outside these is a typo, and past 9999 cannot be stored at all
MAX_REPORTED = 1000  # errors listed in one answer; the count says how many there were
COLUMNS = {"store_code", "partner_id", "sku_code", "price", "starts_at", "ends_at"}
_ADVISORY_NAMESPACE = 0x51D1  # pg_advisory_xact_lock(namespace, tenant id): the price import's lock


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    field: str | None
    code: Codes
    message: str


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    rows: int = 0
    store_prices: int = 0
    partner_prices: int = 0
    time_prices: int = 0
    changed: int = 0  # audit rows written (rows whose price really changed)


@dataclass
class _Row:
    line: int
    store_code: str | None
    partner_id: int | None
    sku_code: str
    price_fen: int
    starts_at: datetime | None
    ends_at: datetime | None


class _Collector:
    def __init__(self):
        self.errors: list[RowError] = []
        self.data_rows = 0

    def add(self, line: int, field: str | None, code: Codes, message: str) -> None:
        self.errors.append(RowError(line, field, code, message))


def _insert(session: AsyncSession, model):
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(model)


def _partner_pk(raw: str) -> int | None:
    """A NetworkNode global ID (as the API shows it) -> its id; None if it is not one."""
    try:
        kind, _, pk = base64.b64decode(raw, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return ascii_int(pk, max_digits=18) if kind == "NetworkNode" else None  # not int(): it reads "١٢" too


def _time(raw: str, line: int, name: str, errors: _Collector) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        errors.add(line, name, Codes.INVALID_TIME, f"{name} is not an ISO 8601 time")
        return None
    if value.tzinfo is None:
        errors.add(line, name, Codes.INVALID_TIME, f"{name} needs an offset (e.g. +08:00)")
        return None
    if not MIN_YEAR <= value.year <= MAX_YEAR:  # 9999-12-31T23:59-14:00 is past datetime.max in UTC: a 500 when stored
        errors.add(line, name, Codes.INVALID_TIME, f"{name} must fall in the years {MIN_YEAR}-{MAX_YEAR}")
        return None
    return value


def parse(csv_text: str, errors: _Collector) -> list[_Row]:
    if len(csv_text.encode()) > MAX_BYTES:
        raise DomainError(Codes.TOO_LARGE, f"the file is larger than {MAX_BYTES} bytes", "csv")
    try:
        return _parse(csv_text, errors)
    except csv.Error as exc:  # an unterminated quote, a cell over the csv module's size limit
        raise DomainError(Codes.INVALID, f"not readable as CSV: {exc}", "csv") from None


def _parse(csv_text: str, errors: _Collector) -> list[_Row]:
    reader = csv.reader(io.StringIO(csv_text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:  # zip() into a dict would keep the last cell silently: which price did the author mean?
        raise DomainError(Codes.INVALID, f"column {repeated[0]!r} appears more than once in the header", "csv")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown or not {"sku_code", "price"} <= set(header) or not {"store_code", "partner_id"} & set(header):
        raise DomainError(
            Codes.INVALID,
            "the header must name sku_code, price and store_code or partner_id (optional: starts_at, ends_at)"
            + (f"; unknown column {unknown[0]!r}" if unknown else ""),
            "csv",
        )
    rows: list[_Row] = []
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue  # blank lines (a trailing newline, a spreadsheet's empty rows)
        if errors.data_rows >= MAX_ROWS:
            raise DomainError(Codes.TOO_MANY_ROWS, f"at most {MAX_ROWS} rows per import", "csv")
        line = reader.line_num
        errors.data_rows += 1
        if len(record) != len(header):
            errors.add(line, None, Codes.INVALID, f"expected {len(header)} cells, found {len(record)}")
            continue
        cells = {name: value.strip() for name, value in zip(header, record)}
        store_code, partner_raw = cells.get("store_code") or None, cells.get("partner_id") or None
        before = len(errors.errors)
        partner_id = None
        if (store_code is None) == (partner_raw is None):
            errors.add(line, "store_code", Codes.INVALID, "give exactly one of store_code or partner_id")
        elif partner_raw is not None and (partner_id := _partner_pk(partner_raw)) is None:
            errors.add(line, "partner_id", Codes.UNKNOWN_NODE, "not a partner node ID")
        if not cells.get("sku_code"):
            errors.add(line, "sku_code", Codes.REQUIRED, "sku_code is empty")
        price_fen = 0
        try:
            price_fen = parse_amount_to_fen(cells.get("price", ""))
            if price_fen <= 0:
                errors.add(line, "price", Codes.AMOUNT_OUT_OF_RANGE, "a price must be above zero")
        except MoneyError as exc:
            errors.add(line, "price", Codes.AMOUNT_OUT_OF_RANGE, str(exc))
        starts_at = _time(cells.get("starts_at", ""), line, "starts_at", errors)
        ends_at = _time(cells.get("ends_at", ""), line, "ends_at", errors)
        if starts_at is not None and ends_at is None and not cells.get("ends_at"):
            errors.add(line, "ends_at", Codes.REQUIRED, "a time price needs ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            errors.add(line, "ends_at", Codes.INVALID_TIME, "ends_at must be after starts_at")
        if len(errors.errors) == before:
            rows.append(_Row(line, store_code, partner_id, cells["sku_code"], price_fen, starts_at, ends_at))
    if not rows and not errors.errors:
        raise DomainError(Codes.REQUIRED, "the file has no rows", "csv")
    return rows


async def _in_chunks(session, statement_for, keys):
    keys = sorted(keys)
    out = []
    for start in range(0, len(keys), CHUNK):
        out.extend((await session.execute(statement_for(keys[start:start + CHUNK]))).all())
    return out


async def import_prices(session: AsyncSession, principal: Principal, csv_text: str, reason: str) -> ImportResult:
    if principal.tenant_id is None or not principal.is_authenticated:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
    if not principal.grants:
        raise DomainError(Codes.PERMISSION_DENIED, "staff or an API key with MANAGE_PRICES import prices", None)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(Codes.REQUIRED, "say why the prices change (reason)", "reason")
    if len(reason) > 200:
        raise DomainError(Codes.INVALID, "the reason is longer than 200 characters", "reason")
    tenant_id = principal.tenant_id
    collector = _Collector()
    rows = parse(csv_text, collector)
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:ns, :tenant)"), {"ns": _ADVISORY_NAMESPACE, "tenant": tenant_id})

    # Lookups: stores by code, partners by id, SKUs by code, then every node on their chains.
    stores = {r.code: r for r in await _in_chunks(session, lambda c: select(Store.code, Store.id, Store.node_id).where(
        Store.tenant_id == tenant_id, Store.code.in_(c)), {r.store_code for r in rows if r.store_code})}
    skus = {r.code: r for r in await _in_chunks(session, lambda c: select(Sku.code, Sku.id, Sku.base_price_fen).where(
        Sku.tenant_id == tenant_id, Sku.code.in_(c)), {r.sku_code for r in rows})}
    targets = {s.node_id for s in stores.values()} | {r.partner_id for r in rows if r.partner_id}
    nodes = {n.id: n for n in await _in_chunks(session, lambda c: select(
        NetworkNode.id, NetworkNode.kind, NetworkNode.path, NetworkNode.price_control, NetworkNode.price_band_below_pct,
        NetworkNode.price_band_above_pct).where(NetworkNode.tenant_id == tenant_id, NetworkNode.id.in_(c)), targets)}
    chain_ids = {i for n in nodes.values() for i in ancestor_ids(n.path)} - set(nodes)
    nodes.update({n.id: n for n in await _in_chunks(session, lambda c: select(
        NetworkNode.id, NetworkNode.kind, NetworkNode.path, NetworkNode.price_control, NetworkNode.price_band_below_pct,
        NetworkNode.price_band_above_pct).where(NetworkNode.tenant_id == tenant_id, NetworkNode.id.in_(c)), chain_ids)})

    verdicts: dict[int, tuple[Codes, str] | None] = {}  # node id -> why the caller may not price there
    bands: dict[int, Band | None] = {}

    def judge(node_id: int) -> tuple[Codes, str] | None:
        if node_id not in verdicts:
            node = nodes[node_id]
            chain = [nodes[i] for i in ancestor_ids(node.path)]
            bands[node_id] = tightest(
                Band(n.price_band_below_pct, n.price_band_above_pct) if n.price_band_below_pct is not None else None for n in chain)
            controls = [NodeControl(n.id, n.path, ControlLevel(n.price_control) if n.price_control else None) for n in chain]
            if not principal.can(Permission.MANAGE_PRICES, node.path):
                verdicts[node_id] = (Codes.PERMISSION_DENIED, "you may not manage prices there")
            elif not may_change(principal, controls, Permission.MANAGE_PRICES):
                verdicts[node_id] = (Codes.PRICE_LOCKED_BY_HQ, "prices there are set centrally (strong control)")
            else:
                verdicts[node_id] = None
        return verdicts[node_id]

    planned: list[tuple[_Row, int, int | None, int]] = []  # row, node id, store id, sku id
    seen: dict[tuple, int] = {}
    for row in rows:
        before = len(collector.errors)
        store = stores.get(row.store_code) if row.store_code else None
        if row.store_code and store is None:
            collector.add(row.line, "store_code", Codes.UNKNOWN_STORE, f"no store with code {row.store_code!r}")
        node_id = store.node_id if store else row.partner_id
        if row.partner_id is not None and (row.partner_id not in nodes or nodes[row.partner_id].kind != "PARTNER"):
            collector.add(row.line, "partner_id", Codes.UNKNOWN_NODE, "no such partner node")
            node_id = None
        sku = skus.get(row.sku_code)
        if sku is None:
            collector.add(row.line, "sku_code", Codes.UNKNOWN_SKU, f"no SKU with code {row.sku_code!r}")
        if node_id is not None and sku is not None:
            refused = judge(node_id)
            band = bands[node_id]
            if refused:
                collector.add(row.line, "store_code" if store else "partner_id", *refused)
            elif band is not None and (message := band.out_of_band(sku.base_price_fen, row.price_fen)):
                collector.add(row.line, "price", Codes.PRICE_OUT_OF_BAND, message)
            key = (node_id, sku.id, row.starts_at, row.ends_at)
            if key in seen:
                collector.add(row.line, "sku_code", Codes.DUPLICATE_ROW, f"the same price target as line {seen[key]}")
            seen.setdefault(key, row.line)
        if len(collector.errors) == before:
            planned.append((row, node_id, store.id if store else None, sku.id))

    result = ImportResult(rows=collector.data_rows)
    if collector.errors:
        collector.errors.sort(key=lambda e: e.row)
        result.error_count = len(collector.errors)
        result.errors = collector.errors[:MAX_REPORTED]
        return result
    await _apply(session, principal, tenant_id, planned, reason, result)
    return result


async def _apply(session, principal, tenant_id, planned, reason, result: ImportResult) -> None:
    now = utc_now()
    store_rows = sorted({(store_id, sku_id): row.price_fen for row, _, store_id, sku_id in planned
                         if store_id is not None and row.starts_at is None and row.ends_at is None}.items())
    partner_rows = sorted({(node_id, sku_id): row.price_fen for row, node_id, store_id, sku_id in planned
                           if store_id is None and row.starts_at is None and row.ends_at is None}.items())
    timed = [(row, node_id, store_id, sku_id) for row, node_id, store_id, sku_id in planned if row.starts_at or row.ends_at]
    node_of_store = {store_id: node_id for _, node_id, store_id, _ in planned if store_id is not None}
    changes: dict[audit.Source, list[audit.Change]] = {s: [] for s in audit.Source}

    if store_rows:
        old = dict(((s, k), p) for s, k, p in await _in_chunks(session, lambda c: select(
            StorePrice.store_id, StorePrice.sku_id, StorePrice.price_fen).where(tuple_(StorePrice.store_id, StorePrice.sku_id).in_(c)),
            [key for key, _ in store_rows]))
        upsert = _insert(session, StorePrice)
        upsert = upsert.on_conflict_do_update(
            index_elements=[StorePrice.store_id, StorePrice.sku_id],
            set_={"price_fen": upsert.excluded.price_fen, "allow_free": False, "updated_at": upsert.excluded.updated_at},
        )
        for start in range(0, len(store_rows), CHUNK):
            await session.execute(upsert, [
                {"tenant_id": tenant_id, "store_id": s, "sku_id": k, "price_fen": p, "allow_free": False, "updated_at": now}
                for (s, k), p in store_rows[start:start + CHUNK]])
        changes[audit.Source.STORE] = [audit.Change(node_of_store[s], s, k, old.get((s, k)), p)
                                       for (s, k), p in store_rows if old.get((s, k)) != p]
        result.store_prices = len(store_rows)
    if partner_rows:
        old = dict(((n, k), p) for n, k, p in await _in_chunks(session, lambda c: select(
            PartnerPrice.node_id, PartnerPrice.sku_id, PartnerPrice.price_fen).where(tuple_(PartnerPrice.node_id, PartnerPrice.sku_id).in_(c)),
            [key for key, _ in partner_rows]))
        upsert = _insert(session, PartnerPrice)
        upsert = upsert.on_conflict_do_update(
            index_elements=[PartnerPrice.node_id, PartnerPrice.sku_id],
            set_={"price_fen": upsert.excluded.price_fen, "updated_at": upsert.excluded.updated_at},
        )
        for start in range(0, len(partner_rows), CHUNK):
            await session.execute(upsert, [
                {"tenant_id": tenant_id, "node_id": n, "sku_id": k, "price_fen": p, "updated_at": now}
                for (n, k), p in partner_rows[start:start + CHUNK]])
        changes[audit.Source.PARTNER] = [audit.Change(n, None, k, old.get((n, k)), p) for (n, k), p in partner_rows if old.get((n, k)) != p]
        result.partner_prices = len(partner_rows)
    if timed:
        statement = insert(TimePrice).returning(TimePrice.id, sort_by_parameter_order=True)
        for start in range(0, len(timed), CHUNK):
            chunk = timed[start:start + CHUNK]
            ids = (await session.scalars(statement, [
                {"tenant_id": tenant_id, "node_id": n, "sku_id": k, "percent_off": None, "price_fen": row.price_fen,
                 "daily_start_minute": None, "daily_end_minute": None, "starts_at": row.starts_at, "ends_at": row.ends_at,
                 "ended_at": None, "reason": reason, "created_at": now}
                for row, n, _, k in chunk])).all()
            changes[audit.Source.TIME].extend(
                audit.Change(n, s, k, None, row.price_fen, time_price_id=i) for (row, n, s, k), i in zip(chunk, ids, strict=True))
        result.time_prices = len(timed)
    for source, items in changes.items():
        await audit.record(session, principal, tenant_id, items, source=source, channel=audit.Channel.CSV, reason=reason, at=now)
        result.changed += len(items)
