"""A crawl child that dies part-way (the kernel's OOM killer, a kill -9) costs the night
only the accounts it had not reached: those are 未能核验 with the reason, the others are
judged as usual, the cycle says so and the operator is told."""
from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from monitor.crawl.night import crawl_time_limit
from monitor.cycle import run_cycle
from monitor.reports.wording import reason_code
from monitor.scoring import score_json
from storage.models import Account, AppCheck, Observation
from tests.fixtures.core import T, make_app
from tests.fixtures.hanging import import_with_hanging_app, killed_part_way


def _crawl_children() -> list[int]:
    """This process's crawl children (the cycle runs the crawl as a child of this process)."""
    me, out = os.getpid(), []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
            cmdline = (d / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
        if ppid == me and b"monitor.crawl.child" in cmdline:
            out.append(int(d.name))
    return out


def test_a_child_killed_mid_night_leaves_the_rest_unverifiable_with_a_reason(sandbox, demo_registry, sqlite_url,
                                                                            tmp_path):
    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0})
    import_with_hanging_app(app, sandbox, demo_registry)
    # Killed as the OOM killer would (SIGKILL, no chance to clean up).
    with killed_part_way(app, sandbox, _crawl_children):
        result = run_cycle(app, T, ["crawl", "detect", "score", "alert"], progress=False)
    crawl = result.stages[0]
    assert result.outcome == "ok" and [s.name for s in result.stages] == ["crawl", "detect", "score", "alert"]
    assert "SIGKILL" in crawl.message and "not reached" in crawl.message
    with app.session() as s:
        accounts = {a.id: a for a in s.scalars(select(Account))}
        obs = list(s.scalars(select(Observation).where(Observation.observed_at == T)))
        hang_check = s.scalar(select(AppCheck).where(AppCheck.account_id == next(
            i for i, a in accounts.items() if a.name == "挂起应用")))
    unreached = {o.account_id for o in obs if (o.reason or "").startswith("crawl_incomplete")}
    reached = {o.account_id for o in obs} - unreached
    crawled = {i for i, a in accounts.items() if a.lifecycle != "注销" and a.wechat_kind != "小程序"}
    assert reached and unreached and reached | unreached == crawled
    assert crawl.counts["not_reached"] == len(unreached)
    hang = next(i for i, a in accounts.items() if a.name == "挂起应用")
    assert hang in unreached and (hang_check.outcome, hang_check.reason) == ("unknown", "crawl_incomplete")
    cards = {c["account_id"]: c for c in score_json(app, T)}
    for account_id in unreached:
        assert cards[account_id]["verdict"] == "未能核验", cards[account_id]
    # The operator is told, once, with the reason and what to do.
    sent = [json.loads(x) for x in Path(app.settings.alerts.outbox).read_text(encoding="utf-8").splitlines()]
    warnings = [m for m in sent if m["stage"] == "stage_warning"]
    assert len(warnings) == 1 and "SIGKILL" in warnings[0]["body"] and "monitor run --at" in warnings[0]["body"]


def test_a_crawl_still_running_when_its_window_closes_is_stopped_and_the_rest_is_not_in_plan(
        sandbox, demo_registry, sqlite_url, tmp_path):
    """The night was planned to fit [schedule] window; a crawl still running at its end (here:
    an app download that never finishes, and a cycle started seconds before the window
    closes) is stopped there. What it had not reached is 未能核验 as 未在本夜计划内完成 —
    first in line tomorrow — and the night goes on to detection and scoring."""
    at = T - timedelta(seconds=3)  # 01:59:57, three seconds before the window below closes
    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0},
                   schedule={"window": "00:30-02:00"})
    import_with_hanging_app(app, sandbox, demo_registry)
    assert crawl_time_limit(app, at) == (3.0, "00:30-02:00")

    result = run_cycle(app, at, ["crawl", "detect", "score"], progress=False)

    crawl = result.stages[0]
    assert result.outcome == "ok" and [s.name for s in result.stages] == ["crawl", "detect", "score"]
    assert crawl.counts["child_timed_out"] is True
    assert "end of [schedule] window 00:30-02:00" in crawl.message
    with app.session() as s:
        accounts = {a.id: a for a in s.scalars(select(Account))}
        obs = {o.account_id: o for o in s.scalars(select(Observation).where(Observation.observed_at == at))}
    hang = next(i for i, a in accounts.items() if a.name == "挂起应用")
    assert reason_code(obs[hang].reason) == "not_in_plan"
    assert "end of [schedule] window 00:30-02:00" in obs[hang].reason
    crawled = {i for i, a in accounts.items() if a.lifecycle != "注销" and a.wechat_kind != "小程序"}
    assert set(obs) == crawled  # every account has tonight's observation: crawled, or cut with the reason
    cut = {i for i, o in obs.items() if reason_code(o.reason) == "not_in_plan"}
    assert crawl.counts["not_reached"] == len(cut)
    cards = {c["account_id"]: c for c in score_json(app, at)}
    assert cards[hang]["verdict"] == "未能核验"
    for account_id in cut:
        assert cards[account_id]["verdict"] == "未能核验", cards[account_id]


def test_the_crawl_runs_until_the_window_closes_unless_the_operator_set_a_shorter_child_timeout(sqlite_url, tmp_path):
    at = T  # 02:00 in the default window 00:30-06:30: four and a half hours left
    assert crawl_time_limit(make_app(sqlite_url, tmp_path), at) == (4.5 * 3600, "00:30-06:30")
    # The 3 h default of [crawl] child_timeout does not cut a planned 6 h night short …
    assert crawl_time_limit(make_app(sqlite_url, tmp_path), T.replace(hour=0, minute=30)) == (6 * 3600, "00:30-06:30")
    # … an operator's own limit does, when it ends first.
    assert crawl_time_limit(make_app(sqlite_url, tmp_path, crawl={"child_timeout": 600}), at) == (600, None)
    assert crawl_time_limit(make_app(sqlite_url, tmp_path, crawl={"child_timeout": 10 * 3600}), at) \
        == (4.5 * 3600, "00:30-06:30")
