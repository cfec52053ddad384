"""dispatch: delivery assignments, plan records, rider positions, delivery proofs

Revision ID: 0004
Revises: 0003

One row per attempt to give an order to a rider or a courier (at most one active per order,
a partial unique index on both backends), the engine's plan records with their suggestion,
each rider's last position (WGS-84) and batch time (rate limit), and the delivery proof
code's attempt counter (the code itself is an HMAC, never stored).
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TS = db.base.UtcDateTime(timezone=True)
STATES = "state IN ('ASSIGNED','ACCEPTED','AT_STORE','PICKED_UP','DELIVERED','REJECTED','RELEASED','CANCELLED','HANDED_TO_COURIER')"
ACTIVE = "state IN ('ASSIGNED','ACCEPTED','AT_STORE','PICKED_UP')"


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
    op.create_table('delivery_assignment',
    _id(), *_tenant('delivery_assignment'),
    sa.Column('order_id', ID, nullable=False),
    sa.Column('store_id', ID, nullable=False),
    sa.Column('rider_id', ID, nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('assigned_by', sa.String(length=16), nullable=False),
    sa.Column('assigned_by_id', sa.BigInteger(), nullable=True),
    sa.Column('plan_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('courier_ref', sa.String(length=64), nullable=True),
    sa.Column('assigned_at', TS, nullable=False),
    sa.Column('accepted_at', TS, nullable=True),
    sa.Column('arrived_at', TS, nullable=True),
    sa.Column('picked_up_at', TS, nullable=True),
    sa.Column('ended_at', TS, nullable=True),
    sa.Column('ended_by', sa.String(length=16), nullable=True),
    sa.Column('ended_by_id', sa.BigInteger(), nullable=True),
    sa.Column('updated_at', TS, nullable=False),
    sa.CheckConstraint(STATES, name=op.f('ck_delivery_assignment_state')),
    sa.CheckConstraint("assigned_by IN ('ENGINE','STAFF','API_KEY')", name=op.f('ck_delivery_assignment_assigned_by')),
    sa.CheckConstraint("rider_id IS NOT NULL OR state = 'HANDED_TO_COURIER'", name=op.f('ck_delivery_assignment_rider_or_courier')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_delivery_assignment_order_id_customer_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_delivery_assignment_store_id_store')),
    sa.ForeignKeyConstraint(['rider_id'], ['rider.id'], name=op.f('fk_delivery_assignment_rider_id_rider')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_assignment'))
    )
    _tenant_index('delivery_assignment')
    with op.batch_alter_table('delivery_assignment', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_assignment_order_id', ['order_id', 'id'], unique=False)
        batch_op.create_index('ix_delivery_assignment_rider_state', ['rider_id', 'state'], unique=False)
        batch_op.create_index('ix_delivery_assignment_store_state', ['store_id', 'state'], unique=False)
        batch_op.create_index(
            'ux_delivery_assignment_active_order', ['order_id'], unique=True,
            postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE),
        )

    op.create_table('dispatch_plan',
    _id(), *_tenant('dispatch_plan'),
    sa.Column('partition', sa.String(length=128), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('objective', sa.BigInteger(), nullable=False),
    sa.Column('solve_ms', sa.Float(), nullable=False),
    sa.Column('total_ms', sa.Float(), nullable=False),
    sa.Column('riders', sa.Integer(), nullable=False),
    sa.Column('open_orders', sa.Integer(), nullable=False),
    sa.Column('free_orders', sa.Integer(), nullable=False),
    sa.Column('committed', sa.Integer(), nullable=False),
    sa.Column('handed_off', sa.Integer(), nullable=False),
    sa.Column('late_planned', sa.Integer(), nullable=False),
    sa.Column('suggestion', sa.JSON(), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_plan'))
    )
    _tenant_index('dispatch_plan')
    with op.batch_alter_table('dispatch_plan', schema=None) as batch_op:
        batch_op.create_index('ix_dispatch_plan_partition_created', ['tenant_id', 'partition', 'created_at'], unique=False)

    op.create_table('rider_position',
    _id(), *_tenant('rider_position'),
    sa.Column('rider_id', ID, nullable=False),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('at', TS, nullable=True),
    sa.Column('last_batch_at', TS, nullable=True),
    sa.CheckConstraint('lon >= -180 AND lon <= 180 AND lat >= -90 AND lat <= 90', name=op.f('ck_rider_position_lonlat_range')),
    sa.ForeignKeyConstraint(['rider_id'], ['rider.id'], name=op.f('fk_rider_position_rider_id_rider'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rider_position')),
    sa.UniqueConstraint('rider_id', name=op.f('uq_rider_position_rider_id'))
    )
    _tenant_index('rider_position')

    op.create_table('delivery_proof',
    _id(), *_tenant('delivery_proof'),
    sa.Column('order_id', ID, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('window_started_at', TS, nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('used_at', TS, nullable=True),
    sa.Column('used_by_rider_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_delivery_proof_order_id_customer_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_proof')),
    sa.UniqueConstraint('order_id', name=op.f('uq_delivery_proof_order_id'))
    )
    _tenant_index('delivery_proof')


def downgrade() -> None:
    for table in ('delivery_proof', 'rider_position', 'dispatch_plan'):
        op.drop_table(table)
    with op.batch_alter_table('delivery_assignment', schema=None) as batch_op:
        batch_op.drop_index('ux_delivery_assignment_active_order')
    op.drop_table('delivery_assignment')
