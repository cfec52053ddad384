"""Round three, what reaches the logs: an unexpected database error is logged with its statement
but never with the values bound to it (a customer's mobile, an address, a token's digest)."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, StatementError

from db.session import create_engine_for


async def test_a_failing_statement_does_not_carry_its_parameters(database_url):
    engine = create_engine_for(database_url)
    try:
        async with engine.connect() as connection:
            with pytest.raises((DBAPIError, StatementError)) as failed:
                await connection.execute(text("SELECT * FROM no_such_table WHERE mobile = :m"), {"m": "+8613912345678"})
    finally:
        await engine.dispose()
    assert "+8613912345678" not in str(failed.value)


async def test_the_apps_engine_hides_bound_values(world):
    assert world.services.database.engine.sync_engine.hide_parameters is True
