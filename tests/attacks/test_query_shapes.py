"""Generated attacks on the GraphQL endpoint: each gets a typed error while /healthz still answers.

The attacks go to a real uvicorn on a loopback port, served from its own thread and event
loop, with a /healthz request sent alongside. An attack that blocks the server's loop (the
fragment chains re-walked every spread: 2^40 walks for 40 levels) cannot block this test's
loop, so the generous client timeout is what fails then, never a timing assertion on a
working server.
"""
from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import uvicorn

from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLObjectType

from schema.ids import encode
from schema.root import build_schema
from tests.api.test_expiry_and_auth import STAFF_LOGIN
from tests.worlds import PASSWORD

HANG_GUARD_S = 30


@pytest.fixture(scope="module")
def server_url(test_settings):
    """A uvicorn serving the app from its own thread and loop (and its own database engine)."""
    from asgi import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = replace(test_settings, dispatch_interval_s=0)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail("uvicorn did not start")
        thread.join(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(HANG_GUARD_S)


@pytest.fixture
async def served(server_url):
    async with httpx.AsyncClient(base_url=server_url, timeout=HANG_GUARD_S) as http:
        yield http


async def attack(client, world, query: str, variables: dict | None = None, *, content: bytes | None = None):
    """Send the attack and a /healthz side by side; both must come back."""

    async def send():
        headers = {"X-Tenant": world.slug, "content-type": "application/json"}
        body = content if content is not None else json.dumps({"query": query, "variables": variables or {}}).encode()
        return await client.post("/graphql", content=body, headers=headers)

    async def health():
        await asyncio.sleep(0)  # let the attack start first
        return await client.get("/healthz")

    response, healthz = await asyncio.wait_for(asyncio.gather(send(), health()), 2 * HANG_GUARD_S)
    assert healthz.status_code == 200 and healthz.json() == {"status": "ok"}
    return response


async def error_codes(client, world, query: str, variables: dict | None = None) -> list[str]:
    response = await attack(client, world, query, variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("data") is None, body
    return [e.get("extensions", {}).get("code") for e in body["errors"]]


def doubling_chain(levels: int, leaf: str, on: str = "Query") -> str:
    """`fragment F0 {...F1 ...F1}` ... : the document grows linearly, its expansion as 2^levels."""
    fragments = [f"fragment F{i} on {on} {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    fragments.append(f"fragment F{levels} on {on} {{ {leaf} }}")
    return "query Chain { ...F0 } " + " ".join(fragments) if on == "Query" else " ".join(fragments)


async def test_fragment_chains_of_growing_depth_are_refused_at_once(served, world):
    small = await attack(served, world, doubling_chain(3, "viewer { kind }"))
    assert "errors" not in small.json()  # eight copies of one field are a fine document
    for levels in (12, 18, 25, 32, 40):
        codes = await error_codes(served, world, doubling_chain(levels, "viewer { kind }"))
        assert "QUERY_TOO_LARGE" in codes, (levels, codes)


async def test_chain_inside_a_nested_field_and_deep_chain_are_refused(served, world):
    nested = "query { viewer { ...F0 } } " + doubling_chain(40, "kind", on="Viewer")
    assert "QUERY_TOO_LARGE" in await error_codes(served, world, nested)
    # A chain of single spreads expands to nothing much, but hundreds of levels of spreads would
    # take graphql-core's and the executor's recursive walks to the recursion limit.
    single = " ".join(f"fragment S{i} on Query {{ ...S{i + 1} }}" for i in range(300))
    assert "QUERY_TOO_LARGE" in await error_codes(served, world, f"query {{ ...S0 }} {single} fragment S300 on Query {{ viewer {{ kind }} }}")


async def test_alias_fan_out_is_refused(served, world):
    assert "TOO_MANY_ALIASES" in await error_codes(served, world, "{ " + " ".join(f"v{i}: viewer {{ kind }}" for i in range(31)) + " }")
    # Ten aliases in a fragment spread through a doubling chain: 10 * 2^30 aliases.
    leaf = " ".join(f"a{i}: viewer {{ kind }}" for i in range(10))
    codes = await error_codes(served, world, doubling_chain(30, leaf))
    assert "TOO_MANY_ALIASES" in codes and "QUERY_TOO_LARGE" in codes


async def test_many_fields_sharing_a_response_name_are_refused_before_the_standard_rules(served, world):
    # graphql-core compares every pair of same-named fields: 800 copies took over a second.
    assert "QUERY_TOO_LARGE" in await error_codes(served, world, "{ " + "viewer { kind } " * 800 + "}")
    distinct = " ".join(f"fragment V{i} on Query {{ viewer {{ kind }} }}" for i in range(300))
    spreads = " ".join(f"...V{i}" for i in range(300))
    assert "QUERY_TOO_LARGE" in await error_codes(served, world, f"{{ {spreads} }} {distinct}")
    assert "QUERY_TOO_LARGE" in await error_codes(served, world, "{ viewer { " + "kind " * 3000 + "} }")
    fine = await attack(served, world, "{ viewer { kind kind } v: viewer { kind } }")
    assert fine.json()["data"]["viewer"] == {"kind": "ANONYMOUS"}


async def test_deep_selection_sets_are_refused_with_a_code(served, world):
    deep = "{ viewer { " + "addresses { " * 40 + "id" + " }" * 40 + " } }"
    assert "QUERY_TOO_DEEP" in await error_codes(served, world, deep)


def product_ids(world, n: int) -> list[str]:
    real = [encode("Product", pk) for pk in world.product_ids.values()]
    return [real[i % len(real)] for i in range(n)]


NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { name skus { id code price { amount } } } } }"


async def test_nodes_ids_are_capped_and_costed_per_id(served, world):
    ok = await attack(served, world, NODES, {"ids": product_ids(world, 100)})
    assert len(ok.json()["data"]["nodes"]) == 100
    assert await error_codes(served, world, NODES, {"ids": product_ids(world, 13000)}) == ["LIST_TOO_LONG"]
    literal = '{ nodes(ids: [' + ", ".join(f'"{i}"' for i in product_ids(world, 101)) + ']) { id } }'
    assert await error_codes(served, world, literal) == ["LIST_TOO_LONG"]
    # Ten aliases of 100 ids with nested fields: each id is charged its children's cost.
    aliased = "query($ids: [ID!]!) { " + " ".join(
        f"n{i}: nodes(ids: $ids) {{ id ... on Product {{ name skus {{ id code price {{ amount }} }} }} }}" for i in range(10)
    ) + " }"
    assert await error_codes(served, world, aliased, {"ids": product_ids(world, 100)}) == ["QUERY_TOO_COSTLY"]


async def test_list_inputs_in_variables_are_capped(served, world):
    serving = "query($l: [ServingCartLineInput!]!) { servingStore(lines: $l, location: {longitude: 120.16, latitude: 30.28}) { tier } }"
    lines = [{"skuId": world.sku("milk"), "quantity": 1}] * 101
    assert await error_codes(served, world, serving, {"l": lines}) == ["LIST_TOO_LONG"]
    nested = "mutation($i: CartLinesRemoveInput!) { cartLinesRemove(input: $i) { errors { code } } }"
    huge = {"storeId": world.store("a"), "skuIds": [world.sku("milk")] * 1001}
    assert await error_codes(served, world, nested, {"i": huge}) == ["LIST_TOO_LONG"]


def _list_locations(schema) -> set[str]:
    def is_list(type_) -> bool:
        return isinstance(type_.of_type if isinstance(type_, GraphQLNonNull) else type_, GraphQLList)

    found = set()
    for name, type_ in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType):
            found |= {f"{name}.{f}({a})" for f, d in type_.fields.items() for a, arg in d.args.items() if is_list(arg.type)}
        if isinstance(type_, GraphQLInputObjectType):
            found |= {f"{name}.{f}" for f, d in type_.fields.items() if is_list(d.type)}
    return found


def test_every_list_argument_and_list_input_field_has_a_cap(test_settings):
    from app.list_caps import LIST_CAPS

    locations = _list_locations(build_schema(test_settings)._schema)
    assert "Query.nodes(ids)" in locations and "CartLinesAddInput.lines" in locations
    assert locations - LIST_CAPS.keys() == set(), "add a cap in app/list_caps.py"
    assert LIST_CAPS.keys() - locations == set(), "a capped list no longer exists"


async def test_deeply_nested_json_is_a_400(served, world):
    response = await attack(served, world, "", content=b'{"query": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert response.status_code == 400 and response.headers["x-content-type-options"] == "nosniff"
    nested = json.loads("[" * 500 + "]" * 500)
    body = json.dumps({"query": "query($p: JSON) { __typename }", "variables": {"p": nested}}).encode()
    assert (await attack(served, world, "", content=body)).status_code == 400


async def test_token_responses_are_no_store_and_every_response_is_nosniff(client, world):
    login = await client.post("/graphql", json={"query": STAFF_LOGIN, "variables": {"u": "hq", "p": PASSWORD}}, headers={"X-Tenant": world.slug})
    assert login.json()["data"]["staffLogin"]["tokens"]["accessToken"]
    assert login.headers["cache-control"] == "no-store"
    aliased = "mutation($u: String!, $p: String!) { x: staffLogin(input: {username: $u, password: $p}) { ...T } } fragment T on AuthPayload { t: tokens { a: accessToken } }"
    hidden = await client.post("/graphql", json={"query": aliased, "variables": {"u": "hq", "p": PASSWORD}}, headers={"X-Tenant": world.slug})
    assert hidden.json()["data"]["x"]["t"]["a"] and hidden.headers["cache-control"] == "no-store"
    query = await client.post("/graphql", json={"query": "{ viewer { kind } }"}, headers={"X-Tenant": world.slug})
    assert "cache-control" not in query.headers
    too_large = await client.post("/graphql", content=b"x" * (world.services.settings.max_body_bytes + 1))
    responses = [login, query, too_large, await client.get("/healthz"), await client.get("/readyz"),
                 await client.post("/graphql", content=b"{not json"),
                 await client.post("/payments/sandbox/callback", content=b"{}")]
    assert [r.headers.get("x-content-type-options") for r in responses] == ["nosniff"] * len(responses)


def test_without_introspection_errors_do_not_suggest_names():
    # A second schema cannot be built in this process (strawberry binds resolvers to the classes).
    script = """
import asyncio, json
from core.settings import Settings
from schema.root import build_schema
schema = build_schema(Settings(introspection=False))
async def main():
    typo = await schema.execute("{ viewr { kind } }")
    enum = await schema.execute("query($t: FulfilmentType!) { deliverySlots(storeId: \\"x\\", fulfilmentType: $t) { timezone } }",
                                variable_values={"t": "STORE_PICKU"})
    print(json.dumps([e.message for e in typo.errors + enum.errors]))
asyncio.run(main())
"""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    messages = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(messages) == 2 and messages[0].startswith("Cannot query field 'viewr'"), messages
    assert not any("Did you mean" in m for m in messages), messages
