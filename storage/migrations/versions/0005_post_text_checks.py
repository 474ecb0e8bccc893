"""posts.text_source / posts.text_sha and text_checks: where each post's body came from, and
which text was checked with which word lists

Revision ID: 0005_post_text_checks
Revises: 0003_registered_verification
Create Date: 2026-12-01 13:10:00
"""
from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0005_post_text_checks'
down_revision = '0003_registered_verification'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('posts') as batch:
        batch.add_column(sa.Column('text_source', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('text_sha', sa.String(length=64), nullable=True))
    op.create_table('text_checks',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('text_sha', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('checked_at', storage.types.AwareDateTime(timezone=True), nullable=False),
    sa.Column('hit_count', sa.Integer(), nullable=False),
    sa.Column('hits', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id')
    )
    with op.batch_alter_table('text_checks') as batch:
        batch.create_index(batch.f('ix_text_checks_hit_count'), ['hit_count'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('text_checks') as batch:
        batch.drop_index(batch.f('ix_text_checks_hit_count'))
    op.drop_table('text_checks')
    with op.batch_alter_table('posts') as batch:
        batch.drop_column('text_sha')
        batch.drop_column('text_source')
