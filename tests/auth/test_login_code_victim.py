"""Login-code send budgets cannot be spent against a victim's number from one network: the
hourly per-mobile budget counts per requesting network (IPv6 per /64), under a cap for all
networks together; the one-per-minute cooldown still holds across networks."""
from __future__ import annotations

from datetime import timedelta

import pytest

from auth import service
from auth.one_time_codes import MOBILE_SENDS_CAP, SEND_MAX_PER_WINDOW
from core.clock import utc_now
from core.errors import DomainError

VICTIM = "+8613900009999"
PEPPER = b"test-pepper"


async def _ask(database, world, at, address) -> str:
    try:
        async with database.write() as session:
            await service.request_login_code(session, world.tenant_id, VICTIM, at, timedelta(minutes=5), PEPPER,
                                             client_address=address)
        return "SENT"
    except DomainError as exc:
        return exc.code.value


async def test_an_outsider_spending_a_mobiles_sends_does_not_lock_its_owner_out(database, world):
    start = utc_now()
    minute = timedelta(seconds=61)
    outsider, victim = "2001:db8:aaaa:1::7", "2001:db8:bbbb:2::9"
    spent = [await _ask(database, world, start + i * minute, outsider) for i in range(SEND_MAX_PER_WINDOW + 1)]
    assert spent == ["SENT"] * SEND_MAX_PER_WINDOW + ["RATE_LIMITED"]
    assert await _ask(database, world, start + (SEND_MAX_PER_WINDOW + 1) * minute, "2001:db8:aaaa:1::8") == "RATE_LIMITED"  # same /64
    at = start + (SEND_MAX_PER_WINDOW + 2) * minute
    assert await _ask(database, world, at, victim) == "SENT"
    assert await _ask(database, world, at + timedelta(seconds=10), "2001:db8:cccc:3::1") == "RATE_LIMITED"  # the cooldown spans networks


async def test_all_networks_together_stay_under_the_mobiles_cap(database, world):
    start = utc_now()
    outcomes = [await _ask(database, world, start + i * timedelta(seconds=61), f"2001:db8:{i:x}:1::1")
                for i in range(MOBILE_SENDS_CAP + 2)]
    assert outcomes == ["SENT"] * MOBILE_SENDS_CAP + ["RATE_LIMITED"] * 2
