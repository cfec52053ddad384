"""Per-store assortment and product media (issue 12 item 4).

mandatory_product: products a node (HQ or a partner) makes every store below it keep listed.
product_image: a product's images in gallery order (position 0 is the featured image).

Revision ID: 0030
Revises: 0029
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('mandatory_product',
    sa.Column('node_id', BIG, nullable=False),
    sa.Column('product_id', BIG, nullable=False),
    sa.Column('tenant_id', BIG, nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['network_node.id'], name=op.f('fk_mandatory_product_node_id_network_node')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_mandatory_product_product_id_product')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_mandatory_product_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('node_id', 'product_id', name=op.f('pk_mandatory_product'))
    )
    with op.batch_alter_table('mandatory_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mandatory_product_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mandatory_product_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('product_image',
    sa.Column('id', BIG, nullable=False),
    sa.Column('tenant_id', BIG, nullable=False),
    sa.Column('product_id', BIG, nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('alt_text', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('width BETWEEN 1 AND 10000', name=op.f('ck_product_image_width')),
    sa.CheckConstraint('height BETWEEN 1 AND 10000', name=op.f('ck_product_image_height')),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_product_image_product_id_product')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_product_image_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_image'))
    )
    with op.batch_alter_table('product_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_image_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_index('ix_product_image_product_position', ['product_id', 'position', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('product_image', schema=None) as batch_op:
        batch_op.drop_index('ix_product_image_product_position')
        batch_op.drop_index(batch_op.f('ix_product_image_tenant_id'))
    op.drop_table('product_image')
    with op.batch_alter_table('mandatory_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mandatory_product_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_mandatory_product_product_id'))
    op.drop_table('mandatory_product')
