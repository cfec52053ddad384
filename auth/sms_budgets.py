"""How many login codes may be sent: per client address, per brand and per mobile.

Each budget is a fixed window per key, kept in the database (auth.models.SmsBudget) so it
holds across every stateless API process, and spent with core.attempts.take_attempt, so
concurrent requests cannot send past it. A fixed window lets a burst of up to twice the
budget straddle a window boundary; that bounds the cost, which is what the budget is for.

The per-mobile budget also serialises requests for one mobile (they queue on its row until
commit), so the sliding cooldown in auth.one_time_codes.next_send_at, read after it, sees
every earlier send: concurrent requests cannot all pass the cooldown.
"""
from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.models import SmsBudget
from core.attempts import take_attempt


@dataclass(frozen=True)
class SmsBudgets:
    """Codes per window; 0 means no budget of that kind."""

    per_client: int = 30
    per_client_window: timedelta = timedelta(hours=1)
    per_brand: int = 2000
    per_brand_window: timedelta = timedelta(hours=1)


def client_key(client_address: str) -> str:
    """IPv6 clients are budgeted per /64: one subscriber usually holds a whole /64, and would
    otherwise have 2**64 budgets."""
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return f"client:{client_address}"
    if address.version == 6:
        return f"client:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"client:{address}"


def brand_key(tenant_id: int) -> str:
    return f"brand:{tenant_id}"


def mobile_key(tenant_id: int, mobile: str) -> str:
    return f"mobile:{tenant_id}:{mobile}"


async def spend(
    session: AsyncSession, key: str, limit: int, window: timedelta, now: datetime, tenant_id: int | None = None
) -> datetime | None:
    """Take one send from `key`'s budget: None if taken, otherwise when the budget frees up.

    The change commits with the caller's transaction, so a request refused later (or whose
    transaction fails) gives its send back."""
    if limit <= 0:
        return None
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(insert(SmsBudget).values(key=key, tenant_id=tenant_id, sends=0).on_conflict_do_nothing(index_elements=["key"]))
    taken = await take_attempt(
        session, SmsBudget.sends, (SmsBudget.key == key,), limit=limit,
        window_start=SmsBudget.window_started_at, window=window, now=now,
    )
    if taken:
        return None
    started = await session.scalar(select(SmsBudget.window_started_at).where(SmsBudget.key == key))
    return started + window


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds to wait, at least 1, for a retry-after."""
    return max(1, math.ceil((moment - now).total_seconds()))
