"""Closing the security known gaps.

top_up.captured_fen: what the provider took (a mismatch refunds exactly that);
top_up.refunded_at: when the sweep gave it back (status REFUNDED).
login_code.client_key: the requesting network, so the per-mobile send budget counts per network.

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


def upgrade() -> None:
    with op.batch_alter_table('top_up', schema=None) as batch_op:
        batch_op.add_column(sa.Column('captured_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('refunded_at', db.base.UtcDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('login_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_key', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('login_code', schema=None) as batch_op:
        batch_op.drop_column('client_key')
    with op.batch_alter_table('top_up', schema=None) as batch_op:
        batch_op.drop_column('refunded_at')
        batch_op.drop_column('captured_fen')
