"""The per-night verdict summary behind the overview's 90-night trend is the cards' own count:
written when the score stage stores T's cards, rewritten when a review re-scores an account,
and filled from the cards for nights scored before it existed (the migration)."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from alembic import command
from sqlalchemy import delete, select

from monitor.scoring.scorer import compute_cards
from monitor.scoring.summary import verdicts_by_night
from monitor.web import queries
from monitor.web.auth import Viewer
from storage.db import alembic_config
from storage.models import Finding, NightSummary, ScoreCard
from tests.fixtures.core import T

SINCE = T - timedelta(days=90)


def _from_cards(app) -> dict:
    with app.session() as s:
        counted = Counter((c.at, c.verdict) for c in s.scalars(select(ScoreCard)))
    out: dict = {}
    for (night, verdict), n in counted.items():
        out.setdefault(night, {})[verdict] = n
    return out


def test_the_summary_follows_the_cards_through_a_review(workspace):
    app = workspace.app
    with app.session() as s:
        assert verdicts_by_night(s, SINCE, T) == _from_cards(app)
        assert verdicts_by_night(s, SINCE, T)[T] == {"合格": 1, "不合格": 1}
    with app.session() as s:  # the silent account's veto dismissed by a reviewer: re-scored alone
        s.get(Finding, workspace.veto_finding).state = "dismissed"
    compute_cards(app, T, account_ids={workspace.silent})
    with app.session() as s:
        assert verdicts_by_night(s, SINCE, T)[T] == _from_cards(app)[T] != {"合格": 1, "不合格": 1}
        inspector = Viewer(1, "inspector", "inspector", None)
        assert [(night, n) for night, _, n in queries.trend(s, inspector, T)] == [(T - timedelta(days=1), 2), (T, 2)]


def test_the_migration_fills_the_summary_of_nights_already_scored(workspace, sqlite_url):
    app = workspace.app
    with app.session() as s:
        s.execute(delete(NightSummary))
    cfg = alembic_config(sqlite_url)
    command.downgrade(cfg, "0008_post_text_capture")
    command.upgrade(cfg, "head")
    with app.session() as s:
        assert verdicts_by_night(s, SINCE, T) == _from_cards(app) and len(_from_cards(app)) == 2


def test_overview_changes_and_trend_on_both_databases(db_url, tmp_path, cheap_hashing):
    """The overview's queries (the new-veto diff compares stored veto lists as text: PostgreSQL's
    JSON has no equality) give the same answer on SQLite and PostgreSQL."""
    from tests.fixtures.core import make_app
    from tests.fixtures.web import seed_workspace

    ws = seed_workspace(make_app(db_url, tmp_path))
    inspector = Viewer(1, "inspector", "inspector", None)
    with ws.app.session() as s:
        new_vetoes, recovered = queries.changes(s, inspector, T, T - timedelta(days=1))
        assert [(a.name, vetoes) for a, vetoes in new_vetoes] == [("南通发布", ["veto.no_update_2w"])]
        assert recovered == []
        assert [n for _, _, n in queries.trend(s, inspector, T)] == [2, 2]
