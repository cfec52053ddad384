"""The demo traffic generator against the running demo (tests/console/conftest.py): a demo
customer's order placed and paid through the API, then the store's riders and packers played
by the generator deliver it, so README command 1's board drains as well as fills."""
from __future__ import annotations

import asyncio
import random

import httpx

from demo.people import CUSTOMERS
from tests.console.conftest import MANAGER, STORE_CODE

STATUS = "query($o: ID!) { node(id: $o) { ... on Order { status } } }"
ASSIGN = "mutation($o: ID!, $r: ID!) { dispatchAssign(input: {orderId: $o, riderId: $r}) { errors { code } } }"
RIDERS = "query($s: ID!) { riders(storeId: $s) { edges { node { id } } } }"


def test_generator_orders_and_its_riders_deliver_through_the_api(demo, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo.database_url)  # the generator signs demo tokens for this demo
    from demo.traffic import Fleet, Shopper, _demo_tokens, customer_token, rider_tokens, staff_token

    async def run():
        rng = random.Random(7)
        async with httpx.AsyncClient(base_url=demo.base_url, timeout=30) as client:
            token = await customer_token(CUSTOMERS[0].mobile)
            shopper = Shopper(client, token)
            store = await shopper.store(STORE_CODE)
            everyone = [t for _, t in await _demo_tokens("customer", [c.mobile for c in CUSTOMERS])]
            staff = await staff_token(client, MANAGER)
            fleet = Fleet(client, await rider_tokens(STORE_CODE), store, staff, customer_tokens=everyone + [t for t in [getattr(demo, "_customer", None)] if t],
                          step_m=20_000)  # one step per leg: the test needs the protocol, not the ride
            await fleet.start()
            order = await shopper.place_paid_order(store, rng)
            fleet.customer_of[order["id"]] = token
            riders = await shopper.gql(RIDERS, {"s": store["id"]})  # as the customer: empty, staff only
            assert riders["riders"]["edges"] == []
            rider = (await fleet.gql(staff, RIDERS, {"s": store["id"]}))["riders"]["edges"][0]["node"]["id"]
            assert (await fleet.gql(staff, ASSIGN, {"o": order["id"], "r": rider}))["dispatchAssign"]["errors"] == []
            seen = []
            for _ in range(12):  # accept+arrive+pack+pick up, ride, deliver; other orders of the rider may come first
                await fleet.step(rng)
                seen.append((await shopper.gql(STATUS, {"o": order["id"]}))["node"]["status"])
                if seen[-1] == "COMPLETED":
                    break
                await asyncio.sleep(2.1)  # one position batch per rider every 2 s
            return seen

    seen = asyncio.run(run())
    assert seen[-1] == "COMPLETED", seen
    assert "DELIVERING" in seen or len(seen) <= 2, seen
