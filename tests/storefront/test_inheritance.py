"""A store's page is HQ's template with each published override below it applied, and says
where each part came from."""
from __future__ import annotations

from tests.storefront.helpers import banner, keys, notice, open_storefront, page, save_and_publish, section

TEMPLATE = {
    "theme": {"primaryColor": "#E60012", "accentColor": "#FFCC00", "logoUrl": "https://img.example.com/logo.png"},
    "navigation": [{"label": "Home", "target": "/"}, {"label": "Fruit", "target": "/category/fruit"}],
    "sections": [banner("hero"), notice("notice", "Free delivery over 39"), banner("footer")],
}


async def test_every_level_contributes_and_each_section_names_its_source(client, world):
    await open_storefront(world)
    hq = await save_and_publish(client, world, "hq", "hq", TEMPLATE)
    west = await save_and_publish(client, world, "west", "west", {
        "theme": {"accentColor": "#00AA00"},
        "sections": [notice("notice", "West: rain delays"), banner("west-only")],
    })
    store = await save_and_publish(client, world, "manager_a", "a", {
        "sections": [banner("hero", "https://img.example.com/store-a.jpg")],
        "hiddenKeys": ["footer"],
    })
    a = await page(client, world, "a")
    assert keys(a) == ["hero", "notice", "west-only"]
    assert section(a, "hero")["source"]["level"] == "STORE"
    assert section(a, "hero")["source"]["version"] == store["version"]
    assert section(a, "hero")["slides"][0]["imageUrl"] == "https://img.example.com/store-a.jpg"
    assert section(a, "notice")["text"] == "West: rain delays" and section(a, "notice")["source"]["level"] == "PARTNER"
    assert a["theme"] == {"primaryColor": "#E60012", "accentColor": "#00AA00",
                          "logoUrl": "https://img.example.com/logo.png", "source": {"level": "PARTNER"}}
    assert a["navigation"]["items"][1] == {"label": "Fruit", "target": "/category/fruit"}
    assert a["navigation"]["source"] == {"level": "HQ"}
    # Store B (same partner) has the partner's override but not store A's.
    b = await page(client, world, "b")
    assert keys(b) == ["hero", "notice", "footer", "west-only"]
    assert section(b, "hero")["source"]["level"] == "HQ" and section(b, "hero")["source"]["version"] == hq["version"]
    # Store C (the other partner) sees HQ's template only.
    c = await page(client, world, "c")
    assert keys(c) == ["hero", "notice", "footer"]
    assert {s["source"]["level"] for s in c["sections"]} == {"HQ"}
    assert c["theme"]["accentColor"] == "#FFCC00"


async def test_when_hq_changes_a_section_a_store_overrode_the_store_still_wins(client, world):
    await open_storefront(world)
    await save_and_publish(client, world, "hq", "hq", {"sections": [notice("notice", "HQ v1"), banner("hero")]})
    await save_and_publish(client, world, "manager_a", "a", {"sections": [notice("notice", "Store A's own")]})
    await save_and_publish(client, world, "hq", "hq", {"sections": [notice("notice", "HQ v2"), banner("hero")]})
    assert section(await page(client, world, "a"), "notice")["text"] == "Store A's own"
    assert section(await page(client, world, "b"), "notice")["text"] == "HQ v2"
    # Unless HQ locks the key: then HQ's section is final below, the published override included.
    await save_and_publish(client, world, "hq", "hq", {"sections": [notice("notice", "HQ v3"), banner("hero")], "lockedKeys": ["notice"]})
    locked = section(await page(client, world, "a"), "notice")
    assert locked["text"] == "HQ v3" and locked["source"]["level"] == "HQ" and locked["locked"] is True


async def test_a_store_with_nothing_published_gets_an_empty_page_and_an_unknown_store_null(client, world):
    empty = await page(client, world, "a")
    assert empty["sections"] == [] and empty["theme"]["primaryColor"] is None and empty["navigation"]["items"] == []
    body = await world.gql(client, "query($s: ID!) { storefront(storeId: $s) { sections { key } } }",
                           {"s": world.gid("Store", 987654321)})
    assert body["data"]["storefront"] is None


async def test_a_notice_past_its_until_is_left_out(client, world):
    await save_and_publish(client, world, "hq", "hq", {"sections": [
        notice("old", "gone", until="2020-01-01T00:00:00+08:00"), notice("new", "shown", until="2999-01-01T00:00:00Z")]})
    assert keys(await page(client, world)) == ["new"]


async def test_another_brands_store_page_and_versions_are_not_visible(client, database, services, world):
    from tests.storefront.helpers import PAGE
    from tests.worlds import build_world

    other = await build_world(database, services)
    await save_and_publish(client, other, "hq", "hq", {"sections": [notice("notice", "other brand")]})
    body = await world.gql(client, PAGE, {"store": other.store("a")})
    assert body["data"]["storefront"] is None
    versions = "query($n: ID!) { storefrontVersions(nodeId: $n) { edges { node { id } } } }"
    denied = await world.gql(client, versions, {"n": other.gid("NetworkNode", other.hq_node_id)}, token=world.staff_token("hq"))
    assert denied["data"] is None and "not found" in denied["errors"][0]["message"]
    # Another brand's product ids are refused in a document like unknown ones.
    from tests.storefront.helpers import save

    saved = await save(client, world, "hq", "hq", {"sections": [
        {"key": "p", "type": "PRODUCT_CAROUSEL", "productIds": [other.gid("Product", other.product_ids["milk"])]}]})
    assert [(e["field"], e["code"]) for e in saved["errors"]] == [("sections.0.productIds.0", "INVALID_SECTION")]
