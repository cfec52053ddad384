"""Test infrastructure: every DB-backed test runs on SQLite and on PostgreSQL/PostGIS.

Each backend gets a fresh, migrated database for the session; each test builds its own
tenant ("world"), so tests never see each other's data and need no truncation.
PostgreSQL comes from QIANDIAN_TEST_PG_URL (default: postgres@127.0.0.1:5432). Outside CI an
unreachable server skips the PostgreSQL half with a message; in CI (CI=true) it fails.
"""
from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import httpx
import pytest

from auth.sms import MemorySmsSender
from core.settings import Settings
from db.migrate import upgrade_async
from db.session import Database
from app.services import build_services

PG_ADMIN_URL = os.environ.get("QIANDIAN_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
SHARED_BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"


def pytest_addoption(parser):
    parser.addoption(
        "--backends",
        default=os.environ.get("QIANDIAN_TEST_BACKENDS", "sqlite,postgresql"),
        help="comma-separated database backends for DB-backed tests",
    )


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        backends = [b.strip() for b in metafunc.config.getoption("--backends").split(",") if b.strip()]
        metafunc.parametrize("backend", backends, scope="session")


async def _create_pg_database(name: str) -> str:
    import asyncpg

    admin = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin, timeout=5)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


async def _drop_pg_database(name: str) -> None:
    import asyncpg

    admin = PG_ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin, timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def database_url(backend, tmp_path_factory):
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "qiandian-test.sqlite3"
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade_async(url)
        yield url
        return
    name = f"qiandian_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        url = await _create_pg_database(name)
    except (OSError, asyncio.TimeoutError, Exception) as exc:  # noqa: BLE001
        message = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        await upgrade_async(url)
        yield url
    finally:
        await _drop_pg_database(name)


@pytest.fixture(scope="session")
async def database(database_url):
    db = Database(database_url)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def test_settings(database_url) -> Settings:
    # The anonymous micro-cache is off here: tests read stock right after changing it.
    # Every test of the session sends its login codes from the same client address into one
    # database, so the per-address budget (30 an hour by default) would be spent by whichever tests
    # run first. Tests of the budgets build their own app with explicit budgets
    # (tests/attacks/test_attempt_counters.py).
    return Settings(database_url=database_url, sweeper_interval_s=0, unpaid_order_ttl_s=900, anonymous_cache_ttl_ms=0,
                    sms_budget_per_client=100_000)


@pytest.fixture(scope="session")
def services(test_settings, database):
    return build_services(test_settings, database=database, sms=MemorySmsSender())


@pytest.fixture(scope="session")
def app(services):
    from asgi import create_app

    return create_app(services.settings, services)


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def world(database, services):
    from tests.worlds import build_world

    return await build_world(database, services)


@pytest.fixture
def shared_bench() -> Path:
    if not SHARED_BENCH.is_dir():
        pytest.skip(f"benchmark data not found at {SHARED_BENCH} (needs ../shared/bench beside the repo)")
    return SHARED_BENCH
