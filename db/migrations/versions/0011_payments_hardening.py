"""payments hardening: per-tenant payment providers, the amount a provider actually took

Revision ID: 0011
Revises: 0009

`tenant.payment_providers` lists the providers a brand takes, default first (NULL: every
provider the deployment runs; payments/registry.py). `payment.captured_fen` records what
the provider says it took, so money taken in the wrong amount is refunded in full instead
of being marked FAILED and kept (payments/service.py).
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default) on both backends: batch mode would recreate
    # tables that other tables' triggers and foreign keys name.
    op.add_column('tenant', sa.Column('payment_providers', sa.String(length=200), nullable=True))
    op.add_column('payment', sa.Column('captured_fen', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # SQLite drops columns itself since 3.35 (see 0006).
    op.execute("ALTER TABLE payment DROP COLUMN captured_fen")
    op.execute("ALTER TABLE tenant DROP COLUMN payment_providers")
