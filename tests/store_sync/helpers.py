from __future__ import annotations

from sqlalchemy import select

from commerce.models import Stock, StorePrice

KEY_CREATE = """mutation($r: StaffRole!, $n: ID!) {
  apiKeyCreate(input: {name: "till", role: $r, nodeId: $n}) { key errors { code } } }"""

STOCK_SYNC = """mutation($input: StoreStockSyncInput!) { storeStockSync(input: $input) {
  applied stale rejected replayed rows { index skuCode status code onHand reserved } errors { field code message } } }"""

PRICE_SYNC = """mutation($input: StorePriceSyncInput!) { storePriceSync(input: $input) {
  applied stale rejected replayed rows { index skuCode status code price { amount } } errors { field code message } } }"""


async def store_api_key(client, world, store: str = "a") -> str:
    """A STORE_MANAGER API key on the store's node: what a till runs with."""
    from store_network import provisioning

    async with world.services.database.read() as session:
        from store_network.models import Store

        node_id = (await session.get(Store, world.store_ids[store])).node_id
    body = await world.gql(client, KEY_CREATE, {"r": "STORE_MANAGER", "n": world.gid("NetworkNode", node_id)}, token=world.staff_token("hq"))
    assert body["data"]["apiKeyCreate"]["errors"] == [], body
    _ = provisioning
    return body["data"]["apiKeyCreate"]["key"]


async def gql_key(client, world, query: str, variables: dict, key: str) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"ApiKey {key}"})
    assert response.status_code == 200, response.text
    return response.json()


async def stock_of(database, world, sku: str, store: str = "a") -> tuple[int, int]:
    async with database.read() as session:
        row = await session.scalar(select(Stock).where(Stock.store_id == world.store_ids[store], Stock.sku_id == world.sku_ids[sku]))
    return row.on_hand, row.reserved


async def price_of(database, world, sku: str, store: str = "a") -> int | None:
    async with database.read() as session:
        return await session.scalar(select(StorePrice.price_fen).where(
            StorePrice.store_id == world.store_ids[store], StorePrice.sku_id == world.sku_ids[sku]))
