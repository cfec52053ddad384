"""GraphQL documents and small calls the store-network tests share."""
from __future__ import annotations

from sqlalchemy import select

from store_network.models import NetworkNode, Store
from tests.worlds import World

E = "errors { field code message }"
NODE = "node { id kind name }"
STORE = "store { id code name city district address status timezone prepMinutes deliveryRadiusMeters fulfilmentTypes location { longitude latitude } openingHours { weekday opens closes } }"
PARTNER_CREATE = f"mutation($p: ID!, $n: String!) {{ partnerCreate(input: {{parentId: $p, name: $n}}) {{ {NODE} {E} }} }}"
PARTNER_UPDATE = f"mutation($id: ID!, $n: String!) {{ partnerUpdate(input: {{id: $id, name: $n}}) {{ {NODE} {E} }} }}"
NODE_MOVE = f"mutation($n: ID!, $p: ID!) {{ nodeMove(input: {{nodeId: $n, newParentId: $p}}) {{ {NODE} {E} }} }}"
STORE_CREATE = f"mutation($input: StoreCreateInput!) {{ storeCreate(input: $input) {{ {STORE} {NODE} {E} }} }}"
STORE_UPDATE = f"mutation($input: StoreUpdateInput!) {{ storeUpdate(input: $input) {{ {STORE} {E} }} }}"
STATUS_SET = f"""mutation($s: ID!, $to: StoreStatus!, $expected: StoreStatus) {{
  storeStatusSet(input: {{storeId: $s, status: $to, expectedStatus: $expected}}) {{ store {{ status }} changed {E} }} }}"""
IMPORT = f"""mutation($p: ID!, $csv: String!) {{ storesImport(input: {{parentId: $p, csv: $csv}}) {{
  created stores {{ code status }} rowErrors {{ row field code message }} {E} }} }}"""

HEADER = "code,name,city,district,address,lon,lat,coord_system,timezone,prep_minutes,delivery_radius_m,hours,status"


def csv_rows(n: int, *, prefix: str = "N", bad: dict[int, str] | None = None) -> str:
    """n valid rows around Hangzhou; `bad` replaces whole rows by 1-based number."""
    lines = [HEADER]
    for i in range(1, n + 1):
        lon, lat = 120.0 + (i % 50) * 0.004, 30.2 + (i // 50) * 0.004
        row = f"{prefix}{i:04d},Store {i},杭州,西湖区,Road {i},{lon:.5f},{lat:.5f},GCJ02,Asia/Shanghai,12,3000,mon-sun 08:00-22:00,OPEN"
        lines.append((bad or {}).get(i, row))
    return "\n".join(lines) + "\n"


def store_input(parent: str, code: str, **over) -> dict:
    base = {
        "parentId": parent, "code": code, "name": f"Store {code}", "city": "杭州", "district": "西湖区", "address": "1 Lake Road",
        "location": {"longitude": 120.16, "latitude": 30.27, "system": "GCJ02"}, "hours": "mon-sun 08:00-22:00",
        "timezone": "Asia/Shanghai", "status": "OPEN",
    }
    return {**base, **over}


async def call(client, world: World, doc: str, variables: dict, staff: str = "hq") -> dict:
    body = await world.gql(client, doc, variables, token=world.staff_token(staff))
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    return payload


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def node_of_store(world: World, key: str) -> int:
    async with world.services.database.read() as session:
        return (await session.get(Store, world.store_ids[key])).node_id


async def paths(world: World) -> dict[int, str]:
    async with world.services.database.read() as session:
        rows = (await session.execute(select(NetworkNode.id, NetworkNode.path).where(NetworkNode.tenant_id == world.tenant_id))).all()
    return {i: p for i, p in rows}


async def store_count(world: World) -> int:
    async with world.services.database.read() as session:
        return len((await session.scalars(select(Store.id).where(Store.tenant_id == world.tenant_id))).all())
