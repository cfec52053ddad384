"""Save, publish and read storefronts through the API, as a frontend or an admin would."""
from __future__ import annotations

from sqlalchemy import update

from store_network.models import NetworkNode

E = "errors { field code message }"
VERSION = "storefrontVersion { id version status publishAt rolledBackFrom savedBy publishedBy document }"
SAVE = f"""mutation($node: ID!, $doc: StorefrontDocumentInput!) {{
  storefrontDraftSave(input: {{nodeId: $node, document: $doc}}) {{ {VERSION} {E} }} }}"""
PUBLISH = f"""mutation($id: ID!, $at: DateTime) {{
  storefrontPublish(input: {{versionId: $id, publishAt: $at}}) {{ {VERSION} {E} }} }}"""
ROLLBACK = f"""mutation($node: ID!, $version: Int!) {{
  storefrontRollback(input: {{nodeId: $node, version: $version}}) {{ {VERSION} {E} }} }}"""
PAGE = """query($store: ID!) { storefront(storeId: $store) {
  store { name }
  theme { primaryColor accentColor logoUrl source { level } }
  navigation { items { label target } source { level } }
  sections {
    __typename key title locked source { level nodeId version }
    ... on StorefrontBannerCarousel { slides { imageUrl link alt } }
    ... on StorefrontNoticeBar { text until }
    ... on StorefrontProductCarousel { rule { sort limit } products { id name skus { code price { amount } stock { quantityAvailable } } } }
    ... on StorefrontCategoryGrid { categories { id name } }
    ... on StorefrontCouponStrip { coupons { id name } }
  } } }"""


def banner(key: str, url: str = "https://img.example.com/a.jpg", **extra) -> dict:
    return {"key": key, "type": "BANNER_CAROUSEL", "slides": [{"imageUrl": url, "link": "/promo", "alt": key}], **extra}


def notice(key: str, text: str, **extra) -> dict:
    return {"key": key, "type": "NOTICE_BAR", "text": text, **extra}


def node_gid(world, node: str) -> str:
    """'hq', a partner key ('west') or a store key ('a')."""
    if node == "hq":
        return world.gid("NetworkNode", world.hq_node_id)
    if node in world.partner_ids:
        return world.gid("NetworkNode", world.partner_ids[node])
    return world.gid("NetworkNode", store_node_ids(world)[node])


def store_node_ids(world) -> dict[str, int]:
    return world.store_node_ids  # set by open_storefront


async def open_storefront(world, level: str = "WEAK") -> None:
    """Let partners and stores change their storefront (provisioning makes HQ STRONG)."""
    from sqlalchemy import select

    from store_network.models import Store

    async with world.services.database.write() as session:
        await session.execute(update(NetworkNode).where(NetworkNode.id == world.hq_node_id).values(storefront_control=level))
        rows = (await session.execute(select(Store.id, Store.node_id).where(Store.tenant_id == world.tenant_id))).all()
    by_store = {store_id: node_id for store_id, node_id in rows}
    world.store_node_ids = {key: by_store[pk] for key, pk in world.store_ids.items()}


async def save(client, world, staff: str, node: str, doc: dict) -> dict:
    body = await world.gql(client, SAVE, {"node": node_gid(world, node), "doc": doc}, token=world.staff_token(staff))
    assert "errors" not in body, body
    return body["data"]["storefrontDraftSave"]


async def publish(client, world, staff: str, version_id: str, at: str | None = None) -> dict:
    body = await world.gql(client, PUBLISH, {"id": version_id, "at": at}, token=world.staff_token(staff))
    assert "errors" not in body, body
    return body["data"]["storefrontPublish"]


async def save_and_publish(client, world, staff: str, node: str, doc: dict, at: str | None = None) -> dict:
    saved = await save(client, world, staff, node, doc)
    assert saved["errors"] == [], saved
    published = await publish(client, world, staff, saved["storefrontVersion"]["id"], at)
    assert published["errors"] == [], published
    return published["storefrontVersion"]


async def page(client, world, store: str = "a") -> dict:
    body = await world.gql(client, PAGE, {"store": world.store(store)})
    assert "errors" not in body, body
    return body["data"]["storefront"]


def keys(storefront: dict) -> list[str]:
    return [s["key"] for s in storefront["sections"]]


def section(storefront: dict, key: str) -> dict:
    return next(s for s in storefront["sections"] if s["key"] == key)
