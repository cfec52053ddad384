"""Product images and gallery (issue 12 item 4): HQ catalog admins add, update, remove and
reorder; validation; Product.images and featuredImage in one batched query per page."""
from __future__ import annotations

import pytest

from media.images import MAX_IMAGES
from tests.api.test_schema_contract import _add_products, _count_statements
from tests.media.helpers import GALLERY, REMOVE, REORDER, UPDATE, add

PRODUCT_IMAGES = """query($id: ID!) { product(id: $id) { featuredImage { url altText } images { url position width height } } }"""
PAGE = """query($store: ID!, $first: Int) { products(storeId: $store, first: $first) {
  edges { node { name featuredImage { url } images { url position } } } } }"""


def _codes(payload):
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_gallery_add_insert_update_reorder_remove(client, world):
    first = await add(client, world, altText="front")
    assert first["errors"] == [] and first["image"]["position"] == 0
    second = await add(client, world, url="https://cdn.example.com/b.jpg")
    retried = await add(client, world, url="https://cdn.example.com/b.jpg")  # a retry adds nothing
    assert retried["image"]["id"] == second["image"]["id"] and len(retried["images"]) == 2
    featured = await add(client, world, url="https://cdn.example.com/c.jpg", position=0)  # inserted in front
    assert [i["url"][-5:] for i in featured["images"]] == ["c.jpg", "a.jpg", "b.jpg"] and [i["position"] for i in featured["images"]] == [0, 1, 2]
    body = await world.gql(client, PRODUCT_IMAGES, {"id": world.gid("Product", world.product_ids["milk"])})
    assert body["data"]["product"]["featuredImage"]["url"].endswith("c.jpg")
    assert [i["position"] for i in body["data"]["product"]["images"]] == [0, 1, 2]

    token = world.staff_token("hq")
    updated = (await world.gql(client, UPDATE, {"input": {"id": second["image"]["id"], "altText": "side", "width": 1200}}, token=token))
    updated = updated["data"]["productImageUpdate"]
    assert updated["errors"] == [] and updated["image"]["altText"] == "side" and updated["image"]["width"] == 1200
    assert updated["image"]["height"] == 600

    ids = [i["id"] for i in featured["images"]]
    order = [ids[2], ids[0], ids[1]]
    reordered = (await world.gql(client, REORDER, {"input": {"productId": world.gid("Product", world.product_ids["milk"]),
                                                             "imageIds": order}}, token=token))["data"]["productImagesReorder"]
    assert reordered["errors"] == [] and [i["id"] for i in reordered["images"]] == order
    missing_one = (await world.gql(client, REORDER, {"input": {"productId": world.gid("Product", world.product_ids["milk"]),
                                                               "imageIds": order[:2]}}, token=token))["data"]["productImagesReorder"]
    assert _codes(missing_one) == [("imageIds", "INVALID")]
    twice = (await world.gql(client, REORDER, {"input": {"productId": world.gid("Product", world.product_ids["milk"]),
                                                         "imageIds": [order[0], order[0], order[1]]}}, token=token))["data"]["productImagesReorder"]
    assert _codes(twice) == [("imageIds", "INVALID")]

    removed = (await world.gql(client, REMOVE, {"input": {"id": order[0]}}, token=token))["data"]["productImageRemove"]
    assert removed["errors"] == [] and [i["id"] for i in removed["images"]] == order[1:]
    assert [i["position"] for i in removed["images"]] == [0, 1]
    gone = (await world.gql(client, REMOVE, {"input": {"id": order[0]}}, token=token))["data"]["productImageRemove"]
    assert _codes(gone) == [("id", "NOT_FOUND")]


@pytest.mark.parametrize("fields, expected", [
    ({"url": "javascript:alert(1)"}, ("url", "INVALID")),
    ({"url": "ftp://cdn.example.com/a.jpg"}, ("url", "INVALID")),
    ({"url": "data:image/png;base64,AAAA"}, ("url", "INVALID")),
    ({"url": "https://cdn.example.com/a b.jpg"}, ("url", "INVALID")),
    ({"url": "/media/1/" + "0" * 32 + ".png"}, ("url", "INVALID")),  # looks like ours, but this storage never issued it
    ({"url": "https://cdn.example.com/" + "a" * 2000}, ("url", "INVALID")),
    ({"url": " "}, ("url", "REQUIRED")),
    ({"width": 0}, ("width", "INVALID")),
    ({"height": 10001}, ("height", "INVALID")),
    ({"altText": "x" * 201}, ("altText", "INVALID")),
    ({"position": 5}, ("position", "INVALID")),
])
async def test_image_input_is_validated(client, world, fields, expected):
    payload = await add(client, world, **fields)
    assert _codes(payload) == [expected] and payload["image"] is None


async def test_only_hq_catalog_admins_manage_images_and_a_gallery_holds_twenty(client, world):
    for staff in ("west", "manager_a", "clerk_a"):
        assert _codes(await add(client, world, staff=staff)) == [(None, "PERMISSION_DENIED")]
    assert (await add(client, world, altText="x" * 200))["errors"] == []
    for i in range(MAX_IMAGES - 1):
        assert (await add(client, world, url=f"https://cdn.example.com/{i}.jpg"))["errors"] == []
    assert _codes(await add(client, world, url="https://cdn.example.com/one-more.jpg")) == [("productId", "TOO_MANY_IMAGES")]
    assert (await add(client, world, product="bread"))["errors"] == []  # per product


async def test_a_page_of_products_loads_its_images_in_one_query(client, database, world):
    await _add_products(database, world, 22)
    for product in ("apple", "bread"):
        for i in range(2):
            assert (await add(client, world, product=product, url=f"https://cdn.example.com/{product}-{i}.jpg"))["errors"] == []

    async def page(first):
        body = await world.gql(client, PAGE, {"store": world.store("a"), "first": first})
        assert "errors" not in body, body
        assert len(body["data"]["products"]["edges"]) == first
        return body

    await page(1)
    one = await _count_statements(database, page(1))
    twenty = await _count_statements(database, page(20))
    assert twenty == one
    body = await page(20)
    named = {e["node"]["name"]: e["node"] for e in body["data"]["products"]["edges"]}
    assert [i["url"][-10:] for i in named["Bread"]["images"]] == ["read-0.jpg", "read-1.jpg"]
    assert named["Apple"]["featuredImage"]["url"].endswith("apple-0.jpg") and named["Extra 00"]["featuredImage"] is None
