"""Closing the security known gaps.

top_up.captured_fen: what the provider took (a mismatch refunds exactly that);
top_up.refunded_at: when the sweep gave it back (status REFUNDED).
login_code.client_key: the requesting network, so the per-mobile send budget counts per network.
points_award.store_id: a counter sale's store, so a replay from another store is refused.

Revision ID: 0033
Revises: 0030
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0033'
down_revision = '0030'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('top_up', schema=None) as batch_op:
        batch_op.add_column(sa.Column('captured_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('refunded_at', db.base.UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('login_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sa.String(length=64), nullable=True))
    with op.batch_alter_table('points_award', schema=None) as batch_op:
        batch_op.add_column(sa.Column('store_id', BIG, nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_points_award_store_id_store'), 'store', ['store_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('points_award', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_points_award_store_id_store'), type_='foreignkey')
        batch_op.drop_column('store_id')
    with op.batch_alter_table('login_code', schema=None) as batch_op:
        batch_op.drop_column('client_key')
    with op.batch_alter_table('top_up', schema=None) as batch_op:
        batch_op.drop_column('refunded_at')
        batch_op.drop_column('captured_fen')
