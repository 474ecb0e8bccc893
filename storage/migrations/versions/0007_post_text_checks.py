"""posts.text_source / posts.text_sha and text_checks: where each post's body came from, and
which text was checked with which word lists

Revision ID: 0007_post_text_checks
Revises: 0006_comments_interaction_tests
Create Date: 2026-12-01 13:10:00
"""
from alembic import op
import sqlalchemy as sa
import storage.types
from storage.texts import text_sha


revision = '0007_post_text_checks'
down_revision = '0006_comments_interaction_tests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('posts') as batch:
        batch.add_column(sa.Column('text_source', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('text_sha', sa.String(length=64), nullable=True))
    _fill_text_sha()
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


def _fill_text_sha() -> None:
    """Posts stored before: their text identity, so the first night checks each once."""
    bind = op.get_bind()
    posts = sa.table('posts', sa.column('id', sa.Integer), sa.column('title', sa.String),
                     sa.column('text', sa.Text), sa.column('text_sha', sa.String))
    set_sha = posts.update().where(posts.c.id == sa.bindparam('pid')).values(text_sha=sa.bindparam('sha'))
    last = 0
    while True:
        rows = bind.execute(sa.select(posts.c.id, posts.c.title, posts.c.text)
                            .where(posts.c.id > last).order_by(posts.c.id).limit(1000)).all()
        if not rows:
            break
        last = rows[-1].id
        values = [{'pid': r.id, 'sha': text_sha(r.title, r.text)} for r in rows if r.title or r.text]
        if values:
            bind.execute(set_sha, values)


def downgrade() -> None:
    with op.batch_alter_table('text_checks') as batch:
        batch.drop_index(batch.f('ix_text_checks_hit_count'))
    op.drop_table('text_checks')
    with op.batch_alter_table('posts') as batch:
        batch.drop_column('text_sha')
        batch.drop_column('text_source')
