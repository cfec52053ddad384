"""deliveryOptions and the slot planner apply the same express policy (settings, tiers, prep time)."""
from __future__ import annotations

from sqlalchemy import select, update

from delivery.models import DeliverySettingsRow
from geo.index_cache import DEFAULT_CACHE, read_version
from store_network.models import NetworkNode, Store
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


async def _version(database, tenant_id: int) -> int:
    async with database.read() as session:
        return await read_version(session, tenant_id)


async def test_every_input_of_the_express_policy_bumps_the_geo_index_version(client, world, database):
    """deliveryOptions caches the policies with the tenant's geo index (other processes
    rebuild it when the version moves), so each input of the policy must move it."""
    hq = world.staff_token("hq")
    node = world.gid("NetworkNode", world.hq_node_id)
    before = await _version(database, world.tenant_id)
    body = await world.gql(client, SETTINGS, {"n": node, "e": False}, token=hq)  # inserts the HQ row
    assert body["data"]["deliverySettingsSet"]["errors"] == []
    after_insert = await _version(database, world.tenant_id)
    assert after_insert > before
    await world.gql(client, SETTINGS, {"n": node, "e": True}, token=hq)  # updates it
    after_update = await _version(database, world.tenant_id)
    assert after_update > after_insert
    slot_only = """mutation($n: ID!) { deliverySettingsSet(input: {nodeId: $n, slotMinutes: 30}) { errors { code } } }"""
    assert (await world.gql(client, slot_only, {"n": node}, token=hq))["data"]["deliverySettingsSet"]["errors"] == []
    assert await _version(database, world.tenant_id) == after_update  # not an express input: no rebuild
    async with database.write() as session:
        store_node = await session.scalar(select(Store.node_id).where(Store.id == world.store_ids["a"]))
        await session.execute(update(NetworkNode).where(NetworkNode.id == store_node).values(path=NetworkNode.path + "x/"))
    after_path = await _version(database, world.tenant_id)
    assert after_path > after_update
    async with database.write() as session:
        await session.execute(update(Store).where(Store.id == world.store_ids["a"]).values(node_id=world.hq_node_id))
    after_move = await _version(database, world.tenant_id)
    assert after_move > after_path
    async with database.write() as session:
        await session.execute(DeliverySettingsRow.__table__.delete().where(DeliverySettingsRow.tenant_id == world.tenant_id))
    assert await _version(database, world.tenant_id) > after_move


async def test_a_settings_change_in_another_process_reaches_delivery_options(client, world, database):
    """Written behind this process's back (as another API process would): visible once the
    version is checked again, without any invalidate() here."""
    assert (await _express_of_store_a(client, world))[0] is True
    async with database.read() as session:
        node_id = await session.scalar(select(Store.node_id).where(Store.id == world.store_ids["a"]))
    async with database.write() as session:
        session.add(DeliverySettingsRow(tenant_id=world.tenant_id, node_id=node_id, express_enabled=False))
    DEFAULT_CACHE.invalidate(world.tenant_id)  # = the 1 s check interval has passed
    possible, reasons = await _express_of_store_a(client, world)
    assert possible is False and "EXPRESS_DISABLED" in reasons
    async with database.write() as session:
        await session.execute(update(DeliverySettingsRow).where(DeliverySettingsRow.node_id == node_id).values(express_enabled=None))
    DEFAULT_CACHE.invalidate(world.tenant_id)
    assert (await _express_of_store_a(client, world))[0] is True
