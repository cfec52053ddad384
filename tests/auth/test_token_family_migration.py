"""Migration 0009 gives every existing refresh token a family, and goes down and up again."""
from __future__ import annotations

import asyncio
import uuid

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from db.migrate import alembic_config, upgrade_async
from tests.conftest import _create_pg_database, _drop_pg_database

NOW = "2030-01-01 08:00:00"


async def _sql(url: str, *statements: str) -> list:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            results = [await conn.execute(text(s)) for s in statements]
            return [r.all() if r.returns_rows else None for r in results]
    finally:
        await engine.dispose()


async def test_existing_refresh_tokens_become_families_and_the_migration_reverses(backend, database_url, tmp_path):
    # database_url: skips (or fails in CI) like every DB test when the backend is unreachable
    if backend == "sqlite":
        url, cleanup = f"sqlite+aiosqlite:///{tmp_path / 'families.sqlite3'}", None
    else:
        cleanup = f"qiandian_families_{uuid.uuid4().hex[:8]}"
        url = await _create_pg_database(cleanup)
    try:
        await upgrade_async(url, "0007")
        await _sql(
            url,
            f"INSERT INTO tenant (id, slug, name, currency, timezone, created_at) VALUES (1, 'old', 'Old', 'CNY', 'Asia/Shanghai', '{NOW}')",
            f"INSERT INTO refresh_token (jti, tenant_id, subject, expires_at, revoked_at, created_at) VALUES "
            f"('live-jti', 1, 'customer:1', '{NOW}', NULL, '{NOW}'), ('spent-jti', 1, 'staff:2', '{NOW}', '{NOW}', '{NOW}')",
        )
        await upgrade_async(url, "0009")
        (tokens, families) = await _sql(
            url,
            "SELECT jti, family_id FROM refresh_token ORDER BY jti",
            "SELECT id, tenant_id, subject, revoked_at FROM refresh_token_family ORDER BY id",
        )
        assert tokens == [("live-jti", "live-jti"), ("spent-jti", "spent-jti")]
        assert families == [("live-jti", 1, "customer:1", None), ("spent-jti", 1, "staff:2", None)]
        await asyncio.to_thread(command.downgrade, alembic_config(url), "0007")
        (tokens,) = await _sql(url, "SELECT jti, subject FROM refresh_token ORDER BY jti")
        assert tokens == [("live-jti", "customer:1"), ("spent-jti", "staff:2")]
        await upgrade_async(url)
    finally:
        if cleanup:
            await _drop_pg_database(cleanup)
