"""Load the demo chain (Hangzhou, 40 stores, ~200 products) into a migrated database.

Idempotent: if the demo tenant exists, nothing is written.
"""
from __future__ import annotations

import logging

from sqlalchemy import insert, select

from auth.passwords import hash_password
from commerce.models import Address, Category, Customer, Product, Sku, Stock, StorePrice
from core.settings import Settings
from db.session import Database
from demo.images import SIZE, category_png
from media.models import ProductImage
from media.sniff import CONTENT_TYPES
from media.storage import MediaStorage, object_key, storage_from_settings
from delivery.models import Rider
from demo import catalog, chain, people, stores, storefront, variation
from store_network import provisioning
from store_network.models import Tenant

log = logging.getLogger(__name__)
FULFILMENT = ["SAME_CITY_DELIVERY", "STORE_PICKUP", "EXPRESS_PARCEL"]


async def seed_demo(database: Database, media: MediaStorage | None = None) -> bool:
    """Returns False if the demo tenant was already there. Product images go to `media`
    (default: the local storage of default settings, var/media)."""
    media = media or storage_from_settings(Settings())
    async with database.write() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == chain.BRAND.slug))
        if tenant_id:
            await _add_missing_staff(session, tenant_id)  # accounts added to demo/people.py since it was loaded
            return False
        tenant, hq = await provisioning.create_tenant(session, chain.BRAND.slug, chain.BRAND.name, chain.BRAND.currency)
        nodes = {"hq": hq}
        for partner in chain.PARTNERS:
            nodes[partner.key] = await provisioning.add_node(session, hq, "PARTNER", partner.name)
        store_rows = {}
        for demo_store in stores.STORES:
            store_rows[demo_store.code] = await provisioning.add_store(
                session,
                nodes[demo_store.partner_key],
                code=demo_store.code,
                name=demo_store.name_zh,
                lon=demo_store.lon,
                lat=demo_store.lat,
                district=stores.DISTRICTS[demo_store.district][1],
                address=demo_store.address,
                timezone=demo_store.timezone,
                business_hours={str(day): [list(span) for span in spans] for day, spans in demo_store.hours.items()},
                status=demo_store.status,
                delivery_radius_m=demo_store.delivery_radius_m,
                prep_minutes=demo_store.prep_minutes,
                fulfilment_types=FULFILMENT,
            )
            nodes[demo_store.code] = await session.get(type(hq), store_rows[demo_store.code].node_id)

        password_hash = hash_password(people.DEMO_PASSWORD)  # hashed once: scrypt is slow on purpose
        staff_rows = {}
        for staff in people.STAFF:
            staff_rows[staff.username] = await provisioning.add_staff(
                session, tenant.id, staff.username, "", [(staff.role, nodes[staff.node])],
                display_name=staff.display_name, password_hash=password_hash,
            )

        categories = {}
        for demo_category in catalog.CATEGORIES:
            row = Category(tenant_id=tenant.id, slug=demo_category.slug, name=demo_category.name, position=demo_category.position)
            session.add(row)
            categories[demo_category.slug] = row
        await session.flush()

        urls = {}  # one generated picture per category (content-addressed: stored once)
        for slug in categories:
            data = category_png(slug)
            urls[slug] = (await media.put(object_key(tenant.id, data, "png"), data, CONTENT_TYPES["png"])).url
        skus, product_ids = [], []
        for demo_product in catalog.PRODUCTS:
            weighed = demo_product.sold_by == catalog.WEIGHT
            product = Product(
                tenant_id=tenant.id,
                category_id=categories[demo_product.category].id,
                slug=demo_product.slug,
                name=demo_product.name,
                description=demo_product.description,
                sold_by=demo_product.sold_by,
                unit_label=demo_product.unit_label,
            )
            session.add(product)
            await session.flush()
            product_ids.append(product.id)
            sku = Sku(
                tenant_id=tenant.id,
                product_id=product.id,
                code=demo_product.sku,
                name=demo_product.name,
                barcode=demo_product.barcode,
                base_price_fen=demo_product.price_fen,
                price_per_quantity=catalog.GRAMS_PER_JIN if weighed else 1,
                quantity_step=demo_product.step_g if weighed else 1,
                min_quantity=(demo_product.min_g or demo_product.step_g) if weighed else 1,
            )
            session.add(sku)
            session.add(ProductImage(tenant_id=tenant.id, product_id=product.id, url=urls[demo_product.category], width=SIZE,
                                     height=SIZE, alt_text=demo_product.name_en[:200], position=0))
            skus.append((sku, demo_product))
        await session.flush()

        stock_rows, price_rows = [], []
        for code, store in store_rows.items():
            for sku, demo_product in skus:
                stock_rows.append(
                    {
                        "tenant_id": tenant.id,
                        "store_id": store.id,
                        "sku_id": sku.id,
                        "on_hand": variation.store_stock(code, sku.code, demo_product.sold_by, demo_product.step_g),
                        "reserved": 0,
                    }
                )
                price = variation.store_price_fen(code, sku.code, sku.base_price_fen)
                if price is not None:
                    price_rows.append({"tenant_id": tenant.id, "store_id": store.id, "sku_id": sku.id, "price_fen": price})
        await session.execute(insert(Stock), stock_rows)
        await session.execute(insert(StorePrice), price_rows)

        for demo_customer in people.CUSTOMERS:
            customer = Customer(tenant_id=tenant.id, mobile=demo_customer.mobile, name=demo_customer.name)
            session.add(customer)
            await session.flush()
            for address in demo_customer.addresses:
                session.add(
                    Address(
                        tenant_id=tenant.id,
                        customer_id=customer.id,
                        label=address.label,
                        recipient=address.recipient,
                        mobile=address.mobile,
                        line=address.address,
                        lon=address.lon,
                        lat=address.lat,
                    )
                )
        for rider in people.RIDERS:
            session.add(
                Rider(
                    tenant_id=tenant.id,
                    home_store_id=store_rows[rider.home_store].id,
                    name=rider.name,
                    mobile=rider.mobile,
                    vehicle=rider.vehicle,
                    capacity=rider.capacity_boxes,
                )
            )
        await session.flush()
        huanglong = next(s for s in stores.STORES if s.name_zh == storefront.OVERRIDE_STORE)
        await storefront.seed_storefront(
            session, tenant.id, hq.id, nodes[huanglong.code].id, f"staff:{staff_rows['admin'].id}",
            [categories[c.slug].id for c in catalog.CATEGORIES], product_ids,
        )
    log.info("demo chain %s loaded: %d stores, %d products", chain.BRAND.slug, len(store_rows), len(skus))
    return True


async def _add_missing_staff(session, tenant_id: int) -> None:
    """Demo staff accounts that a database loaded by an older demo lacks (e.g. mgr.hz-xh-002)."""
    from store_network.models import NetworkNode, Staff, Store

    have = set((await session.scalars(select(Staff.username).where(Staff.tenant_id == tenant_id))).all())
    missing = [s for s in people.STAFF if s.username not in have]
    if not missing:
        return
    password_hash = hash_password(people.DEMO_PASSWORD)
    for staff in missing:
        if staff.node not in stores.STORE_BY_CODE:
            continue  # HQ and partner accounts came with the first load
        node_id = await session.scalar(select(Store.node_id).where(Store.tenant_id == tenant_id, Store.code == staff.node))
        node = await session.get(NetworkNode, node_id) if node_id else None
        if node is not None:
            await provisioning.add_staff(session, tenant_id, staff.username, "", [(staff.role, node)],
                                         display_name=staff.display_name, password_hash=password_hash)
