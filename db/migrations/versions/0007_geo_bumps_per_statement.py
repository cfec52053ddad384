"""geo index version bumps once per statement on PostgreSQL, and only for real changes

Revision ID: 0007
Revises: 0006

The row-level triggers of 0002, 0005 and 0006 upserted the tenant's one geo_index_version
row once per changed row. In one transaction every update of a row adds a version of it
that the next update must walk past, so a bulk change got quadratically slower (loading
10,000 stores with 20,000 zones: 7 s before 0005/0006, 24 s after). PostgreSQL now bumps
once per statement per tenant, from transition tables; UPDATE triggers compare old and new
values (a transition-table trigger cannot have a column list), so an UPDATE that rewrites a
watched column with the same value no longer bumps at all. `shape_version` moves when the
statement changed geometry (see 0006).

SQLite keeps the row-level triggers: it has no statement-level triggers, and no row
versions to walk (one writer), so per-row bumps cost it little.
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

ROW_TRIGGERS = (  # (name, table) of the PostgreSQL row-level triggers replaced here
    ("store_geo_bump_insert", "store"), ("store_geo_bump_update", "store"), ("store_geo_bump_delete", "store"),
    ("delivery_zone_geo_bump_insert", "delivery_zone"), ("delivery_zone_geo_bump_update", "delivery_zone"),
    ("delivery_zone_geo_bump_delete", "delivery_zone"),
    ("delivery_settings_geo_bump_insert", "delivery_settings"), ("delivery_settings_geo_bump_update", "delivery_settings"),
    ("delivery_settings_geo_bump_delete", "delivery_settings"), ("network_node_geo_bump_update", "network_node"),
    ("store_geo_bump_node", "store"),
    ("delivery_zone_shape_bump_insert", "delivery_zone"), ("delivery_zone_shape_bump_update", "delivery_zone"),
    ("delivery_zone_shape_bump_delete", "delivery_zone"), ("store_shape_bump_insert", "store"),
    ("store_shape_bump_update", "store"), ("store_shape_bump_delete", "store"),
)
# Per table: the columns whose change moves `version`, and those that also move `shape_version`
# (json columns compared as text: PostgreSQL's json type has no equality).
WATCHED = {
    "store": (
        "lon, lat, status, delivery_radius_m, fulfilment_types::text, business_hours::text, timezone, prep_minutes, "
        "city, name, code, node_id",
        "lon, lat, delivery_radius_m",
    ),
    "delivery_zone": ("*", "*"),
    "delivery_settings": ("express_enabled, express_tiers::text, node_id", None),
    "network_node": ("path, parent_id", None),
}
SHAPE_ON_INSERT_DELETE = {"store": True, "delivery_zone": True, "delivery_settings": False}
# network_node: only updates (a new or removed node changes no store's path).


def _row(prefix: str, columns: str) -> str:
    return "(" + ", ".join(f"{prefix}.{c.strip()}" for c in columns.split(",")) + ")"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table in ROW_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS geo_index_bump()")
    op.execute("DROP FUNCTION IF EXISTS geo_shape_bump()")
    # Inserted or deleted rows: one bump per tenant; TG_ARGV[0] = 1 if geometry changed.
    for kind, relation in (("inserted", "new_rows"), ("deleted", "old_rows")):
        op.execute(
            f"""
            CREATE FUNCTION geo_bump_{kind}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO geo_index_version AS v (tenant_id, version, shape_version)
              SELECT DISTINCT tenant_id, 1, TG_ARGV[0]::bigint FROM {relation}
              ON CONFLICT (tenant_id) DO UPDATE
                SET version = v.version + 1, shape_version = v.shape_version + EXCLUDED.shape_version;
              RETURN NULL;
            END $$
            """
        )
    for table, (columns, shape_columns) in WATCHED.items():
        if columns == "*":
            changed, shape = "TRUE", "1"
        else:
            changed = f"{_row('o', columns)} IS DISTINCT FROM {_row('n', columns)}"
            shape = f"CASE WHEN {_row('o', shape_columns)} IS DISTINCT FROM {_row('n', shape_columns)} THEN 1 ELSE 0 END" if shape_columns else "0"
        op.execute(
            f"""
            CREATE FUNCTION geo_bump_{table}_updated() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              INSERT INTO geo_index_version AS v (tenant_id, version, shape_version)
              SELECT n.tenant_id, 1, MAX({shape}) FROM new_rows n JOIN old_rows o ON o.id = n.id
              WHERE {changed}
              GROUP BY n.tenant_id
              ON CONFLICT (tenant_id) DO UPDATE
                SET version = v.version + 1, shape_version = v.shape_version + EXCLUDED.shape_version;
              RETURN NULL;
            END $$
            """
        )
        op.execute(
            f"CREATE TRIGGER {table}_geo_bump_update AFTER UPDATE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION geo_bump_{table}_updated()"
        )
        if table not in SHAPE_ON_INSERT_DELETE:
            continue
        flag = 1 if SHAPE_ON_INSERT_DELETE[table] else 0
        op.execute(
            f"CREATE TRIGGER {table}_geo_bump_insert AFTER INSERT ON {table} "
            f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION geo_bump_inserted('{flag}')"
        )
        op.execute(
            f"CREATE TRIGGER {table}_geo_bump_delete AFTER DELETE ON {table} "
            f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION geo_bump_deleted('{flag}')"
        )


def downgrade() -> None:
    """Back to the row-level triggers of 0002, 0005 and 0006."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in WATCHED:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_geo_bump_{event} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS geo_bump_{table}_updated()")
    op.execute("DROP FUNCTION IF EXISTS geo_bump_inserted()")
    op.execute("DROP FUNCTION IF EXISTS geo_bump_deleted()")
    for function, column in (("geo_index_bump", "version"), ("geo_shape_bump", "shape_version")):
        op.execute(
            f"""
            CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE t bigint;
            BEGIN
              IF TG_OP = 'DELETE' THEN t := OLD.tenant_id; ELSE t := NEW.tenant_id; END IF;
              INSERT INTO geo_index_version (tenant_id, version, shape_version) VALUES (t, 1, 1)
              ON CONFLICT (tenant_id) DO UPDATE SET {column} = geo_index_version.{column} + 1;
              RETURN NULL;
            END $$
            """
        )
    store_columns = "lon, lat, status, delivery_radius_m, fulfilment_types, business_hours, timezone, prep_minutes, city, name, code"
    rows = (
        ("store_geo_bump_insert", "store", "INSERT", "geo_index_bump"),
        ("store_geo_bump_update", "store", f"UPDATE OF {store_columns}", "geo_index_bump"),
        ("store_geo_bump_delete", "store", "DELETE", "geo_index_bump"),
        ("delivery_zone_geo_bump_insert", "delivery_zone", "INSERT", "geo_index_bump"),
        ("delivery_zone_geo_bump_update", "delivery_zone", "UPDATE", "geo_index_bump"),
        ("delivery_zone_geo_bump_delete", "delivery_zone", "DELETE", "geo_index_bump"),
        ("delivery_settings_geo_bump_insert", "delivery_settings", "INSERT", "geo_index_bump"),
        ("delivery_settings_geo_bump_update", "delivery_settings", "UPDATE OF express_enabled, express_tiers, node_id", "geo_index_bump"),
        ("delivery_settings_geo_bump_delete", "delivery_settings", "DELETE", "geo_index_bump"),
        ("network_node_geo_bump_update", "network_node", "UPDATE OF path, parent_id", "geo_index_bump"),
        ("store_geo_bump_node", "store", "UPDATE OF node_id", "geo_index_bump"),
        ("delivery_zone_shape_bump_insert", "delivery_zone", "INSERT", "geo_shape_bump"),
        ("delivery_zone_shape_bump_update", "delivery_zone", "UPDATE", "geo_shape_bump"),
        ("delivery_zone_shape_bump_delete", "delivery_zone", "DELETE", "geo_shape_bump"),
        ("store_shape_bump_insert", "store", "INSERT", "geo_shape_bump"),
        ("store_shape_bump_update", "store", "UPDATE OF lon, lat, delivery_radius_m", "geo_shape_bump"),
        ("store_shape_bump_delete", "store", "DELETE", "geo_shape_bump"),
    )
    assert {name for name, *_ in rows} == {name for name, _ in ROW_TRIGGERS}
    for name, table, what, function in rows:
        op.execute(f"CREATE TRIGGER {name} AFTER {what} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()")
