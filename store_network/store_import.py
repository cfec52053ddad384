"""Bulk store import from CSV (storesImport, `qiandian stores-import`): all rows or none.

Every row is checked first and every problem reported as {row, field, code, message} (row 1
is the first data row after the header); only a file without problems is written, in the
caller's one transaction: one multi-row INSERT of the stores' network nodes (RETURNING their
ids), one UPDATE giving them their paths, one multi-row INSERT of the stores. Nothing is
flushed per row.

Columns (header names, any order): code, name, city, district, address, lon, lat,
coord_system, timezone, prep_minutes, delivery_radius_m, hours, status, fulfilment_types.
Required: code, name, city, address, lon, lat, hours. Defaults: coord_system WGS84, timezone
the brand's, prep_minutes 10, delivery_radius_m 3000, status OPENING_SOON, fulfilment_types
all ("SAME_CITY_DELIVERY|STORE_PICKUP" to choose). hours: store_network.hours_text.
"""
from __future__ import annotations

import base64
import csv
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import String, cast, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Principal
from core.digits import ascii_decimal, ascii_int
from core.errors import DomainError
from store_network import store_fields
from store_network.admin import MAX_PATH, NewStore, parent_node, code_taken, initial_status, lock_tree
from store_network.errors import NetworkErrorCode as Codes
from store_network.hours_text import parse_hours
from store_network.models import NetworkNode, Store, Tenant

MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
MAX_ROW_ERRORS = 1000  # a wholly wrong file reports this many, and says how many more
REQUIRED = ("code", "name", "city", "address", "lon", "lat", "hours")
OPTIONAL = ("district", "coord_system", "timezone", "prep_minutes", "delivery_radius_m", "status", "fulfilment_types")


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    code: Codes
    message: str


@dataclass
class ImportResult:
    store_ids: list[int]
    errors: list[RowError]

    @property
    def ok(self) -> bool:
        return not self.errors


def _number(raw: str, kind: type, field: str):
    # ASCII only: int()/float() would also read "１２", "١٢", "1_0", "nan" and "inf".
    value = ascii_int(raw, signed=True, max_digits=12) if kind is int else ascii_decimal(raw)
    if value is None:
        raise DomainError(Codes.INVALID, f"{field} must be {'a whole number' if kind is int else 'a number'}", field)
    return value


def _row_store(row: dict[str, str], default_tz: str, errors: list[RowError], number: int) -> NewStore | None:
    """The row as a NewStore, or None with its problems appended to `errors` (all of them:
    one bad field does not hide the next)."""
    failed = False

    def check(field: str, make: Callable):
        nonlocal failed
        try:
            return make()
        except DomainError as exc:
            failed = True
            errors.append(RowError(number, field, exc.code, exc.message))
            return None

    value = lambda name: (row.get(name) or "").strip()  # noqa: E731
    code = check("code", lambda: store_fields.code(value("code"), "code"))
    name = check("name", lambda: store_fields.text(value("name"), "name", 200))
    city = check("city", lambda: store_fields.text(value("city"), "city", 64))
    district = check("district", lambda: store_fields.text(value("district"), "district", 64, required=False))
    address = check("address", lambda: store_fields.text(value("address"), "address", 400))
    lon = check("lon", lambda: _number(value("lon"), float, "lon"))
    lat = check("lat", lambda: _number(value("lat"), float, "lat"))
    point = None
    if lon is not None and lat is not None:
        point = check("lon", lambda: store_fields.location(lon, lat, value("coord_system").upper() or "WGS84", "lon"))
    timezone = check("timezone", lambda: store_fields.timezone(value("timezone") or default_tz, "timezone"))
    prep = check("prep_minutes", lambda: store_fields.prep_minutes(_number(value("prep_minutes") or "10", int, "prep_minutes"), "prep_minutes"))
    radius = check("delivery_radius_m", lambda: store_fields.delivery_radius(
        _number(value("delivery_radius_m") or "3000", int, "delivery_radius_m"), "delivery_radius_m"))
    hours = check("hours", lambda: parse_hours(value("hours"), "hours"))
    status = check("status", lambda: initial_status(value("status"), "status"))
    types_raw = value("fulfilment_types")
    types = check("fulfilment_types", lambda: store_fields.fulfilment_types(
        [t.strip().upper() for t in types_raw.split("|") if t.strip()] if types_raw else store_fields.FULFILMENT_TYPES, "fulfilment_types"))
    if failed:
        return None
    return NewStore(
        code=code, name=name, city=city, district=district, address=address, lon=point.lon, lat=point.lat,
        timezone=timezone, business_hours=hours, status=status, prep_minutes=prep, delivery_radius_m=radius,
        fulfilment_types=types,
    )


def parse_csv(text: str, default_tz: str) -> tuple[list[NewStore], list[RowError]]:
    """Every row checked (no database): the stores, or the problems. A file-level problem
    (size, header, row count) is a DomainError instead: there are no rows to point at."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise DomainError(Codes.CSV_TOO_LARGE, f"at most {MAX_BYTES // (1024 * 1024)} MB per import; split the file", "csv")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # Excel writes a BOM
    try:  # the header is the first line read: an unreadable one (a lone CR, a quote never closed) is the file's fault
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise DomainError(Codes.INVALID_CSV, f"line {reader.line_num}: {exc}", "csv") from None
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:  # DictReader would keep the last cell silently: which one did the author mean?
        raise DomainError(Codes.INVALID_CSV, f"column {repeated[0]!r} appears more than once in the header", "csv")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DomainError(Codes.INVALID_CSV, f"the header lacks {', '.join(missing)} (columns: {', '.join(REQUIRED + OPTIONAL)})", "csv")
    unknown = [h for h in header if h not in REQUIRED + OPTIONAL]
    if unknown:
        raise DomainError(Codes.INVALID_CSV, f"unknown columns {', '.join(unknown[:5])}", "csv")
    reader.fieldnames = header
    stores: list[NewStore] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    try:
        for number, row in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise DomainError(Codes.TOO_MANY_ROWS, f"at most {MAX_ROWS} stores per import; split the file", "csv")
            if None in row:  # more cells than the header names
                errors.append(RowError(number, "csv", Codes.INVALID_CSV, "more cells than the header has columns"))
                continue
            store = _row_store(row, default_tz, errors, number)
            if store is None:
                continue
            earlier = first_row_of.setdefault(store.code, number)
            if earlier != number:
                errors.append(RowError(number, "code", Codes.DUPLICATE, f"code {store.code!r} is also on row {earlier}"))
                continue
            stores.append(store)
    except csv.Error as exc:
        raise DomainError(Codes.INVALID_CSV, f"line {reader.line_num}: {exc}", "csv") from None
    if not stores and not errors:
        raise DomainError(Codes.REQUIRED, "the file has a header but no stores", "csv")
    return stores, errors


async def apply_import(session: AsyncSession, parent: NetworkNode, text: str) -> ImportResult:
    """Check the file, then (only if every row is right) create the stores under `parent`.
    The caller has checked that it may (import_stores) or is an operator (the CLI)."""
    default_tz = await session.scalar(select(Tenant.timezone).where(Tenant.id == parent.tenant_id)) or "Asia/Shanghai"
    stores, errors = parse_csv(text, default_tz)
    by_code = {s.code: i for i, s in enumerate(stores)}
    taken = await code_taken(session, parent.tenant_id, list(by_code))
    if taken:
        rows = _rows_of(text, taken)
        errors.extend(RowError(rows.get(c, 0), "code", Codes.STORE_CODE_TAKEN, f"store code {c!r} is taken") for c in sorted(taken))
    if errors:
        errors.sort(key=lambda e: (e.row, e.field))
        return ImportResult([], errors)
    if len(parent.path) + 21 > MAX_PATH:
        raise DomainError(Codes.INVALID, "the network is too deep here", "parentId")
    try:
        # A savepoint: an import (or storeCreate) committed since code_taken's SELECT may hold one of
        # these codes (creates only share the tree lock); its UNIQUE violation is then this file's
        # typed refusal, not a 500, and the caller's transaction rolls everything back.
        async with session.begin_nested():
            store_ids = await _insert_stores(session, parent, stores)
    except IntegrityError:
        raise DomainError(Codes.STORE_CODE_TAKEN, "a store code of this file was taken meanwhile; nothing was created", "csv") from None
    return ImportResult(store_ids, [])


async def _insert_stores(session: AsyncSession, parent: NetworkNode, stores: list[NewStore]) -> list[int]:
    # Placeholder paths (unique, never a real path: not digits) until the ids exist.
    tag = secrets.token_hex(4)
    node_rows = [
        {"tenant_id": parent.tenant_id, "parent_id": parent.id, "kind": "STORE", "name": s.name, "path": f"{parent.path}~{tag}{i}/"}
        for i, s in enumerate(stores)
    ]
    node_ids = list(await session.scalars(insert(NetworkNode).returning(NetworkNode.id, sort_by_parameter_order=True), node_rows))
    await session.execute(
        update(NetworkNode)
        .where(NetworkNode.id.in_(node_ids))
        .values(path=literal(parent.path) + cast(NetworkNode.id, String) + literal("/"))
        .execution_options(synchronize_session=False)
    )
    store_rows = [{"tenant_id": parent.tenant_id, "node_id": node_id, **vars(s)} for node_id, s in zip(node_ids, stores)]
    store_ids = list(await session.scalars(insert(Store).returning(Store.id, sort_by_parameter_order=True), store_rows))
    return store_ids


def _rows_of(text: str, codes: set[str]) -> dict[str, int]:
    rows: dict[str, int] = {}
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    reader.fieldnames = [h.strip().lower() for h in (reader.fieldnames or [])]
    for number, row in enumerate(reader, start=1):
        code = (row.get("code") or "").strip()
        if code in codes:
            rows.setdefault(code, number)
    return rows


async def import_stores(session: AsyncSession, principal: Principal, parent_id: int, text: str) -> ImportResult:
    """storesImport: MANAGE_STORES over the parent (HQ or a partner)."""
    await lock_tree(session, principal.tenant_id, exclusive=False)
    parent = await parent_node(session, principal, parent_id)
    return await apply_import(session, parent, text)


async def find_parent(session: AsyncSession, tenant_slug: str, ref: str) -> NetworkNode:
    """The CLI's --parent: HQ, a node id (number or NetworkNode global ID) or a partner's exact name."""
    tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == tenant_slug))
    if tenant_id is None:
        raise DomainError(Codes.NOT_FOUND, f"no brand has the slug {tenant_slug!r}", "tenant")
    await lock_tree(session, tenant_id, exclusive=False)
    in_tenant = select(NetworkNode).where(NetworkNode.tenant_id == tenant_id)
    ref = ref.strip()
    if ref.upper() == "HQ":
        found = list(await session.scalars(in_tenant.where(NetworkNode.kind == "HQ")))
    else:
        node_id = ascii_int(ref, max_digits=18)  # ASCII digits: int() would read "١٢" as 12
        if node_id is None:
            node_id = _global_node_id(ref)
        if node_id is not None:
            found = list(await session.scalars(in_tenant.where(NetworkNode.id == node_id)))
        else:
            found = list(await session.scalars(in_tenant.where(NetworkNode.kind == "PARTNER", NetworkNode.name == ref)))
    if len(found) != 1:
        raise DomainError(Codes.NOT_FOUND if not found else Codes.INVALID, f"{ref!r} names {len(found)} nodes: give the node id", "parent")
    if found[0].kind not in ("HQ", "PARTNER"):
        raise DomainError(Codes.INVALID, "the parent is HQ or a partner, not a store", "parent")
    return found[0]


def _global_node_id(ref: str) -> int | None:
    try:
        kind, _, pk = base64.b64decode(ref, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return ascii_int(pk, max_digits=18) if kind == "NetworkNode" else None
