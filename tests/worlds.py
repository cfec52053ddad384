"""A small, fresh tenant per test: HQ, two partners, three stores, staff, a catalog and stock."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import httpx

from auth.passwords import hash_password
from commerce.models import Address, Category, Customer, Product, Sku, Stock, StorePrice
from db.session import Database
from schema.ids import encode
from app.services import Services
from store_network import provisioning

# Cheap scrypt parameters: tests exercise the logic, not the cost.
PASSWORD = "correct horse battery"
CHEAP_HASH = hash_password(PASSWORD, n=16, r=1, p=1)
HANGZHOU = (120.1551, 30.2741)


@dataclass
class World:
    services: Services
    slug: str
    tenant_id: int
    hq_node_id: int
    partner_ids: dict[str, int]
    store_ids: dict[str, int]
    staff_ids: dict[str, int]
    sku_ids: dict[str, int]
    product_ids: dict[str, int]
    category_id: int
    customer_ids: dict[str, int] = field(default_factory=dict)
    address_ids: dict[str, int] = field(default_factory=dict)

    def gid(self, type_name: str, pk: int) -> str:
        return encode(type_name, pk)

    def store(self, key: str) -> str:
        return encode("Store", self.store_ids[key])

    def sku(self, key: str) -> str:
        return encode("Sku", self.sku_ids[key])

    def staff_token(self, key: str) -> str:
        return self.services.signer.issue_pair(f"staff:{self.staff_ids[key]}", self.tenant_id).access

    def customer_token(self, key: str = "alice") -> str:
        return self.services.signer.issue_pair(f"customer:{self.customer_ids[key]}", self.tenant_id).access

    async def gql(self, client: httpx.AsyncClient, query: str, variables: dict | None = None, *, token: str | None = None, tenant: bool = True) -> dict:
        headers = {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if tenant:
            headers["X-Tenant"] = self.slug
        response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        return body


async def build_world(database: Database, services: Services, *, stock: int = 20) -> World:
    slug = "t" + uuid.uuid4().hex[:10]
    async with database.write() as session:
        tenant, hq = await provisioning.create_tenant(session, slug, f"Brand {slug}")
        west = await provisioning.add_node(session, hq, "PARTNER", "West")
        east = await provisioning.add_node(session, hq, "PARTNER", "East")
        lon, lat = HANGZHOU
        stores = {
            "a": await provisioning.add_store(session, west, code="A", name="Store A", lon=lon, lat=lat),
            "b": await provisioning.add_store(session, west, code="B", name="Store B", lon=lon + 0.02, lat=lat),
            "c": await provisioning.add_store(session, east, code="C", name="Store C", lon=lon + 0.05, lat=lat + 0.01),
        }
        node_a = await provisioning.node_by_store(session, stores["a"])
        staff = {
            "hq": await provisioning.add_staff(session, tenant.id, "hq", "", [("HQ_ADMIN", hq)], password_hash=CHEAP_HASH),
            "west": await provisioning.add_staff(session, tenant.id, "west", "", [("PARTNER_ADMIN", west)], password_hash=CHEAP_HASH),
            "manager_a": await provisioning.add_staff(session, tenant.id, "manager_a", "", [("STORE_MANAGER", node_a)], password_hash=CHEAP_HASH),
            "clerk_a": await provisioning.add_staff(session, tenant.id, "clerk_a", "", [("STORE_STAFF", node_a)], password_hash=CHEAP_HASH),
        }
        category = Category(tenant_id=tenant.id, slug="fruit", name="Fruit")
        session.add(category)
        await session.flush()
        products, skus = {}, {}
        for key, sold_by, price, step, per, minimum in (
            ("milk", "UNIT", 1250, 1, 1, 1),
            ("apple", "WEIGHT", 698, 250, 500, 250),  # 6.98 per 500 g, sold in 250 g steps
            ("bread", "UNIT", 900, 1, 1, 1),
        ):
            product = Product(tenant_id=tenant.id, category_id=category.id, slug=key, name=key.title(), sold_by=sold_by)
            session.add(product)
            await session.flush()
            sku = Sku(
                tenant_id=tenant.id, product_id=product.id, code=f"SKU-{key}", name=key, base_price_fen=price,
                price_per_quantity=per, quantity_step=step, min_quantity=minimum,
            )
            session.add(sku)
            await session.flush()
            products[key], skus[key] = product.id, sku.id
            for store in stores.values():
                amount = stock * step
                session.add(Stock(tenant_id=tenant.id, store_id=store.id, sku_id=sku.id, on_hand=amount, reserved=0))
        # Store A sells milk cheaper than HQ's price.
        session.add(StorePrice(tenant_id=tenant.id, store_id=stores["a"].id, sku_id=skus["milk"], price_fen=1100))
        customers, addresses = {}, {}
        for key, mobile in (("alice", "+8613800000001"), ("bob", "+8613800000002")):
            customer = Customer(tenant_id=tenant.id, mobile=mobile, name=key)
            session.add(customer)
            await session.flush()
            customers[key] = customer.id
            address = Address(
                tenant_id=tenant.id, customer_id=customer.id, recipient=key, mobile=mobile,
                line="1 Test Road", lon=lon + 0.005, lat=lat + 0.005,
            )
            session.add(address)
            await session.flush()
            addresses[key] = address.id
        await session.flush()
        return World(
            services=services,
            slug=slug,
            tenant_id=tenant.id,
            hq_node_id=hq.id,
            partner_ids={"west": west.id, "east": east.id},
            store_ids={k: s.id for k, s in stores.items()},
            staff_ids={k: s.id for k, s in staff.items()},
            sku_ids=skus,
            product_ids=products,
            category_id=category.id,
            customer_ids=customers,
            address_ids=addresses,
        )
