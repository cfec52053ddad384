"""`qiandian prices-import --tenant SLUG --as USERNAME file.csv`: the pricesImport mutation for
files too large for an HTTP request, acting as an active staff member of the brand (their
grants decide what they may price, as through the API). Exit status 0 when imported, 1 when
any row was refused (every error printed, nothing written), 2 when the staff or brand is unknown."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from auth.roles import Principal
from auth.service import staff_grants
from core.errors import DomainError
from db.session import Database
from network_pricing import importer
from store_network.models import Staff, Tenant


async def run(database_url: str, tenant_slug: str, username: str, path: Path, reason: str) -> tuple[int, list[str]]:
    from events.wiring import register_listeners

    register_listeners()  # the price steps and event listeners, as the API wires them
    database = Database(database_url)
    try:
        async with database.read() as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
            staff = None if tenant is None else await session.scalar(
                select(Staff).where(Staff.tenant_id == tenant.id, Staff.username == username, Staff.active.is_(True)))
            if staff is None:
                return 2, [f"no active staff {username!r} in brand {tenant_slug!r}"]
            principal = Principal.staff(tenant.id, staff.id, await staff_grants(session, staff.id))
        csv_text = path.read_text(encoding="utf-8-sig")
        try:
            async with database.write() as session:
                result = await importer.import_prices(session, principal, csv_text, reason)
                if result.errors:
                    raise _Refused(result)
        except _Refused as refused:
            lines = [f"line {e.row}: {e.code.value} {e.field or ''}: {e.message}" for e in refused.result.errors]
            return 1, [*lines, f"{refused.result.error_count} row error(s) in {refused.result.rows} rows; nothing was imported"]
        except DomainError as exc:
            return 1, [f"{exc.code.value}: {exc.message}"]
        return 0, [f"imported {result.rows} rows: {result.store_prices} store, {result.partner_prices} partner, "
                   f"{result.time_prices} time prices; {result.changed} changed"]
    finally:
        await database.dispose()


class _Refused(Exception):
    def __init__(self, result: importer.ImportResult):
        super().__init__("refused")
        self.result = result
