"""Storefront configuration (issue 12 item 5): versioned home-page documents per network node.

storefront_version: one row per version of a node's document (HQ template, partner and store
overrides); DRAFT is the node's working copy, PUBLISHED rows are history with their publish_at
(a future one is a scheduled publish).

Revision ID: 0026
Revises: 0027
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0026'
down_revision = '0027'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('storefront_version',
    sa.Column('id', BigId, nullable=False),
    sa.Column('tenant_id', BigId, nullable=False),
    sa.Column('node_id', BigId, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('publish_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('rolled_back_from', sa.Integer(), nullable=True),
    sa.Column('saved_by', sa.String(length=64), nullable=False),
    sa.Column('saved_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=64), nullable=True),
    sa.Column('published_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status = 'DRAFT' OR publish_at IS NOT NULL", name=op.f('ck_storefront_version_published_has_time')),
    sa.CheckConstraint("status IN ('DRAFT','PUBLISHED')", name=op.f('ck_storefront_version_status')),
    sa.ForeignKeyConstraint(['node_id'], ['network_node.id'], name=op.f('fk_storefront_version_node_id_network_node')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_storefront_version_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storefront_version')),
    sa.UniqueConstraint('node_id', 'version', name=op.f('uq_storefront_version_node_id_version'))
    )
    with op.batch_alter_table('storefront_version', schema=None) as batch_op:
        batch_op.create_index('ix_storefront_version_node_status_publish_at', ['node_id', 'status', 'publish_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_storefront_version_tenant_id'), ['tenant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('storefront_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_storefront_version_tenant_id'))
        batch_op.drop_index('ix_storefront_version_node_status_publish_at')
    op.drop_table('storefront_version')
