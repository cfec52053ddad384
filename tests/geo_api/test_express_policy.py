"""deliveryOptions and the slot planner apply the same express policy (settings, tiers, prep time)."""
from __future__ import annotations

from sqlalchemy import select

from store_network.models import Store
from tests.worlds import HANGZHOU

OPTIONS = """query($lon: Float!, $lat: Float!) {
  deliveryOptions(location: {longitude: $lon, latitude: $lat, system: WGS84}, first: 3) {
    store { code } expressPossible reasons } }"""
SETTINGS = """mutation($n: ID!, $e: Boolean) { deliverySettingsSet(input: {nodeId: $n, expressEnabled: $e}) { errors { code } } }"""
STORE_UPDATE = "mutation($id: ID!, $p: Int!) { storeUpdate(input: {id: $id, prepMinutes: $p}) { errors { code } } }"


async def _express_of_store_a(client, world) -> tuple[bool, list[str]]:
    lon, lat = HANGZHOU
    body = await world.gql(client, OPTIONS, {"lon": lon + 0.002, "lat": lat + 0.002})
    option = next(o for o in body["data"]["deliveryOptions"] if o["store"]["code"] == "A")
    return option["expressPossible"], option["reasons"]


async def test_express_follows_store_settings_and_preparation_time(client, world, database):
    assert (await _express_of_store_a(client, world))[0] is True
    async with database.read() as session:
        node_id = await session.scalar(select(Store.node_id).where(Store.id == world.store_ids["a"]))
    hq = world.staff_token("hq")
    body = await world.gql(client, SETTINGS, {"n": world.gid("NetworkNode", node_id), "e": False}, token=hq)
    assert body["data"]["deliverySettingsSet"]["errors"] == []
    possible, reasons = await _express_of_store_a(client, world)
    assert possible is False and reasons  # says why
    await world.gql(client, SETTINGS, {"n": world.gid("NetworkNode", node_id), "e": None}, token=hq)  # inherit again
    assert (await _express_of_store_a(client, world))[0] is True
    slow = await world.gql(client, STORE_UPDATE, {"id": world.store("a"), "p": 30}, token=hq)
    assert slow["data"]["storeUpdate"]["errors"] == []
    assert (await _express_of_store_a(client, world))[0] is False  # 30 minutes of picking cannot make a 30-minute promise
