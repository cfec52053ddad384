"""Import an existing member base (a POS/CRM export): CSV with the header
`mobile,name,level,points,balance` (balance in yuan, e.g. 120.50; it becomes principal: an
export does not say what of it was bonus). All rows or none: every row is checked first and
any error returns the per-row errors with nothing written. Idempotent: the file's digest is
recorded, so importing the same file again changes nothing; ledger postings are keyed by
digest and mobile as a second guard.
"""
from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.one_time_codes import normalize_mobile
from commerce.models import Customer
from core.digits import ascii_int
from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN, parse_amount_to_fen
from ledger import Leg, post
from membership import accounts, members, points
from membership.errors import MembershipErrorCode
from membership.models import MemberImport, MemberLevel

MAX_ROWS = 50_000
HEADER = ["mobile", "name", "level", "points", "balance"]


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based data row (the header is row 0)
    field: str
    message: str


@dataclass(frozen=True)
class ImportResult:
    imported: int
    already_imported: bool
    errors: list[RowError]


@dataclass(frozen=True)
class _Row:
    mobile: str
    name: str
    level_id: int | None
    points: int
    balance_fen: int


async def import_members(
    session: AsyncSession, tenant_id: int, data: str, *, actor: tuple[str, int | None], now: datetime,
) -> ImportResult:
    digest = hashlib.sha256(data.encode()).hexdigest()
    if await session.scalar(select(MemberImport.id).where(MemberImport.tenant_id == tenant_id, MemberImport.digest == digest)):
        return ImportResult(0, True, [])
    try:  # read it all first: csv.Error (a field over csv.field_size_limit()) is a typed refusal, not a 500
        records = list(csv.reader(io.StringIO(data.removeprefix("\ufeff"))))  # Excel writes a BOM before the header
    except csv.Error as exc:
        raise DomainError(MembershipErrorCode.IMPORT_INVALID, f"the CSV is malformed: {exc}", "csv") from None
    reader = iter(records)
    header = [h.strip().lower() for h in next(reader, [])]
    if header != HEADER:
        raise DomainError(MembershipErrorCode.IMPORT_INVALID, f"the header must be {','.join(HEADER)}", "csv")
    levels = dict((await session.execute(select(MemberLevel.code, MemberLevel.id).where(MemberLevel.tenant_id == tenant_id))).all())
    rows: list[_Row] = []
    errors: list[RowError] = []
    seen: set[str] = set()
    for number, raw in enumerate(reader, start=1):
        if number > MAX_ROWS:
            raise DomainError(MembershipErrorCode.IMPORT_INVALID, f"at most {MAX_ROWS} rows per file", "csv")
        if not any(cell.strip() for cell in raw):
            continue
        if len(raw) != len(HEADER):
            errors.append(RowError(number, "row", f"expected {len(HEADER)} columns, got {len(raw)}"))
            continue
        mobile_raw, name, level_code, points_raw, balance_raw = (cell.strip() for cell in raw)
        before = len(errors)
        try:
            mobile = normalize_mobile(mobile_raw)
        except Exception:  # noqa: BLE001
            errors.append(RowError(number, "mobile", "not a mainland China mobile number"))
            mobile = ""
        if mobile and mobile in seen:
            errors.append(RowError(number, "mobile", "this mobile appears twice in the file"))
        seen.add(mobile)
        if len(name) > 100:
            errors.append(RowError(number, "name", "longer than 100 characters"))
        level_id = None
        if level_code:
            level_id = levels.get(level_code)
            if level_id is None:
                errors.append(RowError(number, "level", f"no level {level_code[:32]!r}"))
        try:
            pts = ascii_int(points_raw or "0")  # not int(): it reads "１２" and "١٢" too
            if pts is None or not 0 <= pts <= points.MAX_POINTS:
                raise ValueError
        except ValueError:
            errors.append(RowError(number, "points", "a whole number of points, 0 or more"))
            pts = 0
        try:
            fen = parse_amount_to_fen(balance_raw or "0")
            if not 0 <= fen <= MAX_AMOUNT_FEN:
                raise ValueError
        except Exception:  # noqa: BLE001
            errors.append(RowError(number, "balance", "an amount in yuan with at most 2 decimals, 0 or more"))
            fen = 0
        if len(errors) == before:
            rows.append(_Row(mobile, name, level_id, pts, fen))
    if errors:
        return ImportResult(0, False, errors)
    cash = await accounts.brand(session, tenant_id, "sv.cash")
    for row in rows:
        customer = await session.scalar(select(Customer).where(Customer.tenant_id == tenant_id, Customer.mobile == row.mobile))
        if customer is None:
            customer = Customer(tenant_id=tenant_id, mobile=row.mobile, name=row.name, created_at=now)
            session.add(customer)
            await session.flush()
        member = await members.join(session, tenant_id, customer.id, "IMPORT", now)
        if row.level_id is not None:
            await members.set_level(session, member, row.level_id, reason="import", actor=actor, now=now)
        if row.points:
            await points.credit(session, member, row.points, source="import", reference=f"import:{digest[:16]}:{member.id}",
                                now=now, actor=actor)
        if row.balance_fen:
            await post(session, tenant_id, "sv.import",
                       [Leg(cash, -row.balance_fen), Leg(await accounts.principal(session, tenant_id, member.id), row.balance_fen)],
                       idempotency_key=f"sv.import:{digest[:16]}:{member.id}", reference=("member", member.id),
                       memo="imported balance", actor=actor, now=now)
    session.add(MemberImport(tenant_id=tenant_id, digest=digest, rows=len(rows), actor_type=actor[0], actor_id=actor[1], created_at=now))
    await session.flush()
    return ImportResult(len(rows), False, [])
