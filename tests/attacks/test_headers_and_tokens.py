"""Attacks on the HTTP edge and on sessions (hardening issue, items 4 and 9).

Ambiguous tenant or credential headers are refused before anything runs; the anonymous
micro-cache never answers one brand with another's data and never caches a mutation however
it is spelled; a replayed refresh token ends its whole session family.
"""
from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from asgi import create_app
from auth.models import LoginCode
from tests.worlds import build_world

STORES = "{ stores(first: 5) { edges { node { id } } } }"


@pytest.fixture
async def cached_client(services):
    # The suite's settings turn the micro-cache off; these tests attack it, so turn it on.
    settings = dataclasses.replace(services.settings, anonymous_cache_ttl_ms=60_000)
    app = create_app(settings, dataclasses.replace(services, settings=settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


def _mobile() -> str:
    return f"+86137{uuid.uuid4().int % 10**8:08d}"


def _login_code_mutation(mobile: str) -> str:
    return f'mutation {{ requestLoginCode(input: {{mobile: "{mobile}"}}) {{ sent }} }}'


async def _codes_written(database, tenant_id: int, mobile: str) -> int:
    async with database.read() as session:
        return await session.scalar(
            select(func.count()).select_from(LoginCode).where(LoginCode.tenant_id == tenant_id, LoginCode.mobile == mobile)
        )


def _store_ids(body: dict) -> set[str]:
    return {edge["node"]["id"] for edge in body["data"]["stores"]["edges"]}


# -- item 4: ambiguous headers -------------------------------------------------------------


def _ambiguous_header_sets(world, other, token: str) -> list[list[tuple[str, str]]]:
    """Every way of naming the brand or the caller twice, alone and combined."""
    values = {
        "X-Tenant": (world.slug, other.slug),
        "Authorization": (f"Bearer {token}", "ApiKey qd_not_a_real_key_0000"),
        "X-Api-Key": ("qd_not_a_real_key_0000", "qd_another_fake_key_111"),
    }
    doubled = []
    for name, (first, second) in values.items():
        doubled.append([(name, first), (name, second)])  # differing copies
        doubled.append([(name, first), (name.lower(), first)])  # identical value, other spelling
    sets = []
    for size in (1, 2, 3):
        for combo in itertools.combinations(doubled, size):
            if len({pairs[0][0] for pairs in combo}) == size:  # each header doubled once per set
                sets.append([pair for pairs in combo for pair in pairs])
    # Both credentials at once, each sent once.
    sets.append([("Authorization", f"Bearer {token}"), ("X-Api-Key", "qd_not_a_real_key_0000")])
    sets.append([("Authorization", "ApiKey qd_not_a_real_key_0000"), ("X-Api-Key", "qd_not_a_real_key_0000")])
    for headers in sets:  # every set still names a brand, so the mutation would otherwise write
        if not any(name.lower() == "x-tenant" for name, _ in headers):
            headers.append(("X-Tenant", world.slug))
    return sets


@pytest.mark.parametrize("cache", ["off", "on"])
async def test_ambiguous_tenant_or_credential_headers_are_refused_and_write_nothing(client, cached_client, database, services, world, cache):
    other = await build_world(database, services)
    http = cached_client if cache == "on" else client
    header_sets = _ambiguous_header_sets(world, other, world.customer_token())
    assert len(header_sets) >= 20
    for headers in header_sets:
        mobile = _mobile()
        response = await http.post("/graphql", json={"query": _login_code_mutation(mobile)}, headers=headers)
        assert response.status_code == 400, (headers, response.text)
        assert response.headers["content-type"] == "application/json"
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "AMBIGUOUS_CREDENTIALS" and error["message"], error
        for tenant in (world, other):
            assert await _codes_written(database, tenant.tenant_id, mobile) == 0, headers
    # The same mutation with one of each header runs (and writes), so the refusals above mattered.
    mobile = _mobile()
    fine = await http.post("/graphql", json={"query": _login_code_mutation(mobile)}, headers={"X-Tenant": world.slug})
    assert fine.json()["data"]["requestLoginCode"]["sent"] is True
    assert await _codes_written(database, world.tenant_id, mobile) == 1


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
async def test_ambiguous_websocket_handshakes_are_refused(test_settings, world):
    from starlette.websockets import WebSocketDisconnect

    from tests.dispatch_api.test_tracking import live_app

    with live_app(test_settings, redis_url="redis://127.0.0.1:1/0") as (tc, _):  # its own loop and database pool
        with tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers={"x-tenant": world.slug}) as ws:
            ws.send_json({"type": "connection_init", "payload": {}})
            assert ws.receive_json()["type"] == "connection_ack"  # one of each is fine
        duplicated = httpx.Headers([("x-tenant", world.slug), ("x-tenant", "another-brand")])
        with pytest.raises(WebSocketDisconnect):
            with tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers=duplicated):
                pass
        # Browsers send credentials in connection_init: two spellings of one key are refused too.
        with tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json({"type": "connection_init", "payload": {"X-Tenant": world.slug, "x-tenant": "another-brand"}})
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 4403


# -- item 4: the micro-cache -------------------------------------------------------------


async def test_the_cache_never_answers_one_brand_with_another_brands_data(cached_client, database, services, world):
    other = await build_world(database, services)
    expected = {}
    for brand in (world, other):
        expected[brand.slug] = {brand.store(k) for k in ("a", "b", "c")}
    assert expected[world.slug].isdisjoint(expected[other.slug])
    poison_statuses = []
    for round_ in range(4):
        # An attacker names both brands: before the fix this ran as the first and was cached as the last.
        first, last = (world, other) if round_ % 2 == 0 else (other, world)
        poison = await cached_client.post(
            "/graphql", json={"query": STORES}, headers=[("X-Tenant", first.slug), ("X-Tenant", last.slug)]
        )
        poison_statuses.append(poison.status_code)
        for brand in (last, first):  # alternate the brands' visitors, same body every time
            response = await cached_client.post("/graphql", json={"query": STORES}, headers={"X-Tenant": brand.slug})
            assert response.status_code == 200
            assert _store_ids(response.json()) == expected[brand.slug], (round_, brand.slug, response.headers)
    assert set(poison_statuses) == {400}
    # The cache was really on: a repeat is a hit, and still the visitor's own brand.
    again = await cached_client.post("/graphql", json={"query": STORES}, headers={"X-Tenant": other.slug})
    assert again.headers.get("x-qiandian-cache") == "HIT" and _store_ids(again.json()) == expected[other.slug]


def _escaped_bodies(mobile: str) -> list[bytes]:
    """The same mutation in spellings a raw-body keyword check misses (JSON escapes)."""
    plain = _login_code_mutation(mobile)
    rest = plain[len("mutation"):]
    every_char = "".join(f"\\u{ord(ch):04x}" for ch in "mutation")
    variables = ', "variables": {}'
    spellings = [
        "\\u006dutation" + json.dumps(rest)[1:-1],
        "\\u006Dutation" + json.dumps(rest)[1:-1],
        every_char + json.dumps(rest)[1:-1],
        "# a query, honestly\\n\\u006dutation" + json.dumps(rest)[1:-1],
    ]
    return [('{"query": "' + s + '"' + variables + "}").encode() for s in spellings]


async def test_escaped_mutations_are_executed_every_time_and_never_cached(cached_client, database, world):
    for index in range(4):
        mobile = _mobile()
        body = _escaped_bodies(mobile)[index]
        assert json.loads(body)["query"].lstrip("# a query, honestly\n").startswith("mutation")
        responses = [
            await cached_client.post("/graphql", content=body, headers={"X-Tenant": world.slug, "content-type": "application/json"})
            for _ in range(3)
        ]
        for response in responses:
            assert response.status_code == 200, response.text
            assert "x-qiandian-cache" not in response.headers, body
        # Each ran: the first sent a code, the repeats were rate limited (a cached copy would say sent).
        assert [r.json()["data"]["requestLoginCode"]["sent"] for r in responses] == [True, False, False], body
        assert await _codes_written(database, world.tenant_id, mobile) == 1


async def test_only_a_single_query_operation_is_cached(cached_client, world):
    headers = {"X-Tenant": world.slug}
    cacheable = {"query": "query Shelf " + STORES}
    two_operations = {"query": "query A " + STORES + " query B { __typename }", "operationName": "A"}
    for body, cached in ((cacheable, True), (two_operations, False)):
        responses = [await cached_client.post("/graphql", json=body, headers=headers) for _ in range(2)]
        assert responses[0].status_code == responses[1].status_code == 200
        assert (responses[1].headers.get("x-qiandian-cache") == "HIT") is cached, body
    # A repeated JSON key could be read two ways: not cached.
    repeated = b'{"query": "{ __typename }", "query": "' + STORES.encode() + b'"}'
    for _ in range(2):
        response = await cached_client.post("/graphql", content=repeated, headers={**headers, "content-type": "application/json"})
        assert "x-qiandian-cache" not in response.headers


# -- item 9: refresh-token families ------------------------------------------------------

E = "errors { code field message }"
CUSTOMER_LOGIN = f"mutation($m: String!, $c: String!) {{ customerLogin(input: {{mobile: $m, code: $c}}) {{ tokens {{ accessToken refreshToken }} {E} }} }}"
STAFF_LOGIN = f"mutation($u: String!, $p: String!) {{ staffLogin(input: {{username: $u, password: $p}}) {{ tokens {{ accessToken refreshToken }} {E} }} }}"
REFRESH = f"mutation($r: String!) {{ tokenRefresh(input: {{refreshToken: $r}}) {{ tokens {{ accessToken refreshToken }} {E} }} }}"
LOGOUT = f"mutation($r: String) {{ logout(input: {{refreshToken: $r}}) {{ loggedOut {E} }} }}"
VIEWER = "{ viewer { kind authError } }"


async def _sign_in(client, world, who: str) -> dict:
    """A fresh sign-in (a new family): {"accessToken", "refreshToken"}."""
    if who == "staff":
        from tests.worlds import PASSWORD

        body = await world.gql(client, STAFF_LOGIN, {"u": "manager_a", "p": PASSWORD})
        payload = body["data"]["staffLogin"]
    else:
        mobile = _mobile()
        sent = await world.gql(client, _login_code_mutation(mobile))
        assert sent["data"]["requestLoginCode"]["sent"] is True, sent
        code = world.services.sms.last_code(mobile)
        payload = (await world.gql(client, CUSTOMER_LOGIN, {"m": mobile, "c": code}))["data"]["customerLogin"]
    assert payload["errors"] == [], payload
    return payload["tokens"]


async def _refresh(client, world, refresh_token: str) -> dict:
    return (await world.gql(client, REFRESH, {"r": refresh_token}))["data"]["tokenRefresh"]


async def _kind(client, world, access_token: str) -> str:
    return (await world.gql(client, VIEWER, token=access_token))["data"]["viewer"]["kind"]


def _codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


@pytest.mark.parametrize("who, kind", [("customer", "CUSTOMER"), ("staff", "STAFF")])
async def test_a_replayed_refresh_token_ends_every_token_of_its_sign_in(client, world, who, kind):
    first = await _sign_in(client, world, who)
    elsewhere = await _sign_in(client, world, who)  # the same person on another device: a family of its own
    second = (await _refresh(client, world, first["refreshToken"]))["tokens"]
    third = (await _refresh(client, world, second["refreshToken"]))["tokens"]
    assert await _kind(client, world, third["accessToken"]) == kind
    # A thief replays the spent first refresh token: refused, and the sign-in is over.
    replay = await _refresh(client, world, first["refreshToken"])
    assert replay["tokens"] is None and _codes(replay) == ["TOKEN_INVALID"]
    refused = await _refresh(client, world, third["refreshToken"])  # the newest token of the family
    assert refused["tokens"] is None and _codes(refused) == ["TOKEN_INVALID"], refused
    for tokens in (first, second, third):
        viewer = (await world.gql(client, VIEWER, token=tokens["accessToken"]))["data"]["viewer"]
        assert viewer["kind"] == "ANONYMOUS" and viewer["authError"].startswith("TOKEN_INVALID"), viewer
    # The other sign-in is untouched.
    assert await _kind(client, world, elsewhere["accessToken"]) == kind
    assert (await _refresh(client, world, elsewhere["refreshToken"]))["errors"] == []


@pytest.mark.parametrize("who, kind", [("customer", "CUSTOMER"), ("staff", "STAFF")])
async def test_logout_ends_the_sign_in_named_by_its_refresh_token_or_by_the_caller(client, world, who, kind):
    by_refresh, by_access, other = [await _sign_in(client, world, who) for _ in range(3)]
    # 1. With the refresh token, no access token needed.
    out = (await world.gql(client, LOGOUT, {"r": by_refresh["refreshToken"]}))["data"]["logout"]
    assert out == {"loggedOut": True, "errors": []}
    # 2. Without one: the caller's own sign-in.
    out = (await world.gql(client, LOGOUT, {}, token=by_access["accessToken"]))["data"]["logout"]
    assert out == {"loggedOut": True, "errors": []}
    for tokens in (by_refresh, by_access):
        assert await _kind(client, world, tokens["accessToken"]) == "ANONYMOUS"
        assert _codes(await _refresh(client, world, tokens["refreshToken"])) == ["TOKEN_INVALID"]
        # A retried logout is a success, not an error.
        again = (await world.gql(client, LOGOUT, {"r": tokens["refreshToken"]}))["data"]["logout"]
        assert again == {"loggedOut": True, "errors": []}
    assert await _kind(client, world, other["accessToken"]) == kind
    assert (await _refresh(client, world, other["refreshToken"]))["errors"] == []
    # Typed errors, nothing revoked: no session named, or a token that is not ours.
    anonymous = (await world.gql(client, LOGOUT, {}))["data"]["logout"]
    assert anonymous["loggedOut"] is False and _codes(anonymous) == ["UNAUTHENTICATED"]
    forged = (await world.gql(client, LOGOUT, {"r": other["refreshToken"][:-4] + "AAAA"}))["data"]["logout"]
    assert forged["loggedOut"] is False and _codes(forged) == ["TOKEN_INVALID"]
    assert await _kind(client, world, other["accessToken"]) == kind


async def test_concurrent_refreshes_with_one_token_yield_exactly_one_new_pair(client, world, database):
    from auth.models import RefreshToken, RefreshTokenFamily

    signed_in = await _sign_in(client, world, "customer")
    racers = 12
    results = await asyncio.wait_for(
        asyncio.gather(*(_refresh(client, world, signed_in["refreshToken"]) for _ in range(racers))), timeout=60
    )
    winners = [r for r in results if r["tokens"] is not None]
    assert len(winners) == 1, results
    assert all(_codes(r) == ["TOKEN_INVALID"] for r in results if r["tokens"] is None)
    family_id = world.services.signer.verify_refresh(signed_in["refreshToken"]).family_id
    async with database.read() as session:
        rows = (await session.scalars(select(RefreshToken).where(RefreshToken.family_id == family_id))).all()
        family = await session.get(RefreshTokenFamily, family_id)
    assert len(rows) == 2  # the sign-in's token and the one new token: never two new pairs
    # The losers presented a spent token, which is what a thief racing the owner looks like: the
    # sign-in is ended (clients must serialise their refreshes).
    assert family.revoked_reason == "REPLAY"
    assert _codes(await _refresh(client, world, winners[0]["tokens"]["refreshToken"])) == ["TOKEN_INVALID"]
