"""The unattended daemon and crash safety."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import datetime, timedelta

from sqlalchemy import create_engine, func, select

from monitor.sandbox import ScaleScenario
from monitor.sandbox.registry import write_scale_registry
from storage.models import Account, Observation, Post, Run
from tests.fixtures.cli_env import LOOPBACK_ENV, MONITOR, flatten_env
from tests.fixtures.core import T


def _env(values):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(LOOPBACK_ENV)
    env.update(flatten_env(values))
    return env


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_scheduler_runs_the_cycle_once_and_stops_on_sigterm(tmp_path, monitor_cli):
    db = tmp_path / "m.db"
    # The daemon is clock-driven by nature: schedule one firing a few seconds from now.
    fire = datetime.now().astimezone() + timedelta(seconds=6)
    values = {"database_url": f"sqlite:///{db}", "evidence_dir": str(tmp_path / "ev"),
              "report_dir": str(tmp_path / "rep"), "warc_dir": str(tmp_path / "warc"),
              "alerts": {"outbox": str(tmp_path / "outbox.jsonl")}, "timezone": "Asia/Shanghai",
              "schedule": {"cron": f"{fire.astimezone(T.tzinfo):%S %M %H} * * *"}}
    monitor_cli(["init"], values)
    daemon = subprocess.Popen([MONITOR, "schedule"], env=_env(values), cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(2)
        second = subprocess.run([MONITOR, "schedule"], env=_env(values), cwd=tmp_path,
                                capture_output=True, text=True, timeout=60)
        assert second.returncode == 3
        assert "another scheduler is already running" in second.stderr

        engine = create_engine(f"sqlite:///{db}")
        run = _wait_for(lambda: _finished_cycle(engine), 90, "a finished nightly cycle")
        assert run.outcome == "ok", run.counts

        status = monitor_cli(["schedule", "status"], values).stdout
        assert '"next_run": "' in status and f'"id": {run.id}' in status
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, _ = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, out
    assert "scheduler stopped" in out


def _finished_cycle(engine):
    with engine.connect() as c:
        return c.execute(select(Run).where(Run.kind == "cycle", Run.finished_at.is_not(None))).first()


def test_run_killed_mid_crawl_is_completed_by_the_next_run(sandbox_factory, tmp_path, monitor_cli):
    scenario = ScaleScenario(150, T, seed=3)
    srv = sandbox_factory(scenario)
    # This test is about crash safety, not politeness: no 418s from the sandbox's rate limit.
    srv.world.state["weibo"].rate_limit = 10**9
    registry = write_scale_registry(tmp_path / "scale.csv", scenario, srv.url)
    db = tmp_path / "m.db"
    values = {"database_url": f"sqlite:///{db}", "evidence_dir": str(tmp_path / "ev"),
              "report_dir": str(tmp_path / "rep"), "warc_dir": str(tmp_path / "warc"),
              "alerts": {"outbox": str(tmp_path / "outbox.jsonl")},
              # Slow enough to be caught mid-crawl.
              "crawl": {"delay": 0.05, "autothrottle": False, "concurrency": 2}, **srv.config_overrides()}
    monitor_cli(["init"], values)
    monitor_cli(["accounts", "import", str(registry)], values)
    engine = create_engine(f"sqlite:///{db}")

    def observed():
        with engine.connect() as c:
            return c.execute(select(func.count()).select_from(Observation)).scalar()

    victim = subprocess.Popen([MONITOR, "run", "--at", T.isoformat()], env=_env(values), cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    _wait_for(lambda: observed() >= 10, 120, "the crawl to be under way")
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(30)
    kept = observed()
    assert 10 <= kept < 150, "the kill should land mid-crawl"

    monitor_cli(["run", "--at", T.isoformat()], values)
    with engine.connect() as c:
        accounts = c.execute(select(func.count()).select_from(Account)).scalar()
        observed_accounts = c.execute(select(func.count(func.distinct(Observation.account_id)))
                                      .where(Observation.outcome == "ok")).scalar()
        assert observed_accounts == accounts == 150
        assert c.execute(select(func.count()).select_from(Observation)).scalar() >= kept + 150
        dupes = c.execute(select(Post.account_id, Post.platform_post_id, func.count())
                          .group_by(Post.account_id, Post.platform_post_id).having(func.count() > 1)).all()
        assert dupes == []
        outcomes = [r.outcome for r in c.execute(select(Run).where(Run.kind == "cycle").order_by(Run.id))]
    assert outcomes == ["interrupted", "ok"]
