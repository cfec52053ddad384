"""Strong/weak control for every store capability (issue 12 item 2): assortment, stock, orders.

Existing brands keep what they had: re-listing followed the storefront level, so HQ's new
assortment level copies it; stock and orders were the stores' own (WEAK).

Revision ID: 0025
Revises: 0023
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('network_node', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assortment_control', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('stock_control', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('order_control', sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE network_node SET assortment_control = COALESCE(storefront_control, 'STRONG'),"
        " stock_control = 'WEAK', order_control = 'WEAK' WHERE kind = 'HQ'"
    )


def downgrade() -> None:
    with op.batch_alter_table('network_node', schema=None) as batch_op:
        batch_op.drop_column('order_control')
        batch_op.drop_column('stock_control')
        batch_op.drop_column('assortment_control')
