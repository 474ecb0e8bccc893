"""night_summaries: accounts per verdict at each T (the workspace's trend)

Revision ID: 0009_night_summaries
Revises: 0008_post_text_capture
Create Date: 2026-12-01 13:40:00
"""
from alembic import op
import sqlalchemy as sa

import storage.types


revision = '0009_night_summaries'
down_revision = '0008_post_text_capture'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('night_summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', storage.types.AwareDateTime(timezone=True), nullable=False),
    sa.Column('verdict', sa.String(length=10), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('at', 'verdict', name='uq_night_summary')
    )
    # The nights already scored get their summary from their cards.
    op.execute("INSERT INTO night_summaries (at, verdict, accounts) "
               "SELECT at, verdict, COUNT(*) FROM score_cards GROUP BY at, verdict")


def downgrade() -> None:
    op.drop_table('night_summaries')
