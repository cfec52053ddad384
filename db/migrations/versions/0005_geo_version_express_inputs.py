"""bump the geo index version when a store's express policy inputs change

Revision ID: 0005
Revises: 0004

deliveryOptions now takes each store's express policy (delivery settings inherited down
the network, and the store's preparation time) from a per-process cache tied to the
tenant's cached geo index (resolvers/geo_queries.py), instead of two queries per request.
So the inputs of that policy bump `geo_index_version` like zones and store locations do:
the express columns of `delivery_settings` on any node, a node's place in the network
(`network_node.path`), and a store's node. `store.prep_minutes` already bumps (0002).
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TRIGGERS = (
    ("delivery_settings", "INSERT", None),
    ("delivery_settings", "UPDATE", "express_enabled, express_tiers, node_id"),
    ("delivery_settings", "DELETE", None),
    ("network_node", "UPDATE", "path, parent_id"),
)
STORE_NODE_TRIGGER = "store_geo_bump_node"


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, event, columns in TRIGGERS:
        _create(f"{table}_geo_bump_{event.lower()}", table, f"UPDATE OF {columns}" if columns else event, event, postgresql)
    _create(STORE_NODE_TRIGGER, "store", "UPDATE OF node_id", "UPDATE", postgresql)


def _create(name: str, table: str, what: str, event: str, postgresql: bool) -> None:
    if postgresql:  # geo_index_bump() is migration 0002's trigger function
        op.execute(f"CREATE TRIGGER {name} AFTER {what} ON {table} FOR EACH ROW EXECUTE FUNCTION geo_index_bump()")
        return
    row = "OLD" if event == "DELETE" else "NEW"
    op.execute(
        f"CREATE TRIGGER {name} AFTER {what} ON {table} BEGIN "
        f"INSERT OR IGNORE INTO geo_index_version (tenant_id, version) VALUES ({row}.tenant_id, 0); "
        f"UPDATE geo_index_version SET version = version + 1 WHERE tenant_id = {row}.tenant_id; "
        "END"
    )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    names = [(f"{table}_geo_bump_{event.lower()}", table) for table, event, _ in TRIGGERS] + [(STORE_NODE_TRIGGER, "store")]
    for name, table in names:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
