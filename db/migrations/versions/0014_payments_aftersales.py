"""payments and after-sales: merchant accounts per brand (sealed), partial refunds, after-sales requests, receipt confirmation

Revision ID: 0014
Revises: 0018

payment_merchant holds each brand's WeChat Pay / Alipay credentials sealed with the server
key (core.secret_box) and the public key that names the account in callbacks.
payment_refund is one partial refund (its out_refund_no is the provider idempotency key);
payment.refunded_fen is what refunds reserved, kept <= captured_fen by conditional UPDATE and
by a CHECK as backstop. after_sales_request / receipt_confirmation: aftersales/.
"""
from alembic import op
import sqlalchemy as sa

import db.base


revision = '0014'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_merchant',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('lookup_key', sa.String(length=64), nullable=False),
    sa.Column('sealed', sa.Text(), nullable=False),
    sa.Column('updated_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_payment_merchant_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_merchant')),
    sa.UniqueConstraint('provider', 'lookup_key', name=op.f('uq_payment_merchant_provider_lookup_key')),
    sa.UniqueConstraint('tenant_id', 'provider', name=op.f('uq_payment_merchant_tenant_id_provider'))
    )
    with op.batch_alter_table('payment_merchant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_merchant_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('receipt_confirmation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('confirmed_by', sa.String(length=8), nullable=False),
    sa.Column('confirmed_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("confirmed_by IN ('CUSTOMER','AUTO')", name=op.f('ck_receipt_confirmation_confirmed_by')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_receipt_confirmation_order_id_customer_order')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_receipt_confirmation_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt_confirmation')),
    sa.UniqueConstraint('order_id', name=op.f('uq_receipt_confirmation_order_id'))
    )
    with op.batch_alter_table('receipt_confirmation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_confirmation_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('payment_refund',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('out_refund_no', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=True),
    sa.Column('restock', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('PENDING','SUCCEEDED','FAILED')", name=op.f('ck_payment_refund_status')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_payment_refund_amount_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_payment_refund_order_id_customer_order')),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_payment_refund_payment_id_payment')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_payment_refund_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_refund')),
    sa.UniqueConstraint('out_refund_no', name=op.f('uq_payment_refund_out_refund_no'))
    )
    with op.batch_alter_table('payment_refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_refund_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_refund_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_refund_tenant_id'), ['tenant_id'], unique=False)

    op.create_table('after_sales_request',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tenant_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('requested_fen', sa.BigInteger(), nullable=False),
    sa.Column('approved_fen', sa.BigInteger(), nullable=False),
    sa.Column('refund_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_by', sa.BigInteger(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=False),
    sa.Column('created_at', db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', db.base.UtcDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('REFUND','RETURN')", name=op.f('ck_after_sales_request_kind')),
    sa.CheckConstraint("status IN ('REQUESTED','APPROVED','PARTIALLY_APPROVED','REJECTED')", name=op.f('ck_after_sales_request_status')),
    sa.CheckConstraint('requested_fen > 0 AND approved_fen >= 0 AND approved_fen <= requested_fen', name=op.f('ck_after_sales_request_amounts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_after_sales_request_customer_id_customer')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_after_sales_request_order_id_customer_order')),
    sa.ForeignKeyConstraint(['refund_id'], ['payment_refund.id'], name=op.f('fk_after_sales_request_refund_id_payment_refund')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenant.id'], name=op.f('fk_after_sales_request_tenant_id_tenant')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_after_sales_request')),
    sa.UniqueConstraint('order_id', 'idempotency_key', name=op.f('uq_after_sales_request_order_id_idempotency_key'))
    )
    with op.batch_alter_table('after_sales_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_after_sales_request_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_after_sales_request_tenant_id'), ['tenant_id'], unique=False)

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_fen', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_check_constraint(op.f('ck_payment_refunded_within_captured'),
                                         'refunded_fen >= 0 AND refunded_fen <= COALESCE(captured_fen, 0)')



def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_payment_refunded_within_captured'), type_='check')
        batch_op.drop_column('refunded_fen')

    with op.batch_alter_table('after_sales_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_after_sales_request_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_after_sales_request_order_id'))

    op.drop_table('after_sales_request')
    with op.batch_alter_table('payment_refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_refund_tenant_id'))
        batch_op.drop_index(batch_op.f('ix_payment_refund_payment_id'))
        batch_op.drop_index(batch_op.f('ix_payment_refund_order_id'))

    op.drop_table('payment_refund')
    with op.batch_alter_table('receipt_confirmation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_confirmation_tenant_id'))

    op.drop_table('receipt_confirmation')
    with op.batch_alter_table('payment_merchant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_merchant_tenant_id'))

    op.drop_table('payment_merchant')
