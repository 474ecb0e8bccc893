"""Kills and interrupts: the crawl child dies with its cycle, Ctrl-C says what it stopped and
how to resume, an alert in flight at a kill is neither lost nor sent twice, and
``verify --all`` fails unfinished packages and timestamps it cannot verify."""
from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from monitor.alerts import outbox, send_alerts
from monitor.evidence import build_package, verify_all
from monitor.sandbox import ScaleScenario
from monitor.sandbox.registry import write_scale_registry
from storage.models import Alert, Finding, Run
from tests.fixtures.cli_env import MONITOR, cli_environ, wait_for
from tests.fixtures.core import T, make_app
from tests.test_alerts import seed_night
from tests.test_evidence_support import dormant, page_server  # noqa: F401  (fixture)


def _env(values: dict, tmp_path: Path) -> dict:
    env = cli_environ(values)
    env["TMPDIR"] = str(tmp_path / "tmp")  # where a settings file would land, if one were written
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return env


def _children(pid: int) -> list[int]:
    """Crawl child processes whose parent is ``pid`` (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat[1]) == pid and "monitor.crawl.child" in cmd:
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def slow_cycle(sandbox_factory, tmp_path, monitor_cli):
    scenario = ScaleScenario(60, T, seed=4)
    srv = sandbox_factory(scenario)
    srv.world.state["weibo"].rate_limit = 10**9
    registry = write_scale_registry(tmp_path / "scale.csv", scenario, srv.url)
    db = tmp_path / "m.db"
    values = {"database_url": f"sqlite:///{db}", "evidence_dir": str(tmp_path / "ev"),
              "report_dir": str(tmp_path / "rep"), "warc_dir": str(tmp_path / "warc"),
              "alerts": {"outbox": str(tmp_path / "outbox.jsonl")},
              "crawl": {"delay": 0.2, "autothrottle": False, "concurrency": 1}, **srv.config_overrides()}
    monitor_cli(["init"], values)
    monitor_cli(["accounts", "import", str(registry)], values)
    return values, db


def test_the_crawl_child_dies_with_a_killed_cycle_and_leaves_no_settings_file(slow_cycle, tmp_path):
    values, _ = slow_cycle
    victim = subprocess.Popen([MONITOR, "run", "--at", T.isoformat()], env=_env(values, tmp_path), cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _children(victim.pid), 120, "the crawl child to start")
        time.sleep(1.0)  # let it get going: it must die mid-crawl, not at start-up
        children = _children(victim.pid)  # one per core, the spiders split over them
        victim.kill()  # SIGKILL: no handler of ours runs in the parent
        victim.wait(30)
        wait_for(lambda: not any(_alive(c) for c in children), 30, f"crawl children {children} to die with their parent")
    finally:
        if victim.poll() is None:
            victim.kill()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_ctrl_c_stops_the_crawl_says_what_it_stopped_and_how_to_resume(slow_cycle, tmp_path, monitor_cli):
    values, db = slow_cycle
    run = subprocess.Popen([MONITOR, "run", "--at", T.isoformat()], env=_env(values, tmp_path), cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: _children(run.pid), 120, "the crawl child to start")
    time.sleep(1.0)
    children = _children(run.pid)
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130, err
    assert not any(_alive(c) for c in children)
    text = " ".join(err.split())
    assert "interrupted" in text and "stages not run: detect, evidence" in text
    assert "crawl child" in text and all(str(c) in text for c in children), text
    assert f"resume with `monitor run --at {T.isoformat()}`" in text, text
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        rows = {r.kind: r.outcome for r in c.execute(select(Run.kind, Run.outcome))}
    assert rows["cycle"] == "interrupted" and rows["crawl"] == "interrupted"
    assert list((tmp_path / "tmp").iterdir()) == []
    # The resume command finishes the night (without the slowness that let us catch it).
    monitor_cli(["run", "--at", T.isoformat()], {**values, "crawl": {"delay": 0, "autothrottle": False}})
    with engine.connect() as c:
        outcomes = [r.outcome for r in c.execute(select(Run.outcome).where(Run.kind == "cycle").order_by(Run.id))]
    assert outcomes == ["interrupted", "ok"]


class _HangingHook:
    """A webhook receiver that takes the first message and does not answer until released."""

    def __init__(self):
        self.requests: list[str] = []
        self.release = threading.Event()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
                hook.requests.append(f"{self.path} {body}")
                if len(hook.requests) == 1:
                    hook.release.wait(60)
                payload = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"wecomhook://127.0.0.1:{self.server.server_address[1]}{path}"


def test_an_alert_in_flight_at_a_kill_is_neither_lost_nor_sent_twice(sqlite_url, tmp_path):
    hook = _HangingHook()
    alerts = {"inspectors": {"崇川区": [hook.url("/inspector?key=CCKEY")]}, "operator": [hook.url("/ops?key=OPSKEY")],
              "retries": 0, "retry_delay": 0, "outbox": str(tmp_path / "outbox.jsonl")}
    app = make_app(sqlite_url, tmp_path, alerts=alerts)
    seed_night(app, tmp_path)
    values = {"database_url": sqlite_url, "alerts": alerts, "evidence_dir": str(tmp_path / "evidence")}
    sender = subprocess.Popen([MONITOR, "alert", "--at", T.isoformat()], env=_env(values, tmp_path), cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: hook.requests, 120, "the first message to reach the receiver")
        sender.kill()
        sender.wait(30)
    finally:
        hook.release.set()
    [in_flight] = [r for r in hook.requests]
    counts = send_alerts(app, T)
    assert counts["reconciled_unconfirmed"] == 1
    with app.session() as s:
        row = s.scalar(select(Alert).where(Alert.status == "unconfirmed"))
        by_key = {a.dedupe_key: a.status for a in s.scalars(select(Alert))}
    assert in_flight.startswith("/inspector")
    # Never sent again: the receiver got that message exactly once.
    assert hook.requests.count(in_flight) == 1
    # Not lost: the outbox holds it, and the operator is told it may not have arrived.
    lines = outbox.read(tmp_path / "outbox.jsonl")
    assert [ln["status"] for ln in lines if ln["dedupe_key"] == row.dedupe_key] == ["unconfirmed"]
    ops = [r for r in hook.requests if r.startswith("/ops")]
    assert any("提醒发送被中断" in json.loads(r.split(" ", 1)[1])["text"]["content"] for r in ops)
    assert all(status in ("sent", "outbox", "unconfirmed") for status in by_key.values()), by_key
    # Every other message went out once, and a third run sends nothing new.
    before = len(hook.requests)
    assert send_alerts(app, T).get("sent", 0) == 0 and len(hook.requests) == before


def test_a_delivery_journalled_before_the_kill_is_settled_from_the_outbox(sqlite_url, tmp_path, webhook_server):
    """Killed after the outbox line, before the row's update: the outbox says it was sent."""
    alerts = {"inspectors": {"*": [webhook_server.url("wecomhook", "/all?key=K")]}, "retries": 0, "retry_delay": 0}
    app = make_app(sqlite_url, tmp_path, alerts=alerts)
    seed_night(app, tmp_path)
    send_alerts(app, T)
    sent_before = len(webhook_server.requests)
    with app.session() as s:
        row = s.scalars(select(Alert).where(Alert.status == "sent").order_by(Alert.id)).first()
        row.status, row.attempts = "sending", row.attempts - 1  # as the row was before its final commit
        key = row.dedupe_key
    send_alerts(app, T)
    with app.session() as s:
        assert s.scalar(select(Alert.status).where(Alert.dedupe_key == key)) == "sent"
    assert len(webhook_server.requests) == sent_before
    assert [ln["status"] for ln in outbox.read(app.settings.alerts.outbox) if ln["dedupe_key"] == key] == ["sent"]


def test_verify_all_fails_unfinished_folders_and_unverifiable_timestamps(app, at, page_server, tmp_path):
    fid, _, _ = dormant(app, at, page_server)
    pid = build_package(app, fid)
    root = Path(app.settings.evidence_dir)
    assert all(r.ok for r in verify_all(app))
    (root / pid / "manifest.tsr").write_bytes(b"0\x82\x01\x00 forged timestamp token")
    leftover = root / ".tmp-0123456789abcdef"
    leftover.mkdir()
    (leftover / "facts.json").write_text("{}", encoding="utf-8")
    results = {r.package_id: r for r in verify_all(app)}
    assert results[pid].ok is False and results[pid].status == "unverifiable"
    assert "cannot be verified" in results[pid].describe()
    tmp = results[leftover.name]
    assert tmp.ok is False and tmp.status == "unfinished" and "interrupted" in tmp.describe()
    with app.session() as s:
        assert s.get(Finding, fid).evidence_id == pid
