"""`monitor score --at` an older night that was scored only reads it: an account imported
since gets no card for that night, and no row changes (issue 18 item 3). `--rescore` is the
one explicit way to score it again."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from sqlalchemy import select

from storage.models import Finding, NightSummary, Run, ScoreCard
from tests.fixtures.core import T

NIGHT1, NIGHT2 = T - timedelta(days=1), T


def _rows(app) -> tuple[int, str]:
    """Number and digest of every score card and night summary row."""
    with app.session() as s:
        rows = [tuple(getattr(c, k) for k in ("account_id", "at", "verdict", "score", "created_at"))
                + (json.dumps([c.vetoes, c.deductions, c.pending, c.finding_ids], sort_keys=True),)
                for c in s.scalars(select(ScoreCard).order_by(ScoreCard.id))]
        rows += [(n.at, n.verdict, n.accounts) for n in s.scalars(select(NightSummary).order_by(NightSummary.id))]
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def test_reading_a_scored_night_writes_nothing_and_rescore_is_explicit(app, history, run_cli, tmp_path):
    first = history.account("崇川发布", district="崇川区")
    history.observe(first, observed_at=NIGHT1 - timedelta(hours=1), covered_from=NIGHT1 - timedelta(days=60))
    with app.session() as s:
        s.add(Finding(account_id=first, rule="veto.no_update_2w", at=NIGHT1, state="auto", facts={"days_silent": 15}))
        s.add_all([Run(kind="detect", at=NIGHT1, outcome="ok"), Run(kind="detect", at=NIGHT2, outcome="ok")])
    env = {"MONITOR_DATABASE_URL": app.settings.database_url}

    def names(*args):
        r = run_cli("score", "--at", NIGHT1.isoformat(), "--format", "json", *args, env=env)
        assert r.exit_code == 0, r.stderr
        return [(c["account_name"], c["verdict"]) for c in json.loads(r.stdout)]

    assert names() == [("崇川发布", "不合格")]  # the night's score stage had not run: this is it
    history.account("海门发布", district="海门区")  # imported after NIGHT1 was scored
    before = _rows(app)
    assert names() == [("崇川发布", "不合格")]
    table = run_cli("score", "--at", NIGHT1.isoformat(), env=env)
    assert table.exit_code == 0 and "崇川发布" in table.stdout and "海门发布" not in table.stdout
    xlsx = tmp_path / "score.xlsx"
    assert run_cli("score", "--at", NIGHT1.isoformat(), "--format", "xlsx", "--out", str(xlsx), env=env).exit_code == 0
    from openpyxl import load_workbook

    assert [r[0] for r in load_workbook(xlsx)["评分"].iter_rows(min_row=2, values_only=True)] == ["崇川发布"]
    assert _rows(app) == before

    # Scoring again is asked for by name, and then the new account gets its card.
    assert sorted(names("--rescore")) == [("崇川发布", "不合格"), ("海门发布", "未能核验")]
    assert _rows(app)[0] > before[0]
