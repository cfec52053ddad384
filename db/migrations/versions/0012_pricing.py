"""store_price.allow_free: a zero store price must have been meant

Revision ID: 0012
Revises: 0010

storePriceSet refuses a price of zero unless the caller sends allowFree: true; the flag is
kept on the row and a CHECK makes the database refuse a zero price without it. Zero prices
set before this rule are taken as meant (they were set on purpose by the API of the day) and
are flagged, so the CHECK holds for existing rows.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('store_price', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_free', sa.Boolean(), server_default=sa.false(), nullable=False))
    store_price = sa.table('store_price', sa.column('price_fen', sa.BigInteger()), sa.column('allow_free', sa.Boolean()))
    op.execute(store_price.update().where(store_price.c.price_fen == 0).values(allow_free=True))
    with op.batch_alter_table('store_price', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_store_price_zero_only_if_allowed'), 'price_fen > 0 OR allow_free')


def downgrade() -> None:
    with op.batch_alter_table('store_price', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_store_price_zero_only_if_allowed'), type_='check')
        batch_op.drop_column('allow_free')
