"""The demo brand's storefront: HQ's home-page template and 黄龙店 (Huanglong)'s own override,
published, so `storefront(storeId:)` renders a real page (README "Storefront")."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import utc_now
from core.global_ids import encode
from storefront import document as documents
from storefront.models import StorefrontVersion

IMAGES = "https://img.qianxian.example"
OVERRIDE_STORE = "千鲜到家·黄龙店"  # DemoStore.name_zh


def _template(category_ids: list[int]) -> dict:
    return {
        "theme": {"primary_color": "#1FA463", "accent_color": "#FF7A00", "logo_url": f"{IMAGES}/brand/logo.png"},
        "navigation": [
            {"label": "首页", "target": "/"},
            {"label": "水果", "target": "/category/fruit"},
            {"label": "蔬菜", "target": "/category/vegetables"},
            {"label": "我的", "target": "/me"},
        ],
        "sections": [
            {"key": "hero", "type": "BANNER_CAROUSEL", "slides": [
                {"image_url": f"{IMAGES}/banners/spring-fruit.jpg", "link": "/category/fruit", "alt": "春季鲜果"},
                {"image_url": f"{IMAGES}/banners/30-minute-delivery.jpg", "link": "/delivery", "alt": "30分钟送达"},
            ]},
            {"key": "notice", "type": "NOTICE_BAR", "text": "满39元免配送费"},
            {"key": "best-sellers", "type": "PRODUCT_CAROUSEL", "title": "热销榜", "rule": {"sort": "BEST_SELLING", "limit": 8}},
            {"key": "fruit-deals", "type": "PRODUCT_CAROUSEL", "title": "水果特价",
             "rule": {"category_id": encode("Category", category_ids[0]), "sort": "PRICE_ASC", "limit": 6}},
            {"key": "categories", "type": "CATEGORY_GRID", "category_ids": [encode("Category", i) for i in category_ids[:8]]},
        ],
        # The category grid is the brand's navigation: stores may not change it.
        "locked_keys": ["categories"],
    }


def _override(product_ids: list[int]) -> dict:
    return {
        "theme": {"accent_color": "#D4380D"},
        "sections": [
            {"key": "hero", "type": "BANNER_CAROUSEL", "slides": [
                {"image_url": f"{IMAGES}/banners/huanglong-24h.jpg", "link": "/store", "alt": "黄龙店 24小时营业"},
            ]},
            {"key": "huanglong-picks", "type": "PRODUCT_CAROUSEL", "title": "店长推荐",
             "product_ids": [encode("Product", i) for i in product_ids[::40][:4]]},  # across categories
        ],
    }


async def seed_storefront(session: AsyncSession, tenant_id: int, hq_node_id: int, store_node_id: int, admin: str,
                          category_ids: list[int], product_ids: list[int]) -> None:
    now = utc_now()
    for node_id, raw in ((hq_node_id, _template(category_ids)), (store_node_id, _override(product_ids))):
        document, problems = documents.validate(raw)
        assert not problems, problems  # demo data is ours: a problem here is a bug in this file
        session.add(StorefrontVersion(
            tenant_id=tenant_id, node_id=node_id, version=1, status="PUBLISHED", document=documents.dump(document),
            publish_at=now, saved_by=admin, saved_at=now, published_by=admin, published_at=now,
        ))
    await session.flush()
