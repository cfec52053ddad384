"""delivery promise: settings, closures, roster, slot caps and usage, pickup codes

Revision ID: 0003
Revises: 0002

Per-node delivery settings and closures (NULL = inherit from the parent node), rider
shifts, staff caps and usage counters per slot (the usage row is what checkout's
conditional UPDATE holds), pickup codes and their verification audit, and the order's
booked slot and promised deadline.
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
SLOT_KINDS = "kind IN ('EXPRESS_30','SLOT_60','PICKUP_60')"


def _id() -> sa.Column:
    return sa.Column('id', ID, nullable=False)


def _tenant(table: str) -> list:
    return [
        sa.Column('tenant_id', ID, nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f(f'fk_{table}_tenant_id_tenant')),
    ]


def _tenant_index(table: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f'ix_{table}_tenant_id'), ['tenant_id'], unique=False)


def upgrade() -> None:
    op.create_table('delivery_settings',
    _id(), *_tenant('delivery_settings'),
    sa.Column('node_id', ID, nullable=False),
    sa.Column('express_enabled', sa.Boolean(), nullable=True),
    sa.Column('express_tiers', sa.JSON(), nullable=True),
    sa.Column('slot_minutes', sa.Integer(), nullable=True),
    sa.Column('cutoff_minutes', sa.Integer(), nullable=True),
    sa.Column('days_ahead', sa.Integer(), nullable=True),
    sa.Column('deliveries_per_rider_hour', sa.Integer(), nullable=True),
    sa.Column('tier_weights', sa.JSON(), nullable=True),
    sa.Column('pickup_orders_per_slot', sa.Integer(), nullable=True),
    sa.Column('updated_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['network_node.id'], name=op.f('fk_delivery_settings_node_id_network_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_settings')),
    sa.UniqueConstraint('node_id', name=op.f('uq_delivery_settings_node_id'))
    )
    _tenant_index('delivery_settings')

    op.create_table('delivery_closure',
    _id(), *_tenant('delivery_closure'),
    sa.Column('node_id', ID, nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_delivery_closure_range')),
    sa.ForeignKeyConstraint(['node_id'], ['network_node.id'], name=op.f('fk_delivery_closure_node_id_network_node')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_closure'))
    )
    _tenant_index('delivery_closure')
    with op.batch_alter_table('delivery_closure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_closure_node_id'), ['node_id'], unique=False)

    op.create_table('rider_shift',
    _id(), *_tenant('rider_shift'),
    sa.Column('rider_id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('starts_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_rider_shift_ends_after_start')),
    sa.ForeignKeyConstraint(['rider_id'], ['rider.id'], name=op.f('fk_rider_shift_rider_id_rider'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_rider_shift_store_id_store')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rider_shift'))
    )
    _tenant_index('rider_shift')
    with op.batch_alter_table('rider_shift', schema=None) as batch_op:
        batch_op.create_index('ix_rider_shift_store_starts', ['store_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_rider_shift_rider_starts', ['rider_id', 'starts_at'], unique=False)

    for table, column in (('slot_cap', 'max_units'), ('slot_usage', 'used_units')):
        check = ('max_units >= 0', 'max_units_not_negative') if table == 'slot_cap' else ('used_units >= 0', 'used_not_negative')
        op.create_table(table,
        _id(), *_tenant(table),
        sa.Column('store_id', ID, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('starts_at', db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column(column, sa.Integer(), nullable=False),
        sa.CheckConstraint(SLOT_KINDS, name=op.f(f'ck_{table}_kind')),
        sa.CheckConstraint(check[0], name=op.f(f'ck_{table}_{check[1]}')),
        sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f(f'fk_{table}_store_id_store')),
        sa.PrimaryKeyConstraint('id', name=op.f(f'pk_{table}')),
        sa.UniqueConstraint('store_id', 'kind', 'starts_at', name=op.f(f'uq_{table}_store_id_kind_starts_at'))
        )
        _tenant_index(table)

    op.create_table('pickup_code',
    _id(), *_tenant('pickup_code'),
    sa.Column('order_id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('window_started_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('issued_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('used_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_pickup_code_order_id_customer_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_pickup_code_store_id_store')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pickup_code')),
    sa.UniqueConstraint('order_id', name=op.f('uq_pickup_code_order_id'))
    )
    _tenant_index('pickup_code')

    op.create_table('pickup_verification',
    _id(), *_tenant('pickup_verification'),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('order_id', ID, nullable=True),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('actor_type', sa.String(length=16), nullable=False),
    sa.Column('actor_id', ID, nullable=True),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_pickup_verification_order_id_customer_order'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_pickup_verification_store_id_store')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pickup_verification'))
    )
    _tenant_index('pickup_verification')
    with op.batch_alter_table('pickup_verification', schema=None) as batch_op:
        batch_op.create_index('ix_pickup_verification_store_created', ['store_id', 'created_at'], unique=False)

    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slot_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('slot_starts_at', db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('slot_ends_at', db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('slot_units', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('slot_state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('promised_by', db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_customer_order_slot_state'), "slot_state IN ('HELD','BOOKED','RELEASED')"
        )
    # The default only filled existing rows; the ORM always writes the column.
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.alter_column('slot_units', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_customer_order_slot_state'), type_='check')
        for column in ('promised_by', 'slot_state', 'slot_units', 'slot_ends_at', 'slot_starts_at', 'slot_kind'):
            batch_op.drop_column(column)
    for table in ('pickup_verification', 'pickup_code', 'slot_usage', 'slot_cap', 'rider_shift', 'delivery_closure', 'delivery_settings'):
        op.drop_table(table)
