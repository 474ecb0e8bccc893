"""accounts.registered_verification: the registry's optional 认证信息 column

Revision ID: 0003_registered_verification
Revises: 0002_web_users
Create Date: 2026-12-01 10:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_registered_verification'
down_revision = '0002_web_users'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.add_column(sa.Column('registered_verification', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('accounts') as batch:
        batch.drop_column('registered_verification')
