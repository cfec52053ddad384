from __future__ import annotations

from sqlalchemy import update

from core.clock import utc_now
from events import StockChanged, emit
from webhooks.models import WebhookEndpoint

CREATE = """mutation($url: String!, $types: [String!]!) {
  webhookEndpointCreate(input: {url: $url, eventTypes: $types}) {
    secret endpoint { id url eventTypes enabled lastEventId } errors { field code message } } }"""


async def create_endpoint(client, world, url: str, types=()) -> tuple[str, str]:
    body = await world.gql(client, CREATE, {"url": url, "types": list(types)}, token=world.staff_token("hq"))
    payload = body["data"]["webhookEndpointCreate"]
    assert payload["errors"] == [], payload
    return payload["endpoint"]["id"], payload["secret"]


async def emit_stock_events(database, world, count: int, per_tx: int = 100) -> None:
    store, sku = world.store_ids["a"], world.sku_ids["milk"]
    done = 0
    while done < count:
        async with database.write() as session:
            for i in range(min(per_tx, count - done)):
                await emit(session, StockChanged(tenant_id=world.tenant_id, at=utc_now(), store_id=store, sku_id=sku,
                                                 on_hand=done + i, reserved=0, actor_id=None))
        done += min(per_tx, count - done)


async def make_due(database, tenant_id: int) -> None:
    """Time passing, without waiting: retries are due now and leases have expired."""
    async with database.write() as session:
        await session.execute(update(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id)
                              .values(next_attempt_at=None, lease_until=None, lease_owner=None))
