"""Reports (issue 12 item 6): the per-store, per-local-day rollup and the facts it has counted.

Revision ID: 0027
Revises: 0025
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0027'
down_revision = '0025'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
COUNTERS = ("orders", "gmv_fen", "pickup_orders", "refunds", "refund_fen", "cancelled", "delivered", "delivered_on_time")


def upgrade() -> None:
    op.create_table('report_store_day',
    sa.Column('id', _ID, nullable=False),
    sa.Column('tenant_id', _ID, nullable=False),
    sa.Column('store_id', _ID, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    *[sa.Column(name, sa.BigInteger(), server_default='0', nullable=False) for name in COUNTERS],
    sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_report_store_day_store_id_store')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_report_store_day_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_store_day')),
    sa.UniqueConstraint('store_id', 'day', name=op.f('uq_report_store_day_store_id_day'))
    )
    with op.batch_alter_table('report_store_day', schema=None) as batch_op:
        batch_op.create_index('ix_report_store_day_tenant_day', ['tenant_id', 'day'], unique=False)

    op.create_table('report_fact',
    sa.Column('id', _ID, nullable=False),
    sa.Column('tenant_id', _ID, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_report_fact_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_fact')),
    sa.UniqueConstraint('kind', 'source_id', name=op.f('uq_report_fact_kind_source_id'))
    )
    with op.batch_alter_table('report_fact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_fact_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report_fact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_fact_tenant_id'))
    op.drop_table('report_fact')
    with op.batch_alter_table('report_store_day', schema=None) as batch_op:
        batch_op.drop_index('ix_report_store_day_tenant_day')
    op.drop_table('report_store_day')
