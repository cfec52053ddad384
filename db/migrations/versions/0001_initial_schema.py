"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 18:21:05.508238

On PostgreSQL this also enables PostGIS and adds `store.location`, a geography point
generated from lon/lat (so the two can never disagree) with a GiST index for KNN and
ST_DWithin. SQLite keeps plain lon/lat and the in-memory spatial index.
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tenant',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tenant')),
    sa.UniqueConstraint('slug', name=op.f('uq_tenant_slug'))
    )
    op.create_table('category',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_category_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category')),
    sa.UniqueConstraint('tenant_id', 'slug', name=op.f('uq_category_tenant_id_slug'))
    )
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_customer_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer')),
    sa.UniqueConstraint('tenant_id', 'mobile', name=op.f('uq_customer_tenant_id_mobile'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('idempotency_record',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('principal', sa.String(length=64), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_idempotency_record_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_record')),
    sa.UniqueConstraint('tenant_id', 'principal', 'operation', 'key', name=op.f('uq_idempotency_record_tenant_id_principal_operation_key'))
    )
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_record_created_at'), ['created_at'], unique=False)

    op.create_table('login_code',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=128), nullable=False),
    sa.Column('expires_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('consumed_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_login_code_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_code'))
    )
    with op.batch_alter_table('login_code', schema=None) as batch_op:
        batch_op.create_index('ix_login_code_tenant_mobile_created', ['tenant_id', 'mobile', 'created_at'], unique=False)

    op.create_table('network_node',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('price_control', sa.String(length=16), nullable=True),
    sa.Column('storefront_control', sa.String(length=16), nullable=True),
    sa.Column('promotion_control', sa.String(length=16), nullable=True),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('HQ','PARTNER','STORE')", name=op.f('ck_network_node_kind')),
    sa.ForeignKeyConstraint(['parent_id'], ['network_node.id'], name=op.f('fk_network_node_parent_id_network_node')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_network_node_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_node')),
    sa.UniqueConstraint('tenant_id', 'path', name=op.f('uq_network_node_tenant_id_path'))
    )
    with op.batch_alter_table('network_node', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_node_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('refresh_token',
    sa.Column('jti', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('expires_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_refresh_token_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('jti', name=op.f('pk_refresh_token'))
    )
    op.create_table('staff',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_staff_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('tenant_id', 'username', name=op.f('uq_staff_tenant_id_username'))
    )
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('address',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('label', sa.String(length=50), nullable=False),
    sa.Column('recipient', sa.String(length=100), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=False),
    sa.Column('line', sa.String(length=400), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_address_customer_id_customer')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_address_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address'))
    )
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_address_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_address_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('api_key',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('node_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['node_id'], ['network_node.id'], name=op.f('fk_api_key_node_id_network_node')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_api_key_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('prefix', name=op.f('uq_api_key_prefix'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('product',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('category_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('sold_by', sa.String(length=16), nullable=False),
    sa.Column('unit_label', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("sold_by IN ('UNIT','WEIGHT')", name=op.f('ck_product_sold_by')),
    sa.CheckConstraint("status IN ('ACTIVE','ARCHIVED')", name=op.f('ck_product_status')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_product_category_id_category')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_product_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('tenant_id', 'slug', name=op.f('uq_product_tenant_id_slug'))
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index('ix_product_tenant_category_id', ['tenant_id', 'category_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_product_tenant_name_id', ['tenant_id', 'name', 'id'], unique=False)

    op.create_table('staff_role_grant',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('node_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.CheckConstraint("role IN ('HQ_ADMIN','PARTNER_ADMIN','STORE_MANAGER','STORE_STAFF')", name=op.f('ck_staff_role_grant_role')),
    sa.ForeignKeyConstraint(['node_id'], ['network_node.id'], name=op.f('fk_staff_role_grant_node_id_network_node')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_role_grant_staff_id_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_role_grant')),
    sa.UniqueConstraint('staff_id', 'node_id', 'role', name=op.f('uq_staff_role_grant_staff_id_node_id_role'))
    )
    with op.batch_alter_table('staff_role_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_role_grant_staff_id'), ['staff_id'], unique=False)

    op.create_table('store',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('node_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=64), nullable=False),
    sa.Column('district', sa.String(length=64), nullable=False),
    sa.Column('address', sa.String(length=400), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('business_hours', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('delivery_radius_m', sa.Integer(), nullable=False),
    sa.Column('prep_minutes', sa.Integer(), nullable=False),
    sa.Column('fulfilment_types', sa.JSON(), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('OPEN','CLOSED','SUSPENDED')", name=op.f('ck_store_status')),
    sa.CheckConstraint('delivery_radius_m > 0', name=op.f('ck_store_radius_positive')),
    sa.CheckConstraint('lon >= -180 AND lon <= 180 AND lat >= -90 AND lat <= 90', name=op.f('ck_store_lonlat_range')),
    sa.ForeignKeyConstraint(['node_id'], ['network_node.id'], name=op.f('fk_store_node_id_network_node')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_store_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store')),
    sa.UniqueConstraint('node_id', name=op.f('uq_store_node_id')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_store_tenant_id_code'))
    )
    with op.batch_alter_table('store', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_store_tenant_lat_lon', ['tenant_id', 'lat', 'lon'], unique=False)

    op.create_table('cart',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('updated_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_cart_customer_id_customer')),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_cart_store_id_store')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_cart_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cart')),
    sa.UniqueConstraint('customer_id', 'store_id', name=op.f('uq_cart_customer_id_store_id'))
    )
    with op.batch_alter_table('cart', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cart_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('customer_order',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('fulfilment_type', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal_fen', sa.BigInteger(), nullable=False),
    sa.Column('delivery_fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('stock_state', sa.String(length=16), nullable=False),
    sa.Column('shipping_address', sa.JSON(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('expires_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('paid_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("stock_state IN ('RESERVED','DEDUCTED','RELEASED','RESTOCKED')", name=op.f('ck_customer_order_stock_state')),
    sa.CheckConstraint('total_fen >= 0 AND subtotal_fen >= 0 AND delivery_fee_fen >= 0', name=op.f('ck_customer_order_money_not_negative')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_order_customer_id_customer')),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_customer_order_store_id_store')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_customer_order_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_order')),
    sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_customer_order_tenant_id_number'))
    )
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_order_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_order_customer_id', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_order_status_expires', ['status', 'expires_at'], unique=False)
        batch_op.create_index('ix_order_store_status', ['store_id', 'status'], unique=False)

    op.create_table('rider',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('home_store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('mobile', sa.String(length=20), nullable=False),
    sa.Column('vehicle', sa.String(length=16), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('OFF_SHIFT','AVAILABLE','BUSY','SUSPENDED')", name=op.f('ck_rider_status')),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_rider_capacity_positive')),
    sa.ForeignKeyConstraint(['home_store_id'], ['store.id'], name=op.f('fk_rider_home_store_id_store')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_rider_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rider')),
    sa.UniqueConstraint('tenant_id', 'mobile', name=op.f('uq_rider_tenant_id_mobile'))
    )
    with op.batch_alter_table('rider', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rider_home_store_id'), ['home_store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rider_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('sku',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('barcode', sa.String(length=32), nullable=True),
    sa.Column('base_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('price_per_quantity', sa.Integer(), nullable=False),
    sa.Column('quantity_step', sa.Integer(), nullable=False),
    sa.Column('min_quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('base_price_fen >= 0', name=op.f('ck_sku_price_not_negative')),
    sa.CheckConstraint('quantity_step > 0 AND price_per_quantity > 0 AND min_quantity > 0', name=op.f('ck_sku_quantities')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_sku_product_id_product')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_sku_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sku')),
    sa.UniqueConstraint('tenant_id', 'code', name=op.f('uq_sku_tenant_id_code'))
    )
    with op.batch_alter_table('sku', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sku_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sku_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('cart_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cart_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_cart_line_quantity_positive')),
    sa.ForeignKeyConstraint(['cart_id'], ['cart.id'], name=op.f('fk_cart_line_cart_id_cart'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_cart_line_sku_id_sku')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cart_line')),
    sa.UniqueConstraint('cart_id', 'sku_id', name=op.f('uq_cart_line_cart_id_sku_id'))
    )
    with op.batch_alter_table('cart_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cart_line_cart_id'), ['cart_id'], unique=False)

    op.create_table('order_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('from_status', sa.String(length=24), nullable=True),
    sa.Column('to_status', sa.String(length=24), nullable=False),
    sa.Column('actor_type', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_order_event_order_id_customer_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_event'))
    )
    with op.batch_alter_table('order_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_event_order_id'), ['order_id'], unique=False)

    op.create_table('order_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('product_name', sa.String(length=200), nullable=False),
    sa.Column('sku_code', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.BigInteger(), nullable=False),
    sa.Column('unit_price_fen', sa.BigInteger(), nullable=False),
    sa.Column('price_per_quantity', sa.Integer(), nullable=False),
    sa.Column('line_total_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_order_line_quantity_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_order_line_order_id_customer_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_order_line_sku_id_sku')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_line'))
    )
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_order_id'), ['order_id'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('provider_ref', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('PENDING','SUCCEEDED','FAILED','REFUNDED','REFUND_REQUIRED')", name=op.f('ck_payment_status')),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_payment_amount_not_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_payment_order_id_customer_order')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_payment_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('provider', 'provider_ref', name=op.f('uq_payment_provider_provider_ref'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('stock',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('on_hand', sa.BigInteger(), nullable=False),
    sa.Column('reserved', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_stock_on_hand_not_negative')),
    sa.CheckConstraint('reserved <= on_hand', name=op.f('ck_stock_reserved_within_on_hand')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_stock_reserved_not_negative')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_stock_sku_id_sku')),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_stock_store_id_store')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_stock_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock')),
    sa.UniqueConstraint('store_id', 'sku_id', name=op.f('uq_stock_store_id_sku_id'))
    )
    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('store_price',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('store_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('sku_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('price_fen >= 0', name=op.f('ck_store_price_price_not_negative')),
    sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_store_price_sku_id_sku')),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_store_price_store_id_store')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_store_price_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_price')),
    sa.UniqueConstraint('store_id', 'sku_id', name=op.f('uq_store_price_store_id_sku_id'))
    )
    with op.batch_alter_table('store_price', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_store_price_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('payment_callback_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('event_id', sa.String(length=128), nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('received_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_payment_callback_event_payment_id_payment')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_callback_event')),
    sa.UniqueConstraint('provider', 'event_id', name=op.f('uq_payment_callback_event_provider_event_id'))
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        op.execute(
            "ALTER TABLE store ADD COLUMN location geography(Point, 4326) "
            "GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography) STORED"
        )
        op.execute("CREATE INDEX ix_store_location ON store USING GIST (location)")


def downgrade() -> None:
    op.drop_table('payment_callback_event')
    with op.batch_alter_table('store_price', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_store_price_tenant_id'))

    op.drop_table('store_price')
    with op.batch_alter_table('stock', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_tenant_id'))

    op.drop_table('stock')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_payment_order_id'))

    op.drop_table('payment')
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_line_order_id'))

    op.drop_table('order_line')
    with op.batch_alter_table('order_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_event_order_id'))

    op.drop_table('order_event')
    with op.batch_alter_table('cart_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cart_line_cart_id'))

    op.drop_table('cart_line')
    with op.batch_alter_table('sku', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sku_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_sku_product_id'))

    op.drop_table('sku')
    with op.batch_alter_table('rider', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rider_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_rider_home_store_id'))

    op.drop_table('rider')
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_index('ix_order_store_status')
        batch_op.drop_index('ix_order_status_expires')
        batch_op.drop_index('ix_order_customer_id')
        batch_op.drop_index(batch_op.f('ix_customer_order_tenant_id'))

    op.drop_table('customer_order')
    with op.batch_alter_table('cart', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cart_tenant_id'))

    op.drop_table('cart')
    with op.batch_alter_table('store', schema=None) as batch_op:
        batch_op.drop_index('ix_store_tenant_lat_lon')
        batch_op.drop_index(batch_op.f('ix_store_tenant_id'))

    op.drop_table('store')
    with op.batch_alter_table('staff_role_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_role_grant_staff_id'))

    op.drop_table('staff_role_grant')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index('ix_product_tenant_name_id')
        batch_op.drop_index(batch_op.f('ix_product_tenant_id'))
        batch_op.drop_index('ix_product_tenant_category_id')

    op.drop_table('product')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_tenant_id'))

    op.drop_table('api_key')
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_address_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_address_customer_id'))

    op.drop_table('address')
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_tenant_id'))

    op.drop_table('staff')
    op.drop_table('refresh_token')
    with op.batch_alter_table('network_node', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_node_tenant_id'))

    op.drop_table('network_node')
    with op.batch_alter_table('login_code', schema=None) as batch_op:
        batch_op.drop_index('ix_login_code_tenant_mobile_created')

    op.drop_table('login_code')
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_record_created_at'))

    op.drop_table('idempotency_record')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_tenant_id'))

    op.drop_table('customer')
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_tenant_id'))

    op.drop_table('category')
    op.drop_table('tenant')
