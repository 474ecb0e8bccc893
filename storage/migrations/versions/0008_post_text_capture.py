"""posts.text_capture: the WARC record of the answer each post's text was read from

Revision ID: 0008_post_text_capture
Revises: 0007_post_text_checks
Create Date: 2026-12-01 13:25:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_post_text_capture'
down_revision = '0007_post_text_checks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('posts') as batch:
        batch.add_column(sa.Column('text_capture', sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('posts') as batch:
        batch.drop_column('text_capture')
