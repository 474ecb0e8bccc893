"""History is kept: the score cards and findings of every night stay queryable after later
nights, and asking for a night no cycle ran for says so (exit 1) without creating cards."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from storage.models import Finding, Run, ScoreCard
from tests.fixtures.core import T

NIGHT1, NIGHT2 = T - timedelta(days=1), T


def test_every_night_stays_queryable_and_a_night_without_a_cycle_is_refused(app, history, run_cli, tmp_path):
    aid = history.account("崇川发布", district="崇川区")
    history.observe(aid, observed_at=NIGHT1 - timedelta(hours=1), covered_from=NIGHT1 - timedelta(days=60))
    with app.session() as s:
        s.add(Finding(account_id=aid, rule="veto.no_update_2w", at=NIGHT1, state="auto",
                      facts={"days_silent": 15}))
        s.add_all([Run(kind="detect", at=NIGHT1, outcome="ok"), Run(kind="detect", at=NIGHT2, outcome="ok")])
    env = {"MONITOR_DATABASE_URL": app.settings.database_url}

    def cards(at):
        r = run_cli("score", "--at", at.isoformat(), "--format", "json", env=env)
        assert r.exit_code == 0, r.stderr
        return [(c["account_name"], c["verdict"], c["vetoes"]) for c in json.loads(r.stdout)]

    def findings(at):
        r = run_cli("findings", "--at", at.isoformat(), "--format", "json", env=env)
        assert r.exit_code == 0, r.stderr
        return [(f["account_name"], f["rule"]) for f in json.loads(r.stdout)]

    assert cards(NIGHT1) == [("崇川发布", "不合格", ["veto.no_update_2w"])]
    assert cards(NIGHT2) == [("崇川发布", "合格", [])]  # updated since: the newer night passes
    # The older night is still what it was, after the newer one.
    assert cards(NIGHT1) == [("崇川发布", "不合格", ["veto.no_update_2w"])]
    assert findings(NIGHT1) == [("崇川发布", "veto.no_update_2w")] and findings(NIGHT2) == []

    with app.session() as s:
        stored = s.scalar(select(func.count()).select_from(ScoreCard))
    never = T - timedelta(days=2)
    for args in (["score"], ["score", "--format", "json"], ["findings"], ["report", "--out", str(tmp_path / "r")]):
        r = run_cli(*args, "--at", never.isoformat(), env=env)
        assert r.exit_code == 1, (args, r.stdout, r.stderr)
        assert "no monitoring cycle ran for T = 2026年11月23日 02:00" in r.stderr
    with app.session() as s:
        assert s.scalar(select(func.count()).select_from(ScoreCard)) == stored == 2
        assert s.scalar(select(func.count()).select_from(ScoreCard).where(ScoreCard.at == never)) == 0
    assert not (tmp_path / "r").exists()
