"""Start-up registration is idempotent; the outbox reads after a cursor; commerce imports no delivery."""
from __future__ import annotations

import ast
from pathlib import Path

from core.clock import utc_now
from events import OrderCancelled, OrderTransitioned, registry
from events.outbox import read_after
from events.wiring import register_listeners
from tests.api.helpers import place_order
from tests.dispatch_api.helpers import pk

ROOT = Path(__file__).resolve().parents[2]


def test_commerce_imports_nothing_from_delivery():
    offenders = []
    for path in (ROOT / "commerce").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n == "delivery" or n.startswith("delivery.")]
    assert offenders == []


def test_registering_twice_runs_each_listener_once(services):
    event = OrderCancelled(tenant_id=1, at=utc_now(), order_id=1, store_id=1,
                           fulfilment_type="STORE_PICKUP", from_status="UNPAID", to_status="CANCELLED",
                           actor_type="SYSTEM", actor_id=None, reason="")
    before = registry.listeners_for(event)
    register_listeners()
    register_listeners()
    after = registry.listeners_for(event)
    assert after == before and len(after) == len(set(after)) >= 3
    assert isinstance(event, OrderTransitioned)


async def test_read_after_pages_one_tenants_events_by_cursor(client, world, database):
    first = (await place_order(client, world, {"milk": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
    second = (await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
    async with database.read() as session:
        page = await read_after(session, world.tenant_id, 0, limit=1, types=("order.created",))
        assert [(r.aggregate_id, r.type) for r in page] == [(pk(first), "order.created")]
        rest = await read_after(session, world.tenant_id, page[-1].id, types=("order.created",))
        assert [r.aggregate_id for r in rest] == [pk(second)]
        assert all(r.tenant_id == world.tenant_id for r in await read_after(session, world.tenant_id))
        assert await read_after(session, world.tenant_id, rest[-1].id, types=("order.created",)) == []
