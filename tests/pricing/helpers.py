"""GraphQL documents and small flows of the store-network pricing tests."""
from __future__ import annotations

from datetime import datetime

from commerce import pricing

E = "errors { field code message }"
BAND_SET = f"""mutation($n: ID!, $below: Int, $above: Int) {{
  networkNodePriceBandSet(input: {{nodeId: $n, belowPercent: $below, abovePercent: $above}}) {{
    node {{ control {{ priceBand {{ belowPercent abovePercent }} }} }} {E} }} }}"""
STORE_PRICE = f"""mutation($s: ID!, $k: ID!, $p: String) {{ storePriceSet(input: {{storeId: $s, skuId: $k, price: $p, reason: "local market"}}) {{
  price {{ amount }} {E} }} }}"""
PARTNER_PRICE = f"""mutation($n: ID!, $k: ID!, $p: String) {{ partnerPriceSet(input: {{nodeId: $n, skuId: $k, price: $p, reason: "region"}}) {{
  price {{ amount }} {E} }} }}"""
TIME_PRICE = f"""mutation($input: TimePriceCreateInput!) {{ timePriceCreate(input: $input) {{
  timePrice {{ id percentOff price {{ amount }} dailyStart dailyEnd startsAt endsAt endedAt }} {E} }} }}"""
TIME_END = f"""mutation($id: ID!) {{ timePriceEnd(input: {{id: $id}}) {{ timePrice {{ id endedAt }} {E} }} }}"""
IMPORT = f"""mutation($csv: String!, $reason: String!) {{ pricesImport(input: {{csv: $csv, reason: $reason}}) {{
  rows storePrices partnerPrices timePrices changed rowErrors {{ row field code message }} {E} }} }}"""
CHANGES = """query($s: ID, $n: ID, $k: ID, $first: Int, $after: String) {
  priceChanges(storeId: $s, nodeId: $n, skuId: $k, first: $first, after: $after) {
    edges { cursor node { storeId skuId oldPrice { amount } newPrice { amount } source channel actorStaffId actorApiKeyId reason } }
    pageInfo { hasNextPage endCursor } } }"""
SHELF = """query($store: ID!) { store(id: $store) { products(first: 10) { nodes { name
  skus { price { amount } priceSource priceBreakdown { source price { amount } } } } } } }"""


async def gql(client, world, doc, variables, staff="hq"):
    return await world.gql(client, doc, variables, token=world.staff_token(staff) if staff else None)


async def band(client, world, node_id, below, above, staff="hq"):
    body = await gql(client, world, BAND_SET, {"n": world.gid("NetworkNode", node_id), "below": below, "above": above}, staff)
    return body["data"]["networkNodePriceBandSet"]


async def store_price(client, world, amount, staff="hq", store="a", sku="milk"):
    body = await gql(client, world, STORE_PRICE, {"s": world.store(store), "k": world.sku(sku), "p": amount}, staff)
    return body["data"]["storePriceSet"]


async def partner_price(client, world, amount, staff="hq", partner="west", sku="milk"):
    body = await gql(client, world, PARTNER_PRICE, {"n": world.gid("NetworkNode", world.partner_ids[partner]), "k": world.sku(sku), "p": amount}, staff)
    return body["data"]["partnerPriceSet"]


async def shelf(client, world, store="a") -> dict:
    body = await world.gql(client, SHELF, {"store": world.store(store)})
    return {p["name"]: p["skus"][0] for p in body["data"]["store"]["products"]["nodes"]}


async def price_at(world, at: datetime, sku="milk", store="a") -> pricing.UnitPrice:
    async with world.services.database.read() as session:
        context = pricing.PriceContext(world.tenant_id, world.store_ids[store], None, at)
        return (await pricing.price_skus(session, context, [world.sku_ids[sku]]))[world.sku_ids[sku]]


async def store_node(world, store="a") -> int:
    from store_network.models import Store

    async with world.services.database.read() as session:
        return (await session.get(Store, world.store_ids[store])).node_id
