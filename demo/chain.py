"""Demo chain: one fictional brand (tenant), its HQ node and two partner regions.

Plain, deterministic data only. The code that writes this into the database
lives elsewhere; keys here ("hq", "partner:west", "partner:east") are the
node references used by :mod:`demo.people` and :mod:`demo.stores`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoBrand:
    slug: str
    name: str  # display name, Chinese + English
    name_zh: str
    name_en: str
    legal_name: str  # fictional company name
    currency: str  # ISO 4217
    timezone: str  # IANA
    locale: str
    support_phone: str  # E.164
    support_email: str


@dataclass(frozen=True)
class DemoNode:
    key: str  # "hq" | "partner:west" | "partner:east"
    kind: str  # "HQ" | "PARTNER"
    code: str
    name: str  # Chinese + English
    name_zh: str
    name_en: str
    parent_key: str | None
    districts: tuple[str, ...] = ()  # district keys served (partners only)


BRAND = DemoBrand(
    slug="qianxian",
    name="千鲜到家 Qianxian Fresh",
    name_zh="千鲜到家",
    name_en="Qianxian Fresh",
    legal_name="杭州千鲜到家生鲜连锁有限公司（虚构 / fictional）",
    currency="CNY",
    timezone="Asia/Shanghai",
    locale="zh-CN",
    support_phone="+8657100000000",
    support_email="support@qianxian.example.com",
)

HQ = DemoNode(
    key="hq",
    kind="HQ",
    code="QX-HQ",
    name="千鲜到家总部 Qianxian HQ",
    name_zh="千鲜到家总部",
    name_en="Qianxian HQ",
    parent_key=None,
)

PARTNER_WEST = DemoNode(
    key="partner:west",
    kind="PARTNER",
    code="QX-HZW",
    name="杭州城西 West Hangzhou",
    name_zh="杭州城西",
    name_en="West Hangzhou",
    parent_key="hq",
    districts=("xihu", "gongshu", "yuhang"),
)

PARTNER_EAST = DemoNode(
    key="partner:east",
    kind="PARTNER",
    code="QX-HZE",
    name="杭州城东 East Hangzhou",
    name_zh="杭州城东",
    name_en="East Hangzhou",
    parent_key="hq",
    districts=("shangcheng", "binjiang", "xiaoshan", "qiantang"),
)

PARTNERS: tuple[DemoNode, ...] = (PARTNER_WEST, PARTNER_EAST)
NODES: tuple[DemoNode, ...] = (HQ, *PARTNERS)
NODE_BY_KEY: dict[str, DemoNode] = {n.key: n for n in NODES}

# "west" / "east" -> partner node
PARTNER_BY_SLUG: dict[str, DemoNode] = {n.key.split(":", 1)[1]: n for n in PARTNERS}


def partner_for_district(district: str) -> str:
    """Return the partner slug ("west" / "east") serving a district key."""
    for slug, node in PARTNER_BY_SLUG.items():
        if district in node.districts:
            return slug
    raise KeyError(district)
