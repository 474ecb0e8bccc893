"""The unattended daemon and crash safety."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
from datetime import datetime, timedelta

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import create_engine, func, select

from monitor.sandbox import Faults, ScaleScenario
from monitor.sandbox.registry import write_scale_registry
from schedules.daemon import JOB_ID, JOB_TABLE
from storage.models import Account, Observation, Post, Run
from tests.fixtures.cli_env import MONITOR, cli_environ, wait_for
from tests.fixtures.core import T


class _Lines:
    """A daemon's output lines, read in a thread so the test can wait on what it says."""

    def __init__(self, proc):
        self.lines: list[str] = []
        self._new = threading.Condition()
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc):
        for line in proc.stdout:
            with self._new:
                self.lines.append(line.rstrip("\n"))
                self._new.notify_all()
        with self._new:
            self.lines.append(None)
            self._new.notify_all()

    def wait_for(self, text: str, limit: float = 180) -> str:
        """The first line containing ``text``; ``limit`` only stops a hung daemon."""
        with self._new:
            found = self._new.wait_for(lambda: None in self.lines or any(text in x for x in self.lines if x),
                                       timeout=limit)
            match = next((x for x in self.lines if x and text in x), None)
        assert found and match, f"daemon never said {text!r}:\n" + "\n".join(x for x in self.lines if x)
        return match


def _daemon(values, tmp_path):
    return subprocess.Popen([MONITOR, "schedule"], env=cli_environ(values), cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _stop(daemon, lines) -> None:
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(120)
    lines._thread.join(30)
    assert daemon.returncode == 0, "\n".join(x for x in lines.lines if x)
    assert any(x and "scheduler stopped" in x for x in lines.lines)


@pytest.mark.timeout(900)
def test_scheduler_runs_a_missed_cycle_once_on_start_and_stops_on_sigterm(tmp_path, monitor_cli):
    """No wall-clock margin: the test waits on what the daemon says and on the database, and
    lets the daemon find the run it missed while it was stopped (its misfire grace is hours)."""
    db = tmp_path / "m.db"
    values = {"database_url": f"sqlite:///{db}", "evidence_dir": str(tmp_path / "ev"),
              "report_dir": str(tmp_path / "rep"), "warc_dir": str(tmp_path / "warc"),
              "alerts": {"outbox": str(tmp_path / "outbox.jsonl")}, "timezone": "Asia/Shanghai",
              "schedule": {"cron": "0 2 * * *"}}
    monitor_cli(["init"], values)
    daemon = _daemon(values, tmp_path)
    lines = _Lines(daemon)
    try:
        started = lines.wait_for("scheduler started")
        # Its start is one line of ours: no alembic or APScheduler chatter before it.
        assert [x for x in lines.lines if x] == [started], lines.lines
        assert "next run" in started and "02:00" in started
        second = subprocess.run([MONITOR, "schedule"], env=cli_environ(values), cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 3 and "another scheduler is already running" in second.stderr
    finally:
        _stop(daemon, lines)
    engine = create_engine(f"sqlite:///{db}")
    assert _finished_cycle(engine) is None  # 02:00 has not come

    # The machine was off when the cycle was due (a minute ago, well inside the grace).
    store = SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)
    job = store.lookup_job(JOB_ID)
    job.next_run_time = datetime.now(T.tzinfo) - timedelta(minutes=1)
    store.update_job(job)

    daemon = _daemon(values, tmp_path)
    lines = _Lines(daemon)
    try:
        lines.wait_for("running it now")
        run = wait_for(lambda: _finished_cycle(engine), 300, "the missed nightly cycle")
        assert run.outcome == "ok", run.counts
        status = monitor_cli(["schedule", "status"], values).stdout
        assert '"next_run": "' in status and f'"id": {run.id}' in status
    finally:
        _stop(daemon, lines)
    with engine.connect() as c:  # once, not once per missed night
        assert c.execute(select(func.count()).select_from(Run).where(Run.kind == "cycle")).scalar() == 1


def _finished_cycle(engine):
    with engine.connect() as c:
        return c.execute(select(Run).where(Run.kind == "cycle", Run.finished_at.is_not(None))).first()


def test_run_killed_mid_crawl_is_completed_by_the_next_run(sandbox_factory, tmp_path, monitor_cli):
    total = 60
    scenario = ScaleScenario(total, T, seed=3)
    srv = sandbox_factory(scenario)
    # This test is about crash safety, not politeness: no 418s from the sandbox's rate limit.
    srv.world.state["weibo"].rate_limit = 10**9
    registry = write_scale_registry(tmp_path / "scale.csv", scenario, srv.url)
    db = tmp_path / "m.db"
    values = {"database_url": f"sqlite:///{db}", "evidence_dir": str(tmp_path / "ev"),
              "report_dir": str(tmp_path / "rep"), "warc_dir": str(tmp_path / "warc"),
              "alerts": {"outbox": str(tmp_path / "outbox.jsonl")},
              # Slow enough that the crawl is still under way when the test sees it started.
              "crawl": {"delay": 0.05, "autothrottle": False, "concurrency": 2}, **srv.config_overrides()}
    monitor_cli(["init"], values)
    monitor_cli(["accounts", "import", str(registry)], values)
    engine = create_engine(f"sqlite:///{db}")

    def observed():
        with engine.connect() as c:
            return c.execute(select(func.count()).select_from(Observation)).scalar()

    victim = subprocess.Popen([MONITOR, "run", "--at", T.isoformat()], env=cli_environ(values), cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for(lambda: observed() >= 10, 300, "the crawl to be under way")
    # Every platform answer from now on stalls (less long than the crawl's download timeout):
    # the crawl is held where it is, however slow the machine, and the kill lands mid-crawl.
    srv.world.faults = Faults(1.0, ("timeout",), timeout_seconds=20)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(30)
    srv.world.faults = Faults()
    kept = observed()
    assert 10 <= kept < total, "the kill should land mid-crawl"

    monitor_cli(["run", "--at", T.isoformat()], {**values, "crawl": {"delay": 0, "autothrottle": False}})
    with engine.connect() as c:
        accounts = c.execute(select(func.count()).select_from(Account)).scalar()
        observed_accounts = c.execute(select(func.count(func.distinct(Observation.account_id)))
                                      .where(Observation.outcome == "ok")).scalar()
        assert observed_accounts == accounts == total
        assert c.execute(select(func.count()).select_from(Observation)).scalar() >= kept + total
        dupes = c.execute(select(Post.account_id, Post.platform_post_id, func.count())
                          .group_by(Post.account_id, Post.platform_post_id).having(func.count() > 1)).all()
        assert dupes == []
        outcomes = [r.outcome for r in c.execute(select(Run).where(Run.kind == "cycle").order_by(Run.id))]
    assert outcomes == ["interrupted", "ok"]
