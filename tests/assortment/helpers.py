from __future__ import annotations

E = "errors { field code message }"
LISTING_SET = f"""mutation($input: StoreListingSetInput!) {{ storeListingSet(input: $input) {{ listed skuIds stores changed {E} }} }}"""
NETWORK_SET = f"""mutation($input: NetworkListingSetInput!) {{ networkListingSet(input: $input) {{ listed skuIds stores changed {E} }} }}"""
MANDATORY_SET = f"""mutation($input: ProductMandatorySetInput!) {{ productMandatorySet(input: $input) {{ productIds mandatory nodeId {E} }} }}"""
CONTROL_SET = """mutation($id: ID!, $assortment: ControlLevel) {
  networkNodeControlSet(input: {nodeId: $id, assortment: $assortment}) { errors { code } } }"""
SHELF = """query($store: ID!) { products(storeId: $store, first: 50) { edges { node { name skus { code } } } } }"""


async def listing_set(client, world, staff: str, *, listed: bool, store: str = "a", skus=(), products=()) -> dict:
    variables = {"input": {"storeId": world.store(store), "listed": listed,
                           "skuIds": [world.sku(s) for s in skus] or None,
                           "productIds": [world.gid("Product", world.product_ids[p]) for p in products] or None}}
    body = await world.gql(client, LISTING_SET, variables, token=world.staff_token(staff))
    return body["data"]["storeListingSet"]


async def network_set(client, world, staff: str, node_gid: str, *, listed: bool, products=()) -> dict:
    variables = {"input": {"nodeId": node_gid, "listed": listed, "productIds": [world.gid("Product", world.product_ids[p]) for p in products]}}
    body = await world.gql(client, NETWORK_SET, variables, token=world.staff_token(staff))
    return body["data"]["networkListingSet"]


async def mandatory_set(client, world, staff: str, products, mandatory: bool = True, node_gid: str | None = None) -> dict:
    variables = {"input": {"productIds": [world.gid("Product", world.product_ids[p]) for p in products], "mandatory": mandatory,
                           "nodeId": node_gid}}
    body = await world.gql(client, MANDATORY_SET, variables, token=world.staff_token(staff))
    return body["data"]["productMandatorySet"]


async def control(client, world, node_gid: str, level: str, staff: str = "hq") -> None:
    body = await world.gql(client, CONTROL_SET, {"id": node_gid, "assortment": level}, token=world.staff_token(staff))
    assert body["data"]["networkNodeControlSet"]["errors"] == [], body


async def shelf(client, world, store: str = "a") -> set[str]:
    body = await world.gql(client, SHELF, {"store": world.store(store)})
    return {sku["code"] for edge in body["data"]["products"]["edges"] for sku in edge["node"]["skus"]}


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]
