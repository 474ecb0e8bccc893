"""``monitor alert`` as an operator runs it."""
from __future__ import annotations

import json

from monitor.alerts import outbox
from tests.fixtures.core import T, make_app
from tests.test_alerts import seed_night


def test_dry_run_lists_then_real_run_sends_once(sqlite_url, tmp_path, run_cli):
    app = make_app(sqlite_url, tmp_path)
    seed_night(app, tmp_path)
    box = tmp_path / "box.jsonl"
    env = {"MONITOR_DATABASE_URL": sqlite_url, "MONITOR_ALERTS__OUTBOX": str(box)}

    dry = run_cli("alert", "--at", T.isoformat(), "--dry-run", "--json", env=env)
    assert dry.exit_code == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert any(p["stage"] == "veto" and "崇川发布" in p["title"] for p in planned)
    assert not box.exists()  # a dry run sends and records nothing

    real = run_cli("alert", "--at", T.isoformat(), "--json", env=env)
    assert real.exit_code == 0, real.stderr
    counts = json.loads(real.stdout)
    assert counts["outbox"] == len(planned) == len(outbox.read(box))

    again = run_cli("alert", "--at", T.isoformat(), env=env)
    assert again.exit_code == 0 and "already sent %d" % len(planned) in again.stdout
    assert json.loads(run_cli("alert", "--at", T.isoformat(), "--dry-run", "--json", env=env).stdout) == []


def test_bad_time_is_a_clear_error(sqlite_url, run_cli):
    r = run_cli("alert", "--at", "yesterday", env={"MONITOR_DATABASE_URL": sqlite_url})
    assert r.exit_code == 2 and "--at" in r.stderr
