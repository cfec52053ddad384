"""Store-network pricing (issue 12 item 3): price bands, partner prices, time prices, price audit.

Revision ID: 0029
Revises: 0024
"""
from alembic import op
import sqlalchemy as sa

from db.base import BigId, UtcDateTime


revision = '0029'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('network_node', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_band_below_pct', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('price_band_above_pct', sa.Integer(), nullable=True))
    op.create_table(
        'partner_price',
        sa.Column('id', BigId, nullable=False),
        sa.Column('tenant_id', BigId, nullable=False),
        sa.Column('node_id', BigId, nullable=False),
        sa.Column('sku_id', BigId, nullable=False),
        sa.Column('price_fen', sa.BigInteger(), nullable=False),
        sa.Column('updated_at', UtcDateTime(), nullable=False),
        sa.CheckConstraint('price_fen > 0', name=op.f('ck_partner_price_price_positive')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_partner_price_tenant_id_tenant')),
        sa.ForeignKeyConstraint(['node_id'], ['network_node.id'], name=op.f('fk_partner_price_node_id_network_node')),
        sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_partner_price_sku_id_sku')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_price')),
        sa.UniqueConstraint('node_id', 'sku_id', name=op.f('uq_partner_price_node_id_sku_id')),
    )
    op.create_index(op.f('ix_partner_price_tenant_id'), 'partner_price', ['tenant_id'])
    op.create_table(
        'time_price',
        sa.Column('id', BigId, nullable=False),
        sa.Column('tenant_id', BigId, nullable=False),
        sa.Column('node_id', BigId, nullable=False),
        sa.Column('sku_id', BigId, nullable=False),
        sa.Column('percent_off', sa.Integer(), nullable=True),
        sa.Column('price_fen', sa.BigInteger(), nullable=True),
        sa.Column('daily_start_minute', sa.Integer(), nullable=True),
        sa.Column('daily_end_minute', sa.Integer(), nullable=True),
        sa.Column('starts_at', UtcDateTime(), nullable=True),
        sa.Column('ends_at', UtcDateTime(), nullable=True),
        sa.Column('ended_at', UtcDateTime(), nullable=True),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('created_at', UtcDateTime(), nullable=False),
        sa.CheckConstraint('(percent_off IS NULL) <> (price_fen IS NULL)', name=op.f('ck_time_price_one_kind')),
        sa.CheckConstraint('percent_off IS NULL OR (percent_off > 0 AND percent_off < 100)', name=op.f('ck_time_price_percent_range')),
        sa.CheckConstraint('price_fen IS NULL OR price_fen > 0', name=op.f('ck_time_price_price_positive')),
        sa.CheckConstraint('(daily_start_minute IS NULL) = (daily_end_minute IS NULL)', name=op.f('ck_time_price_window_pair')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_time_price_tenant_id_tenant')),
        sa.ForeignKeyConstraint(['node_id'], ['network_node.id'], name=op.f('fk_time_price_node_id_network_node')),
        sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_time_price_sku_id_sku')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_time_price')),
    )
    op.create_index(op.f('ix_time_price_tenant_id'), 'time_price', ['tenant_id'])
    op.create_index('ix_time_price_node_sku', 'time_price', ['node_id', 'sku_id'])
    op.create_table(
        'price_change',
        sa.Column('id', BigId, nullable=False),
        sa.Column('tenant_id', BigId, nullable=False),
        sa.Column('node_id', BigId, nullable=False),
        sa.Column('store_id', BigId, nullable=True),
        sa.Column('sku_id', BigId, nullable=False),
        sa.Column('old_fen', sa.BigInteger(), nullable=True),
        sa.Column('new_fen', sa.BigInteger(), nullable=True),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('actor_staff_id', BigId, nullable=True),
        sa.Column('actor_api_key_id', BigId, nullable=True),
        sa.Column('time_price_id', BigId, nullable=True),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('at', UtcDateTime(), nullable=False),
        sa.CheckConstraint("source IN ('STORE','PARTNER','TIME')", name=op.f('ck_price_change_source')),
        sa.CheckConstraint("channel IN ('API','CSV','POS')", name=op.f('ck_price_change_channel')),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_price_change_tenant_id_tenant')),
        sa.ForeignKeyConstraint(['node_id'], ['network_node.id'], name=op.f('fk_price_change_node_id_network_node')),
        sa.ForeignKeyConstraint(['store_id'], ['store.id'], name=op.f('fk_price_change_store_id_store')),
        sa.ForeignKeyConstraint(['sku_id'], ['sku.id'], name=op.f('fk_price_change_sku_id_sku')),
        sa.ForeignKeyConstraint(['actor_staff_id'], ['staff.id'], name=op.f('fk_price_change_actor_staff_id_staff')),
        sa.ForeignKeyConstraint(['actor_api_key_id'], ['api_key.id'], name=op.f('fk_price_change_actor_api_key_id_api_key')),
        sa.ForeignKeyConstraint(['time_price_id'], ['time_price.id'], name=op.f('fk_price_change_time_price_id_time_price')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_price_change')),
    )
    op.create_index('ix_price_change_tenant_node', 'price_change', ['tenant_id', 'node_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_price_change_tenant_node', table_name='price_change')
    op.drop_table('price_change')
    op.drop_index('ix_time_price_node_sku', table_name='time_price')
    op.drop_index(op.f('ix_time_price_tenant_id'), table_name='time_price')
    op.drop_table('time_price')
    op.drop_index(op.f('ix_partner_price_tenant_id'), table_name='partner_price')
    op.drop_table('partner_price')
    with op.batch_alter_table('network_node', schema=None) as batch_op:
        batch_op.drop_column('price_band_above_pct')
        batch_op.drop_column('price_band_below_pct')
