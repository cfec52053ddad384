"""Building a network: tenant with HQ, partners, stores, staff. Used by the demo seed, tests and ops scripts."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from auth.passwords import hash_password
from store_network.models import NetworkNode, Staff, StaffRoleGrant, Store, Tenant

DEFAULT_FULFILMENT = ["SAME_CITY_DELIVERY", "STORE_PICKUP", "EXPRESS_PARCEL"]


async def create_tenant(session: AsyncSession, slug: str, name: str, currency: str = "CNY") -> tuple[Tenant, NetworkNode]:
    """A tenant and its HQ node. HQ starts with weak price control (stores may set prices)."""
    tenant = Tenant(slug=slug, name=name, currency=currency)
    session.add(tenant)
    await session.flush()
    hq = NetworkNode(
        tenant_id=tenant.id,
        kind="HQ",
        name=f"{name} HQ",
        path="/",
        price_control="WEAK",
        storefront_control="STRONG",
        promotion_control="STRONG",
        # HQ decides the assortment (a store may de-list, only HQ re-lists: store_sync.listing);
        # stores count their own stock and handle their own orders unless HQ takes that back.
        assortment_control="STRONG",
        stock_control="WEAK",
        order_control="WEAK",
    )
    session.add(hq)
    await session.flush()
    hq.path = f"/{hq.id}/"
    await session.flush()
    return tenant, hq


async def add_node(session: AsyncSession, parent: NetworkNode, kind: str, name: str) -> NetworkNode:
    node = NetworkNode(tenant_id=parent.tenant_id, parent_id=parent.id, kind=kind, name=name, path="/")
    session.add(node)
    await session.flush()
    node.path = f"{parent.path}{node.id}/"
    await session.flush()
    return node


async def add_store(
    session: AsyncSession,
    parent: NetworkNode,
    *,
    code: str,
    name: str,
    lon: float,
    lat: float,
    city: str = "杭州",
    district: str = "",
    address: str = "",
    timezone: str = "Asia/Shanghai",
    business_hours: dict | None = None,
    status: str = "OPEN",
    delivery_radius_m: int = 3000,
    prep_minutes: int = 10,
    fulfilment_types: list[str] | None = None,
) -> Store:
    node = await add_node(session, parent, "STORE", name)
    store = Store(
        tenant_id=parent.tenant_id,
        node_id=node.id,
        code=code,
        name=name,
        city=city,
        district=district,
        address=address or name,
        lon=lon,
        lat=lat,
        timezone=timezone,
        business_hours=business_hours or {str(d): [["00:00", "24:00"]] for d in range(7)},
        status=status,
        delivery_radius_m=delivery_radius_m,
        prep_minutes=prep_minutes,
        fulfilment_types=fulfilment_types or list(DEFAULT_FULFILMENT),
    )
    session.add(store)
    await session.flush()
    return store


async def add_staff(
    session: AsyncSession,
    tenant_id: int,
    username: str,
    password: str,
    grants: list[tuple[str, NetworkNode]],
    display_name: str = "",
    password_hash: str | None = None,
) -> Staff:
    staff = Staff(
        tenant_id=tenant_id,
        username=username,
        display_name=display_name or username,
        password_hash=password_hash or hash_password(password),
    )
    session.add(staff)
    await session.flush()
    for role, node in grants:
        session.add(StaffRoleGrant(staff_id=staff.id, node_id=node.id, role=role))
    await session.flush()
    return staff


async def node_by_store(session: AsyncSession, store: Store) -> NetworkNode:
    return await session.get(NetworkNode, store.node_id)
