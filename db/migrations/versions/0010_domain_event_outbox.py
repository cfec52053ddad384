"""domain_event: the outbox of domain events

Revision ID: 0010
Revises: 0011

Every domain event (events.emit) is written here in the transaction that made the change;
consumers (webhooks, commission, courier sync) read one tenant's events after a cursor,
hence the (tenant_id, id) index.
"""
import sqlalchemy as sa
from alembic import op

import db.base

revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'domain_event',
        sa.Column('id', ID, nullable=False),
        sa.Column('tenant_id', ID, nullable=False),
        sa.Column('type', sa.String(length=64), nullable=False),
        sa.Column('aggregate_type', sa.String(length=32), nullable=False),
        sa.Column('aggregate_id', sa.BigInteger(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_domain_event_tenant_id_tenant')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_domain_event')),
    )
    op.create_index('ix_domain_event_tenant_id_id', 'domain_event', ['tenant_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_domain_event_tenant_id_id', table_name='domain_event')
    op.drop_table('domain_event')
