"""The first-order condition under concurrent checkouts: a customer placing first orders at
three stores at the same instant gets the first-order discount on exactly one of them (the
checkout locks the customer's row before counting earlier orders; SQLite has one writer)."""
from __future__ import annotations

import asyncio

from tests.promotions.helpers import add_to_cart, checkout, create, rule


async def test_simultaneous_first_orders_get_the_first_order_discount_once(backend, client, world):
    made = await create(client, world, name="Welcome", actions=[rule("amount_off", amount="1.00")], conditions=[rule("first_order")])
    assert made["errors"] == [], made
    for customer in ("alice", "bob"):
        for store in ("a", "b", "c"):
            await add_to_cart(client, world, store, customer=customer, bread=1)
        placed = await asyncio.gather(*(checkout(client, world, store, customer=customer) for store in ("a", "b", "c")))
        assert all(p["errors"] == [] for p in placed), placed
        discounts = sorted(p["order"]["discount"]["amount"] for p in placed)
        assert discounts == ["0.00", "0.00", "1.00"], (customer, discounts)
