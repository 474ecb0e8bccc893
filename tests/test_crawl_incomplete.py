"""A crawl child that dies part-way (the kernel's OOM killer, a kill -9) costs the night
only the accounts it had not reached: those are 未能核验 with the reason, the others are
judged as usual, the cycle says so and the operator is told."""
from __future__ import annotations

import json
import os
import signal
import threading
from pathlib import Path

from sqlalchemy import func, select

from monitor.cycle import run_cycle
from monitor.registry import UrlBases, read_registry, upsert_accounts
from monitor.sandbox.platforms.apps import add_route
from monitor.scoring import score_json
from storage.models import Account, AppCheck, Observation
from tests.fixtures.core import T, make_app


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
    parsed = read_registry(demo_registry, UrlBases.from_settings(app.settings))
    add_route(sandbox.world, "/apps/download/hang.apk", {"serve": "hang"})
    with app.session() as s:
        upsert_accounts(s, parsed.records)
        s.add(Account(name="挂起应用", platform="app", host_unit="测试单位", platform_id="cn.gov.sandbox.hang",
                      download_url=f"{sandbox.url}/apps/download/hang.apk", store_ids={}))

    killed = threading.Event()

    def kill_when_part_way():
        # Once the child is stuck on the hanging download and has stored something else,
        # kill it as the OOM killer would (SIGKILL, no chance to clean up).
        while not killed.is_set():
            with app.session() as s:
                stored = s.scalar(select(func.count()).select_from(Observation))
            children = _crawl_children()
            if sandbox.world.state.get("apps_hung") and stored and children:
                for pid in children:
                    os.kill(pid, signal.SIGKILL)
                killed.set()
            killed.wait(0.2)

    killer = threading.Thread(target=kill_when_part_way, daemon=True)
    killer.start()
    try:
        result = run_cycle(app, T, ["crawl", "detect", "score", "alert"], progress=False)
    finally:
        killed.set()
        killer.join()
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
