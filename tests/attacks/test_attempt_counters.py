"""Attacks on every attempt counter, replayed against the API: many concurrent guesses never get
more tries than the limit (PostgreSQL: separate transactions racing; SQLite: one writer), the
right code after the limit is refused, and a wrong, used, expired or locked code all get the
same answer, so no reply tells a guesser which guess was right. One client address, one brand
and one mobile cannot have more login codes texted than their budgets allow, even across API
processes."""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import re
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from auth.models import LoginCode
from auth.sms import MemorySmsSender
from auth.one_time_codes import DEFAULT_MAX_ATTEMPTS
from core.clock import utc_now
from core.errors import CommonErrorCode
from db.session import Database
from delivery.board.proof import MAX_ATTEMPTS as PROOF_MAX_ATTEMPTS
from delivery.dispatch_models import DeliveryProof
from delivery.models import PickupCode, PickupVerification
from delivery.pickup_codes import ORDER_MAX_ATTEMPTS, STORE_MAX_FAILURES
from schema.ids import decode
from app.services import build_services
from tests.api import gql_documents as docs
from tests.dispatch_api.helpers import ACCEPT, ASSIGN, DELIVER, PICK_UP, PROOF, add_rider, delivery_order, rid, rider_token
from tests.slots.test_pickup_and_settings import VERIFY, ready_pickup

GUESSERS = 30
REQUEST_CODE = "mutation($m: String!) { requestLoginCode(input: {mobile: $m}) { sent errors { field code message } } }"
LOGIN = """mutation($m: String!, $c: String!) {
  customerLogin(input: {mobile: $m, code: $c}) { tokens { accessToken } errors { field code message } } }"""


def unique_address() -> str:
    """A client address of this test's own (in a /64 of its own: budgets are per IPv6 /64)."""
    return str(ipaddress.IPv6Address("2001:db8::") + ((uuid.uuid4().int % 2**32) << 64) + 1)


@pytest.fixture
async def attacker(app):
    """An API client calling from an address of its own."""
    transport = httpx.ASGITransport(app=app, client=(unique_address(), 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def wrong_codes(right: str, n: int) -> list[str]:
    return [c for c in (f"{i:06d}" for i in range(n + 1)) if c != right][:n]


async def at_once(*calls):
    return await asyncio.wait_for(asyncio.gather(*calls), timeout=120)


# -- login codes -----------------------------------------------------------------------------


async def _code_for(attacker, world, mobile: str) -> str:
    sent = await world.gql(attacker, REQUEST_CODE, {"m": mobile})
    assert sent["data"]["requestLoginCode"] == {"sent": True, "errors": []}
    return world.services.sms.last_code(mobile)


async def _login(attacker, world, mobile: str, code: str) -> dict:
    return (await world.gql(attacker, LOGIN, {"m": mobile, "c": code}))["data"]["customerLogin"]


async def _attempts(database, world, mobile: str) -> int:
    async with database.read() as session:
        return await session.scalar(
            select(LoginCode.attempts).where(LoginCode.tenant_id == world.tenant_id, LoginCode.mobile == mobile)
        )


async def test_concurrent_wrong_login_guesses_never_exceed_the_limit(attacker, world, database):
    mobile = "+8613700001111"
    code = await _code_for(attacker, world, mobile)
    results = await at_once(*(_login(attacker, world, mobile, guess) for guess in wrong_codes(code, GUESSERS)))
    assert all(r["tokens"] is None for r in results)
    assert len({str(r["errors"]) for r in results}) == 1  # wrong and locked answer alike
    assert results[0]["errors"][0]["code"] == "CODE_INVALID"
    assert await _attempts(database, world, mobile) == DEFAULT_MAX_ATTEMPTS
    late = await _login(attacker, world, mobile, code)  # the right code, after the limit
    assert late["tokens"] is None and late["errors"] == results[0]["errors"]


async def test_concurrent_right_guesses_sign_in_exactly_once(attacker, world, database):
    mobile = "+8613700002222"
    code = await _code_for(attacker, world, mobile)
    wrong = await _login(attacker, world, mobile, wrong_codes(code, 1)[0])
    results = await at_once(*(_login(attacker, world, mobile, code) for _ in range(3)))
    assert sum(r["tokens"] is not None for r in results) == 1
    assert [r["errors"] for r in results if r["tokens"] is None] == [wrong["errors"]] * 2  # losers look like wrong guesses


async def test_wrong_used_expired_and_missing_codes_get_one_answer(attacker, world, database):
    mobile, other = "+8613700003333", "+8613700004444"
    code = await _code_for(attacker, world, mobile)
    wrong = (await _login(attacker, world, mobile, wrong_codes(code, 1)[0]))["errors"]
    assert (await _login(attacker, world, mobile, code))["tokens"] is not None
    used = (await _login(attacker, world, mobile, code))["errors"]
    never_requested = (await _login(attacker, world, "+8613700005555", "123456"))["errors"]
    other_code = await _code_for(attacker, world, other)
    async with database.write() as session:
        await session.execute(
            update(LoginCode).where(LoginCode.tenant_id == world.tenant_id, LoginCode.mobile == other)
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
    expired = (await _login(attacker, world, other, other_code))["errors"]
    assert wrong == used == never_requested == expired
    assert wrong[0]["code"] == "CODE_INVALID"


# -- pickup codes ----------------------------------------------------------------------------


async def _awaiting_pickup(client, world) -> tuple[str, dict]:
    order, code = await ready_pickup(client, world)
    moved = await world.gql(client, docs.TRANSITION, {"order": order, "status": "AWAITING_PICKUP"}, token=world.staff_token("hq"))
    assert moved["data"]["orderTransition"]["errors"] == []
    return order, code


async def _verify(client, world, order, code, token) -> dict:
    variables = {"s": world.store("a"), "o": order, "c": code}
    return (await world.gql(client, VERIFY, variables, token=token))["data"]["pickupCodeVerify"]


async def test_concurrent_wrong_pickup_guesses_never_exceed_the_order_limit(client, world, database):
    order, code = await _awaiting_pickup(client, world)
    clerk = world.staff_token("clerk_a")
    results = await at_once(*(_verify(client, world, order, g, clerk) for g in wrong_codes(code["code"], 20)))
    assert len({str(r["errors"]) for r in results}) == 1 and results[0]["errors"][0]["code"] == "CODE_INVALID"
    async with database.read() as session:
        attempts = await session.scalar(select(PickupCode.attempts).where(PickupCode.order_id == decode(order, "Order", CommonErrorCode, "id")))
    assert attempts == ORDER_MAX_ATTEMPTS
    late = await _verify(client, world, order, code["code"], clerk)
    assert late["order"] is None and late["errors"] == results[0]["errors"]
    # Used codes answer like wrong ones too.
    fresh_order, fresh_code = await _awaiting_pickup(client, world)
    assert (await _verify(client, world, fresh_order, fresh_code["code"], clerk))["order"] == {"status": "COMPLETED"}
    assert (await _verify(client, world, fresh_order, fresh_code["code"], clerk))["errors"] == results[0]["errors"]


async def test_callers_refused_for_permission_cannot_lock_a_store(client, world, database):
    order, code = await _awaiting_pickup(client, world)
    denied = await at_once(
        *(_verify(client, world, order, "000000", None) for _ in range(STORE_MAX_FAILURES + 1)),
        *(_verify(client, world, order, "000000", world.customer_token()) for _ in range(5)),
    )
    assert {r["errors"][0]["code"] for r in denied} == {"PERMISSION_DENIED"}
    async with database.read() as session:
        audited = await session.scalar(
            select(func.count(PickupVerification.id)).where(PickupVerification.store_id == world.store_ids["a"])
        )
    assert audited == 0  # anonymous and customer refusals leave no rows to flood the table with
    done = await _verify(client, world, order, code["code"], world.staff_token("clerk_a"))
    assert done == {"order": {"status": "COMPLETED"}, "errors": []}


async def test_a_locked_store_unlocks_when_its_wrong_guesses_age_out(client, world, database):
    """Refusals at a locked store are not failures themselves, or the lock would renew forever."""
    order, code = await _awaiting_pickup(client, world)
    clerk = world.staff_token("clerk_a")
    async with database.write() as session:
        session.add_all(
            PickupVerification(tenant_id=world.tenant_id, store_id=world.store_ids["a"], method="CODE", outcome="CODE_INVALID",
                               actor_type="STAFF", created_at=utc_now() - timedelta(minutes=9))
            for _ in range(STORE_MAX_FAILURES)
        )
    refused = await at_once(*(_verify(client, world, order, code["code"], clerk) for _ in range(STORE_MAX_FAILURES)))
    assert {r["errors"][0]["code"] for r in refused} == {"RATE_LIMITED"}
    async with database.write() as session:  # ten minutes on: the wrong guesses leave the window
        await session.execute(
            update(PickupVerification)
            .where(PickupVerification.store_id == world.store_ids["a"], PickupVerification.outcome == "CODE_INVALID")
            .values(created_at=utc_now() - timedelta(minutes=11))
        )
    assert (await _verify(client, world, order, code["code"], clerk))["order"] == {"status": "COMPLETED"}


# -- delivery proof codes --------------------------------------------------------------------


async def test_concurrent_wrong_proof_codes_never_exceed_the_limit(client, world, database):
    order = await delivery_order(client, world)
    rider = await add_rider(world)
    token = rider_token(world, rider)
    assigned = await world.gql(client, ASSIGN, {"o": order, "r": rid(world, rider)}, token=world.staff_token("clerk_a"))
    assert assigned["data"]["dispatchAssign"]["errors"] == []
    for doc in (ACCEPT, PICK_UP):
        body = await world.gql(client, doc, {"o": order}, token=token)
        assert all(not v["errors"] for v in body["data"].values())
    proof = (await world.gql(client, PROOF, {"o": order}, token=world.customer_token()))["data"]["node"]["deliveryProof"]["code"]

    async def deliver(code):
        return (await world.gql(client, DELIVER, {"o": order, "c": code}, token=token))["data"]["riderDeliver"]

    results = await at_once(*(deliver(g) for g in wrong_codes(proof, 20)))
    assert len({str(r["errors"]) for r in results}) == 1 and results[0]["errors"][0]["code"] == "CODE_INVALID"
    async with database.read() as session:
        attempts = await session.scalar(
            select(DeliveryProof.attempts).where(DeliveryProof.order_id == decode(order, "Order", CommonErrorCode, "id"))
        )
    assert attempts == PROOF_MAX_ATTEMPTS
    late = await deliver(proof)
    assert late["task"] is None and late["errors"] == results[0]["errors"]


# -- SMS budgets -----------------------------------------------------------------------------


class OnlyHumans:
    """A captcha verifier that knows one solved token."""

    async def verify(self, token, client_address):
        return token == "solved"


def api(services, database, captcha=None, **settings):
    """Another API process: its own settings, SMS sender and services over `database`."""
    from asgi import create_app

    configured = dataclasses.replace(services.settings, **settings)
    own = build_services(configured, database=database, sms=MemorySmsSender(), captcha=captcha)
    return create_app(configured, own), own


@contextlib.asynccontextmanager
async def calling_from(app, address: str):
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def _request_code(http, world, mobile: str, headers: dict | None = None, captcha: str | None = None) -> dict:
    variables = {"m": mobile, "t": captcha}
    response = await http.post(
        "/graphql", json={"query": REQUEST_WITH_CAPTCHA, "variables": variables}, headers={"X-Tenant": world.slug, **(headers or {})}
    )
    return response.json()["data"]["requestLoginCode"]


REQUEST_WITH_CAPTCHA = """mutation($m: String!, $t: String) {
  requestLoginCode(input: {mobile: $m, captchaToken: $t}) { sent errors { field code message } } }"""


def _mobiles(n: int) -> list[str]:
    return [f"+86137{i:08d}" for i in range(n)]


def _outcomes(results) -> list[str]:
    return ["SENT" if r["sent"] else r["errors"][0]["code"] for r in results]


async def test_one_client_address_cannot_text_past_its_budget_across_processes(world, services, database_url):
    """Two API processes (own engines and pools) share the budget kept in the database."""
    first_db, second_db = Database(database_url), Database(database_url)
    try:
        (first, first_services), (second, second_services) = (
            api(services, db, sms_budget_per_client=5) for db in (first_db, second_db)
        )
        address = unique_address()
        async with calling_from(first, address) as one, calling_from(second, address) as two:
            results = await at_once(*(_request_code(one if i % 2 else two, world, m) for i, m in enumerate(_mobiles(24))))
        assert _outcomes(results).count("SENT") == 5
        assert _outcomes(results).count("RATE_LIMITED") == 19
        assert len(first_services.sms.sent) + len(second_services.sms.sent) == 5
        refused = next(r for r in results if not r["sent"])["errors"][0]
        assert re.search(r"try again in \d+ s", refused["message"])
        async with calling_from(first, unique_address()) as neighbour:  # another address has its own budget
            assert (await _request_code(neighbour, world, "+8613699999999"))["sent"] is True
    finally:
        await first_db.dispose()
        await second_db.dispose()


async def test_a_brand_cannot_text_past_its_budget_from_many_addresses(world, services, database):
    app, own = api(services, database, sms_budget_per_brand=4)

    async def request(mobile):
        async with calling_from(app, unique_address()) as http:
            return await _request_code(http, world, mobile)

    results = await at_once(*(request(m) for m in _mobiles(12)))
    assert _outcomes(results).count("SENT") == 4 and len(own.sms.sent) == 4
    assert _outcomes(results).count("RATE_LIMITED") == 8


async def test_concurrent_requests_for_one_mobile_send_one_code(world, services, database):
    app, own = api(services, database)

    async def request():
        async with calling_from(app, unique_address()) as http:
            return await _request_code(http, world, "+8613611112222")

    results = await at_once(*(request() for _ in range(10)))
    assert _outcomes(results).count("SENT") == 1 and len(own.sms.sent) == 1
    assert {r["errors"][0]["field"] for r in results if not r["sent"]} == {"mobile"}


async def test_forwarded_for_is_believed_only_from_trusted_proxies(world, services, database):
    proxy = unique_address()
    app, own = api(services, database, sms_budget_per_client=2, trusted_proxies=f"{proxy}/128")
    mobiles = iter(_mobiles(20))
    async with calling_from(app, unique_address()) as direct:  # rotating the header does not escape the budget
        results = [await _request_code(direct, world, next(mobiles), {"X-Forwarded-For": unique_address()}) for _ in range(4)]
    assert _outcomes(results) == ["SENT", "SENT", "RATE_LIMITED", "RATE_LIMITED"]
    async with calling_from(app, proxy) as via_proxy:  # behind our proxy each client has its own budget
        clients = [unique_address() for _ in range(3)]
        results = [await _request_code(via_proxy, world, next(mobiles), {"X-Forwarded-For": f"198.51.100.7, {c}"})
                   for c in clients for _ in range(2)]
    assert _outcomes(results) == ["SENT"] * 6


async def test_a_configured_captcha_is_checked_before_anything_is_spent(world, services, database):
    app, own = api(services, database, captcha=OnlyHumans(), sms_budget_per_client=1)
    async with calling_from(app, unique_address()) as http:
        missing = await _request_code(http, world, "+8613633334444")
        failed = await _request_code(http, world, "+8613633334444", captcha="guessed")
        solved = await _request_code(http, world, "+8613633334444", captcha="solved")
    assert [e["code"] for e in missing["errors"]] == ["CAPTCHA_REQUIRED"]
    assert [(e["field"], e["code"]) for e in failed["errors"]] == [("captchaToken", "CAPTCHA_FAILED")]
    assert solved == {"sent": True, "errors": []}  # the refused calls spent neither the address's budget nor a send
    assert len(own.sms.sent) == 1
