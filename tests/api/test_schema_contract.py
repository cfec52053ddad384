"""The committed SDL, the database migrations and the query budget stay in step with the code."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import event

from qiandian_cli import SCHEMA_FILE, export_schema_sdl

STOREFRONT = """
query($store: ID!, $first: Int!) {
  store(id: $store) {
    name isOpenNow
    products(first: $first) {
      edges { node { id name soldBy category { name }
        skus { id code price { amount currency } stock { quantityAvailable inStock } } } }
    }
  }
}"""


def test_committed_sdl_matches_the_code():
    committed = Path(SCHEMA_FILE).read_text()
    assert committed == export_schema_sdl(), "schema.graphql is stale: run `qiandian export-schema` and commit it"


async def test_migrations_produce_exactly_the_models(database):
    import geoalchemy2  # noqa: F401  (teaches reflection the PostGIS geography type)
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from db.models import metadata

    def diff(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        changes = compare_metadata(context, metadata)
        # PostGIS's own tables and the generated geography column are created by the migration on purpose.
        return [
            c for c in changes
            if not (c[0] == "remove_table" and c[1].name in {"spatial_ref_sys"})
            and not (c[0] == "remove_column" and c[3].name == "location")
            and not (c[0] == "remove_index" and c[1].name == "ix_store_location")
            # delivery_zone.area: PostGIS-only geometry generated from the GeoJSON (migration 0002).
            and not (c[0] == "remove_column" and c[2] == "delivery_zone" and c[3].name == "area")
            and not (c[0] == "remove_index" and c[1].name == "ix_delivery_zone_area")
        ]

    async with database.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def _count_statements(database, coroutine) -> int:
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        await coroutine
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


async def _add_products(database, world, count: int) -> None:
    from commerce.models import Product, Sku, Stock, StorePrice

    async with database.write() as session:
        for i in range(count):
            product = Product(tenant_id=world.tenant_id, category_id=world.category_id, slug=f"extra-{i}", name=f"Extra {i:02d}")
            session.add(product)
            await session.flush()
            sku = Sku(tenant_id=world.tenant_id, product_id=product.id, code=f"EXTRA-{i}", name=f"Extra {i}", base_price_fen=100 + i)
            session.add(sku)
            await session.flush()
            session.add(Stock(tenant_id=world.tenant_id, store_id=world.store_ids["a"], sku_id=sku.id, on_hand=i, reserved=0))
            if i % 2:
                session.add(StorePrice(tenant_id=world.tenant_id, store_id=world.store_ids["a"], sku_id=sku.id, price_fen=99))


async def test_storefront_page_of_twenty_uses_a_fixed_number_of_queries(client, database, world):
    await _add_products(database, world, 22)

    async def page(first):
        body = await world.gql(client, STOREFRONT, {"store": world.store("a"), "first": first})
        assert "errors" not in body, body
        edges = body["data"]["store"]["products"]["edges"]
        assert len(edges) == first
        assert all(edge["node"]["skus"][0]["price"] for edge in edges)
        return body

    await page(1)  # warm the per-process tenant cache
    one = await _count_statements(database, page(1))
    twenty = await _count_statements(database, page(20))
    # store, products page, categories, skus, stock joined with store prices, the partner and time
    # price steps' rows (network_pricing) and the flash-sale price step's running sales
    # (promotions): one each, whatever the page size.
    assert twenty == one == 8


async def test_unexpected_errors_are_masked_but_validation_errors_are_not(client, world, monkeypatch):
    from resolvers.loaders import Loaders

    async def broken(self, ids):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(Loaders, "_stores", broken)
    body = await world.gql(client, "query($id: ID!) { store(id: $id) { name } }", {"id": world.store("a")})
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "hunter2" not in str(body)
    invalid = await world.gql(client, "{ store { nmae } }")
    assert "nmae" in invalid["errors"][0]["message"] or "argument" in invalid["errors"][0]["message"]


PRODUCT_ONE = """query($id: ID!, $store: ID) { product(id: $id, storeId: $store) {
  id skus { id code price { amount } stock { quantityAvailable } } } }"""
LISTING_WITH_FRAGMENT = """fragment Offer on Sku { id code price { amount } stock { quantityAvailable } }
fragment Card on Product { id skus { ...Offer } }
query($store: ID!) { store(id: $store) { products(first: 30) { nodes { ...Card } } } }"""
LISTING_WITHOUT_STORE = """query { products(first: 30) { edges { node { id skus { id code price { amount } stock { quantityAvailable } } } } } }"""


async def test_a_listing_prefetches_skus_through_fragments_and_answers_what_each_product_answers(
    client, database, world, monkeypatch
):
    """The products listing loads its page's SKUs, prices and stock in one go when `skus` is
    selected (fragments included); each product must read exactly as it does on its own."""
    from schema.catalog import Product

    await _add_products(database, world, 7)
    per_product = Product._load_skus

    async def refuse(self, info):
        raise AssertionError("a listing resolved skus product by product")

    monkeypatch.setattr(Product, "_load_skus", refuse)
    body = await world.gql(client, LISTING_WITH_FRAGMENT, {"store": world.store("a")})
    no_store = await world.gql(client, LISTING_WITHOUT_STORE)
    monkeypatch.setattr(Product, "_load_skus", per_product)
    assert "errors" not in body and "errors" not in no_store, (body, no_store)
    listed = body["data"]["store"]["products"]["nodes"]
    assert len(listed) >= 7 and any(p["skus"] and p["skus"][0]["price"]["amount"] == "0.99" for p in listed)
    for product in listed:
        alone = await world.gql(client, PRODUCT_ONE, {"id": product["id"], "store": world.store("a")})
        assert alone["data"]["product"] == product
    for edge in no_store["data"]["products"]["edges"]:
        assert all(sku["price"] is None and sku["stock"] is None for sku in edge["node"]["skus"])
        alone = await world.gql(client, PRODUCT_ONE, {"id": edge["node"]["id"]})
        assert alone["data"]["product"] == edge["node"]
