"""The geo index version triggers under bulk changes, and the migrations that install them
going down and up again on both backends."""
from __future__ import annotations

import asyncio
import uuid

from alembic import command
from sqlalchemy import func, select, update

from db.migrate import alembic_config, upgrade_async
from geo.index_cache import read_versions
from geo.models import DeliveryZoneRow
from store_network.models import Store
from tests.conftest import _create_pg_database, _drop_pg_database
from tests.geo_api.city import build_city


async def test_bulk_changes_bump_per_statement_on_postgresql_and_only_for_real_changes(database, backend):
    async with database.write() as session:
        city = await build_city(session, 300, seed=3)
    async with database.read() as session:
        before = await read_versions(session, city.tenant_id)
    async with database.write() as session:  # one statement, 300 rows, watched column changed
        await session.execute(update(Store).where(Store.tenant_id == city.tenant_id).values(status="CLOSED"))
    async with database.read() as session:
        after_status = await read_versions(session, city.tenant_id)
    if backend == "postgresql":
        assert after_status == (before[0] + 1, before[1])  # once, and no geometry change
    else:  # SQLite: row-level triggers
        assert after_status[0] >= before[0] + 300 and after_status[1] == before[1]
    async with database.write() as session:  # the same values again: nothing changed
        await session.execute(update(Store).where(Store.tenant_id == city.tenant_id).values(status="CLOSED"))
    async with database.read() as session:
        again = await read_versions(session, city.tenant_id)
    if backend == "postgresql":
        assert again == after_status
    async with database.write() as session:  # geometry: every store moves a little
        await session.execute(update(Store).where(Store.tenant_id == city.tenant_id).values(lat=Store.lat + 0.0001))
        zones = await session.scalar(select(func.count()).select_from(DeliveryZoneRow).where(DeliveryZoneRow.tenant_id == city.tenant_id))
    async with database.read() as session:
        moved = await read_versions(session, city.tenant_id)
    assert moved[0] > again[0] and moved[1] > again[1]
    if backend == "postgresql":
        assert moved == (again[0] + 1, again[1] + 1)
    assert zones > 0


async def test_migrations_go_down_and_up_again(backend, database_url, tmp_path):
    # database_url: skips (or fails in CI) like every DB test when the backend is unreachable
    if backend == "sqlite":
        url, cleanup = f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.sqlite3'}", None
    else:
        name = f"qiandian_roundtrip_{uuid.uuid4().hex[:8]}"
        url = await _create_pg_database(name)
        cleanup = name
    try:
        await upgrade_async(url)
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0004")
        await upgrade_async(url)
    finally:
        if cleanup:
            await _drop_pg_database(cleanup)
