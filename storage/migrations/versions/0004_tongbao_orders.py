"""tongbao and rectification orders

Revision ID: 0004_tongbao_orders
Revises: 0003_registered_verification
Create Date: 2026-12-01 12:50:00
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0004_tongbao_orders'
down_revision = '0003_registered_verification'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tongbao',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=False),
    sa.Column('period_first', sa.Date(), nullable=False),
    sa.Column('period_last', sa.Date(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('issued_at', storage.types.AwareDateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.String(length=100), nullable=False),
    sa.Column('doc_number', sa.String(length=100), nullable=False),
    sa.Column('deadline_days', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('rectification_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tongbao_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.Column('closed_at', storage.types.AwareDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=100), nullable=True),
    sa.Column('last_recheck', sa.JSON(), nullable=False),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tongbao_id'], ['tongbao.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('tongbao_id', 'account_id', name='uq_order_tongbao_account')
    )
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.create_index('ix_order_state_deadline', ['state', 'deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_rectification_orders_account_id'), ['account_id'], unique=False)

    op.create_table('order_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.AwareDateTime(timezone=True), nullable=False),
    sa.Column('user_name', sa.String(length=100), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['rectification_orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_replies_order_id'), ['order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('order_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_replies_order_id'))

    op.drop_table('order_replies')
    with op.batch_alter_table('rectification_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_orders_account_id'))
        batch_op.drop_index('ix_order_state_deadline')

    op.drop_table('rectification_orders')
    op.drop_table('tongbao')
