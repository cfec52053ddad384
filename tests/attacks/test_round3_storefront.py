"""Round three, storefront documents as an outsider writes them: URLs that would run, times at
the ends of the calendar, sizes past the caps, and another store's or brand's versions."""
from __future__ import annotations

import pytest

from tests.storefront.helpers import PUBLISH, banner, node_gid, notice, open_storefront, page, publish, save, save_and_publish

ROLLBACK = """mutation($node: ID!, $version: Int!) {
  storefrontRollback(input: {nodeId: $node, version: $version}) { storefrontVersion { id } errors { field code } } }"""


@pytest.mark.parametrize("url", [
    "javascript:alert(1)//https://x", "JAVASCRIPT:alert(1)", "data:text/html,<script>alert(1)</script>",
    " https://x.example/a.jpg", "https://x.example/a b.jpg", "//evil.example/a.jpg", "vbscript:msgbox", "https://",
])
async def test_active_or_odd_image_urls_are_refused(client, world, url):
    saved = await save(client, world, "hq", "hq", {"sections": [banner("hero", url)]})
    assert saved["storefrontVersion"] is None and saved["errors"], saved
    assert saved["errors"][0]["field"].startswith("sections.0.slides.0.imageUrl")


@pytest.mark.parametrize("link", ["javascript:alert(1)", "//evil.example", "data:,x", "\\\\evil.example", "/\\evil.example", "/\\/evil.example", "https://a.example\\@evil.example/", "/a\x01b"])
async def test_active_links_are_refused(client, world, link):
    doc = {"sections": [{**banner("hero"), "slides": [{"imageUrl": "https://img.example/a.jpg", "link": link}]}],
           "navigation": [{"label": "x", "target": link}]}
    saved = await save(client, world, "hq", "hq", doc)
    assert saved["storefrontVersion"] is None
    assert {e["field"] for e in saved["errors"]} >= {"sections.0.slides.0.link", "navigation.0.target"}


async def test_thousands_of_sections_are_a_typed_error_and_no_write(client, world):
    doc = {"sections": [notice(f"n{i}", "x") for i in range(2_000)]}  # under the 256 KB body limit
    body = await world.gql(client, """mutation($node: ID!, $doc: StorefrontDocumentInput!) {
      storefrontDraftSave(input: {nodeId: $node, document: $doc}) { errors { field code } } }""",
                           {"node": node_gid(world, "hq"), "doc": doc}, token=world.staff_token("hq"))
    # Refused before any resolver runs (list caps) or by the document's own cap: never a write.
    assert "INTERNAL_SERVER_ERROR" not in str(body)[:2000]
    assert body.get("errors") or body["data"]["storefrontDraftSave"]["errors"], str(body)[:500]


@pytest.mark.parametrize("key", ["ｈｅｒｏ", "hero\u200b", "HERO", "he ro", "x" * 41, "héro"])
async def test_section_keys_are_plain_ascii(client, world, key):
    saved = await save(client, world, "hq", "hq", {"sections": [banner(key)]})
    assert saved["storefrontVersion"] is None and saved["errors"][0]["field"] == "sections.0.key"


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
async def test_a_publish_time_at_the_ends_of_the_calendar_is_typed_not_a_500(client, world, at):
    saved = await save(client, world, "hq", "hq", {"sections": [banner("hero")]})
    body = await world.gql(client, PUBLISH, {"id": saved["storefrontVersion"]["id"], "at": at}, token=world.staff_token("hq"))
    assert "INTERNAL_SERVER_ERROR" not in str(body), body
    payload = (body.get("data") or {}).get("storefrontPublish")
    assert body.get("errors") or payload["errors"], body
    assert (await page(client, world))["sections"] == []  # nothing went live


async def test_a_notice_until_the_end_of_time_is_an_input_error(client, world):
    from tests.storefront.helpers import SAVE

    doc = {"sections": [notice("n", "hello", until="9999-12-31T23:59:59-14:00")]}
    body = await world.gql(client, SAVE, {"node": node_gid(world, "hq"), "doc": doc}, token=world.staff_token("hq"))
    assert body["data"] is None and "DateTime" in body["errors"][0]["message"], body


async def test_a_draft_is_never_served_to_anonymous_visitors_even_from_cache(client, world):
    await save_and_publish(client, world, "hq", "hq", {"sections": [notice("live", "published")]})
    first = await page(client, world)
    await save(client, world, "hq", "hq", {"sections": [notice("draft", "SECRET DRAFT")]})
    again = await page(client, world)
    assert "SECRET DRAFT" not in str(again) and [s["key"] for s in again["sections"]] == ["live"] == [s["key"] for s in first["sections"]]


async def test_a_sibling_store_manager_cannot_publish_or_roll_back_another_store(client, world):
    await open_storefront(world)
    saved = await save(client, world, "hq", "b", {"sections": [banner("b-hero")]})
    version_id = saved["storefrontVersion"]["id"]
    body = await world.gql(client, PUBLISH, {"id": version_id, "at": None}, token=world.staff_token("manager_a"))
    assert body["data"]["storefrontPublish"]["errors"][0]["code"] == "PERMISSION_DENIED"
    await publish(client, world, "hq", version_id)
    body = await world.gql(client, ROLLBACK, {"node": node_gid(world, "b"), "version": 1}, token=world.staff_token("manager_a"))
    assert body["data"]["storefrontRollback"]["errors"][0]["code"] == "PERMISSION_DENIED"


async def test_another_brands_version_is_not_found(client, world, database, services):
    from tests.worlds import build_world

    other = await build_world(database, services)
    saved = await save(client, other, "hq", "hq", {"sections": [banner("theirs")]})
    body = await world.gql(client, PUBLISH, {"id": saved["storefrontVersion"]["id"], "at": None}, token=world.staff_token("hq"))
    assert body["data"]["storefrontPublish"]["errors"][0]["code"] == "NOT_FOUND"
    body = await world.gql(client, ROLLBACK, {"node": node_gid(other, "hq"), "version": 1}, token=world.staff_token("hq"))
    assert body["data"]["storefrontRollback"]["errors"][0]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
async def test_every_datetime_argument_refuses_instants_outside_the_utc_calendar(client, world, at):
    """The same value in an older mutation (timePriceCreate): an input error, not a 500."""
    from tests.pricing.helpers import TIME_PRICE

    body = await world.gql(client, TIME_PRICE, {"input": {"skuId": world.sku("milk"), "storeId": world.store("a"), "percentOff": 10,
                                                          "startsAt": "2026-01-01T00:00:00+08:00", "endsAt": at}},
                           token=world.staff_token("hq"))
    assert body.get("data") is None and "INTERNAL_SERVER_ERROR" not in str(body), body
    assert "DateTime" in body["errors"][0]["message"]
