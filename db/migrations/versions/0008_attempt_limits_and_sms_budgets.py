"""SMS budgets: codes sent per client address, per brand and per mobile, in fixed windows

Revision ID: 0008
Revises: 0007

One row per budget key, shared by every API process (tenant_id NULL for a client address's
budget, which spans brands). The count only moves by a conditional
UPDATE that refuses over the budget (core.attempts.take_attempt), so concurrent requests on
several processes can never send more codes than the budget allows. Attempt limits on login,
pickup and delivery proof codes need no schema change: they use the existing `attempts`
columns, now always through the same primitive.
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('sms_budget',
    sa.Column('id', ID, nullable=False),
    sa.Column('tenant_id', ID, nullable=True),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('sends', sa.Integer(), nullable=False),
    sa.Column('window_started_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_sms_budget_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_budget')),
    sa.UniqueConstraint('key', name=op.f('uq_sms_budget_key'))
    )
    with op.batch_alter_table('sms_budget', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_budget_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_table('sms_budget')
