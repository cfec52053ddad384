"""A document is validated on save, section by section; every problem comes back at once with
its path, and nothing is written."""
from __future__ import annotations

import pytest

from tests.storefront.helpers import banner, node_gid, notice, save

VERSIONS = "query($node: ID!) { storefrontVersions(nodeId: $node) { edges { node { version } } } }"


def _errors(payload) -> set[tuple[str, str]]:
    return {(e["field"], e["code"]) for e in payload["errors"]}


@pytest.mark.parametrize("section, field", [
    (banner("b", "javascript:alert(1)"), "sections.0.slides.0.imageUrl"),
    (banner("b", "ftp://img.example.com/a.jpg"), "sections.0.slides.0.imageUrl"),
    ({"key": "b", "type": "BANNER_CAROUSEL", "slides": []}, "sections.0.slides"),
    ({"key": "b", "type": "BANNER_CAROUSEL", "slides": [{"imageUrl": "https://x.example.com/a.jpg", "link": "data:text/html,x"}]},
     "sections.0.slides.0.link"),
    ({"key": "b", "type": "BANNER_CAROUSEL", "slides": [{"imageUrl": "https://x.example.com/a.jpg"}] * 11}, "sections.0.slides"),
    ({"key": "p", "type": "PRODUCT_CAROUSEL"}, "sections.0"),
    ({"key": "p", "type": "PRODUCT_CAROUSEL", "rule": {"sort": "NEWEST", "limit": 21}}, "sections.0.rule.limit"),
    ({"key": "p", "type": "PRODUCT_CAROUSEL", "productIds": ["bm90LWFuLWlk"]}, "sections.0.productIds.0"),
    ({"key": "g", "type": "CATEGORY_GRID", "categoryIds": []}, "sections.0.categoryIds"),
    (notice("n", "x" * 201), "sections.0.text"),
    (notice("n", "hi", until="2030-01-01T00:00:00"), "sections.0.until"),
    ({"key": "c", "type": "COUPON_STRIP", "couponIds": []}, "sections.0.couponIds"),
    (notice("Bad Key", "hi"), "sections.0.key"),
    ({"key": "n", "type": "NOTICE_BAR", "text": "hi", "slides": [{"imageUrl": "https://x.example.com/a.jpg"}]}, "sections.0.slides"),
])
async def test_each_section_type_is_validated_with_the_field_path(client, world, section, field):
    saved = await save(client, world, "hq", "hq", {"sections": [notice("ok", "fine"), section][1:]})
    assert saved["storefrontVersion"] is None
    assert (field, "INVALID_SECTION") in _errors(saved), saved["errors"]


async def test_references_must_exist_in_the_brand(client, world):
    product, category = world.gid("Product", world.product_ids["milk"]), world.gid("Category", world.category_id)
    saved = await save(client, world, "hq", "hq", {"sections": [
        {"key": "p", "type": "PRODUCT_CAROUSEL", "productIds": [product, world.gid("Product", 99999999)]},
        {"key": "r", "type": "PRODUCT_CAROUSEL", "rule": {"categoryId": world.gid("Category", 99999999)}},
        {"key": "g", "type": "CATEGORY_GRID", "categoryIds": [category]},
        {"key": "c", "type": "COUPON_STRIP", "couponIds": [world.gid("Promotion", 99999999)]},
    ]})
    assert _errors(saved) == {
        ("sections.0.productIds.1", "INVALID_SECTION"),
        ("sections.1.rule.categoryId", "INVALID_SECTION"),
        ("sections.3.couponIds.0", "INVALID_SECTION"),
    }


async def test_every_problem_is_reported_at_once_and_nothing_is_written(client, world):
    saved = await save(client, world, "hq", "hq", {
        "theme": {"primaryColor": "red", "logoUrl": "http:/nope"},
        "navigation": [{"label": "Home", "target": "javascript:void(0)"}],
        "sections": [banner("hero"), notice("hero", "duplicate key")],
        "hiddenKeys": ["hero"],
    })
    assert _errors(saved) == {
        ("theme.primaryColor", "INVALID"), ("theme.logoUrl", "INVALID"), ("navigation.0.target", "INVALID"),
        ("sections.1.key", "INVALID_SECTION"), ("hiddenKeys.0", "INVALID"),
    }
    body = await world.gql(client, VERSIONS, {"node": node_gid(world, "hq")}, token=world.staff_token("hq"))
    assert body["data"]["storefrontVersions"]["edges"] == []


async def test_a_valid_document_is_saved_as_a_draft_and_read_back_in_the_input_shape(client, world):
    product = world.gid("Product", world.product_ids["milk"])
    doc = {"theme": {"primaryColor": "#112233"}, "sections": [
        {"key": "picks", "type": "PRODUCT_CAROUSEL", "title": "Picks", "productIds": [product]}, banner("hero")]}
    saved = await save(client, world, "hq", "hq", doc)
    assert saved["errors"] == []
    version = saved["storefrontVersion"]
    assert version["status"] == "DRAFT" and version["version"] == 1 and version["publishAt"] is None
    assert version["savedBy"] == f"staff:{world.staff_ids['hq']}"
    assert version["document"]["sections"][0] == {"key": "picks", "type": "PRODUCT_CAROUSEL", "title": "Picks", "productIds": [product]}
    # Saving again replaces the draft (one working copy per node) instead of piling up versions.
    again = await save(client, world, "hq", "hq", version["document"])
    assert again["storefrontVersion"]["id"] == version["id"] and again["storefrontVersion"]["version"] == 1
