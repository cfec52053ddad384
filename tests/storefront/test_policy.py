"""Who may change which storefront: role, the storefront control policy, and section locks."""
from __future__ import annotations

from sqlalchemy import update

from store_network.models import NetworkNode
from tests.storefront.helpers import banner, node_gid, notice, open_storefront, publish, save, save_and_publish


def _codes(payload) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def _set_control(world, node_id: int, level: str | None) -> None:
    async with world.services.database.write() as session:
        await session.execute(update(NetworkNode).where(NetworkNode.id == node_id).values(storefront_control=level))


async def test_strong_control_at_hq_refuses_partners_and_stores_but_not_hq(client, world):
    await open_storefront(world, level="STRONG")  # the provisioning default
    for staff, node in (("west", "west"), ("manager_a", "a")):
        refused = await save(client, world, staff, node, {"sections": [banner("hero")]})
        assert _codes(refused) == [("nodeId", "STOREFRONT_LOCKED_BY_HQ")], refused
    assert (await save(client, world, "hq", "a", {"sections": [banner("hero")]}))["errors"] == []  # HQ decides for the store


async def test_a_partner_holding_strong_control_locks_its_stores_only(client, world):
    await open_storefront(world, level="WEAK")
    await _set_control(world, world.partner_ids["west"], "STRONG")
    assert _codes(await save(client, world, "manager_a", "a", {"sections": [banner("x")]})) == [("nodeId", "STOREFRONT_LOCKED_BY_HQ")]
    assert (await save(client, world, "west", "a", {"sections": [banner("x")]}))["errors"] == []
    assert (await save(client, world, "west", "west", {"sections": [banner("x")]}))["errors"] == []


async def test_roles_and_scope(client, world):
    await open_storefront(world)
    doc = {"sections": [banner("hero")]}
    assert _codes(await save(client, world, "clerk_a", "a", doc)) == [("nodeId", "PERMISSION_DENIED")]
    assert _codes(await save(client, world, "manager_a", "b", doc)) == [("nodeId", "PERMISSION_DENIED")]
    assert _codes(await save(client, world, "manager_a", "hq", doc)) == [("nodeId", "PERMISSION_DENIED")]
    assert _codes(await save(client, world, "west", "c", doc)) == [("nodeId", "PERMISSION_DENIED")]
    assert _codes(await save(client, world, "west", "hq", doc)) == [("nodeId", "PERMISSION_DENIED")]
    from tests.storefront.helpers import SAVE

    anonymous = await world.gql(client, SAVE, {"node": node_gid(world, "a"), "doc": doc})
    assert _codes(anonymous["data"]["storefrontDraftSave"]) == [(None, "UNAUTHENTICATED")]
    # A store manager may publish their own store's override.
    saved = await save(client, world, "manager_a", "a", doc)
    published = await publish(client, world, "manager_a", saved["storefrontVersion"]["id"])
    assert published["errors"] == [] and published["storefrontVersion"]["publishedBy"] == f"staff:{world.staff_ids['manager_a']}"
    # ... but not another node's draft.
    other = await save(client, world, "hq", "hq", doc)
    assert _codes(await publish(client, world, "manager_a", other["storefrontVersion"]["id"])) == [("versionId", "PERMISSION_DENIED")]


async def test_a_locked_section_cannot_be_overridden_or_hidden_below(client, world):
    await open_storefront(world)
    await save_and_publish(client, world, "hq", "hq", {"sections": [banner("hero"), notice("notice", "hq")], "lockedKeys": ["hero"]})
    refused = await save(client, world, "manager_a", "a", {"sections": [notice("notice", "mine"), banner("hero")], "hiddenKeys": []})
    assert _codes(refused) == [("sections.1.key", "SECTION_LOCKED")]
    hidden = await save(client, world, "west", "west", {"hiddenKeys": ["notice", "hero"]})
    assert _codes(hidden) == [("hiddenKeys.1", "SECTION_LOCKED")]
    # Unlocked keys stay free.
    assert (await save(client, world, "manager_a", "a", {"sections": [notice("notice", "mine")]}))["errors"] == []


async def test_a_lock_placed_after_a_draft_was_saved_refuses_its_publish(client, world):
    await open_storefront(world)
    await save_and_publish(client, world, "hq", "hq", {"sections": [notice("notice", "hq")]})
    draft = await save(client, world, "manager_a", "a", {"sections": [notice("notice", "mine")]})
    assert draft["errors"] == []
    await save_and_publish(client, world, "hq", "hq", {"sections": [notice("notice", "hq")], "lockedKeys": ["notice"]})
    refused = await publish(client, world, "manager_a", draft["storefrontVersion"]["id"])
    assert _codes(refused) == [("sections.0.key", "SECTION_LOCKED")]
