"""delivery zones and the per-tenant geo index version

Revision ID: 0002
Revises: 0001

`delivery_zone` holds radius or polygon (GeoJSON, WGS-84) delivery tiers per store.
`geo_index_version` is a per-tenant counter that triggers bump (both backends) in the same
transaction as any change to a zone or to a store's geo-relevant columns; API processes
compare it with the version of their cached in-memory index (geo/index_cache.py).

On PostgreSQL `delivery_zone.area` is a geometry(Polygon, 4326) *generated* from the
GeoJSON, so it can never disagree with it, with a GiST index for ST_Covers. Geometry, not
geography: zone edges are straight lines in lon/lat, as drawn on a map (geo/zones.py).
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Columns whose change alters a geo answer or what the cached index shows about a store.
STORE_COLUMNS = "lon, lat, status, delivery_radius_m, fulfilment_types, business_hours, timezone, prep_minutes, city, name, code"
TRIGGERS = (
    ("store", "INSERT", None),
    ("store", "UPDATE", STORE_COLUMNS),
    ("store", "DELETE", None),
    ("delivery_zone", "INSERT", None),
    ("delivery_zone", "UPDATE", None),
    ("delivery_zone", "DELETE", None),
)


def upgrade() -> None:
    op.create_table('geo_index_version',
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_geo_index_version_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_geo_index_version'))
    )
    op.create_table('delivery_zone',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('radius_m', sa.Float(), nullable=True),
    sa.Column('polygon', sa.JSON(), nullable=True),
    sa.Column('fee_rule', sa.JSON(), nullable=False),
    sa.Column('express_allowed', sa.Boolean(), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('RADIUS','POLYGON')", name=op.f('ck_delivery_zone_kind')),
    sa.CheckConstraint("tier >= 1", name=op.f('ck_delivery_zone_tier_positive')),
    sa.CheckConstraint(
        "(kind = 'RADIUS' AND radius_m > 0 AND polygon IS NULL) OR (kind = 'POLYGON' AND radius_m IS NULL AND polygon IS NOT NULL)",
        name=op.f('ck_delivery_zone_shape_matches_kind'),
    ),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_delivery_zone_store_id_store'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_delivery_zone_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_zone'))
    )
    with op.batch_alter_table('delivery_zone', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_zone_tenant_store', ['tenant_id', 'store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_zone_store_id'), ['store_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def _postgresql_upgrade() -> None:
    # A JSON null (polygon IS NULL for radius zones) gives a NULL area.
    op.execute(
        "ALTER TABLE delivery_zone ADD COLUMN area geometry(Polygon, 4326) "
        "GENERATED ALWAYS AS (ST_SetSRID(ST_GeomFromGeoJSON(polygon::text), 4326)) STORED"
    )
    op.execute("CREATE INDEX ix_delivery_zone_area ON delivery_zone USING GIST (area)")
    op.execute(
        """
        CREATE FUNCTION geo_index_bump() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE t bigint;
        BEGIN
          IF TG_OP = 'DELETE' THEN t := OLD.tenant_id; ELSE t := NEW.tenant_id; END IF;
          INSERT INTO geo_index_version (tenant_id, version) VALUES (t, 1)
          ON CONFLICT (tenant_id) DO UPDATE SET version = geo_index_version.version + 1;
          RETURN NULL;
        END $$
        """
    )
    for table, event, columns in TRIGGERS:
        what = f"UPDATE OF {columns}" if columns else event
        op.execute(
            f"CREATE TRIGGER {table}_geo_bump_{event.lower()} AFTER {what} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION geo_index_bump()"
        )


def _sqlite_upgrade() -> None:
    for table, event, columns in TRIGGERS:
        what = f"UPDATE OF {columns}" if columns else event
        row = "OLD" if event == "DELETE" else "NEW"
        op.execute(
            f"CREATE TRIGGER {table}_geo_bump_{event.lower()} AFTER {what} ON {table} BEGIN "
            f"INSERT OR IGNORE INTO geo_index_version (tenant_id, version) VALUES ({row}.tenant_id, 0); "
            f"UPDATE geo_index_version SET version = version + 1 WHERE tenant_id = {row}.tenant_id; "
            "END"
        )


def downgrade() -> None:
    for table, event, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_geo_bump_{event.lower()}" + (f" ON {table}" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS geo_index_bump()")
    with op.batch_alter_table('delivery_zone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_zone_store_id'))
        batch_op.drop_index('ix_delivery_zone_tenant_store')
    op.drop_table('delivery_zone')
    op.drop_table('geo_index_version')
