"""refresh-token families: one per sign-in, revoked by logout or by a replayed refresh token

Revision ID: 0009
Revises: 0008

Every refresh token now belongs to a family (`refresh_token.family_id`), the sign-in it was
rotated from; tokens carry the family id as the `fam` claim. Revoking the family ends every
refresh and access token of that sign-in.

Existing refresh tokens each become a family of their own (id = their jti): the chain they
were rotated along was never recorded, so a replay of a token spent before this migration
revokes only itself, as before; everything issued afterwards is tracked.
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refresh_token_family',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_refresh_token_family_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_token_family'))
    )
    op.execute(
        "INSERT INTO refresh_token_family (id, tenant_id, subject, created_at) "
        "SELECT jti, tenant_id, subject, created_at FROM refresh_token"
    )
    with op.batch_alter_table('refresh_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('family_id', sa.String(length=64), nullable=True))
    op.execute("UPDATE refresh_token SET family_id = jti")
    with op.batch_alter_table('refresh_token', schema=None) as batch_op:
        batch_op.alter_column('family_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_refresh_token_family_id_refresh_token_family'), 'refresh_token_family', ['family_id'], ['id']
        )
        batch_op.create_index(batch_op.f('ix_refresh_token_family_id'), ['family_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('refresh_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_token_family_id'))
        batch_op.drop_constraint(batch_op.f('fk_refresh_token_family_id_refresh_token_family'), type_='foreignkey')
        batch_op.drop_column('family_id')
    op.drop_table('refresh_token_family')
