"""What the real ``monitor`` executable says when something is wrong: one line, the right exit
code, no traceback; and commands that only read never write."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import tomllib
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from monitor.config import Settings
from monitor.sandbox import platform_config
from monitor.targets import mixed_targets
from storage.models import ScoreCard
from tests.fixtures.cli_env import MONITOR, flatten_env
from tests.fixtures.core import T


def _one_line_failure(proc, code: int, *words: str) -> str:
    err = proc.stderr.strip()
    assert proc.returncode == code, (proc.returncode, proc.stdout[-2000:], err[-4000:])
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    for w in words:
        assert w in err, (w, err)
    return err


@pytest.fixture
def db(tmp_path, monitor_cli):
    values = {"database_url": f"sqlite:///{tmp_path / 'm.db'}"}
    monitor_cli(["init"], values)
    return values


def test_reading_a_t_no_cycle_ran_for_says_so_and_writes_nothing(db, tmp_path, monitor_cli):
    at = ["--at", T.isoformat()]
    before = (tmp_path / "m.db").stat().st_size
    for args in (["score", *at], ["score", "--format", "json", *at], ["findings", *at],
                 ["report", *at, "--out", str(tmp_path / "rep")]):
        proc = monitor_cli(args, db, check=False)
        _one_line_failure(proc, 1, "no monitoring cycle ran for T = 2026年11月25日 02:00", "monitor run --at")
    for args in (["score"], ["report"], ["findings"]):
        _one_line_failure(monitor_cli(args, db, check=False), 1, "no monitoring cycle has run")
    engine = create_engine(db["database_url"])
    with engine.connect() as c:
        assert c.scalar(select(func.count()).select_from(ScoreCard)) == 0
    engine.dispose()
    assert not (tmp_path / "rep").exists()
    assert (tmp_path / "m.db").stat().st_size == before


def test_a_missing_sqlite_database_is_not_created_by_reading(tmp_path, monitor_cli):
    missing = tmp_path / "nowhere" / "m.db"
    for args in (["findings"], ["score"], ["accounts", "list"]):
        proc = monitor_cli(args, {"database_url": f"sqlite:///{missing}"}, check=False)
        _one_line_failure(proc, 2, "no database at", "monitor init")
    assert not missing.parent.exists()


def test_unreachable_missing_and_unsupported_databases_are_one_line(monitor_cli):
    cases = {
        "postgresql+psycopg://postgres@127.0.0.1:1/monitor": "Connection refused",
        f"postgresql+psycopg://postgres@127.0.0.1:5432/absent_{uuid.uuid4().hex[:8]}": "does not exist",
        "mysql://user@localhost/monitor": "unsupported database URL mysql://",
        "postgresql://postgres@127.0.0.1/monitor": "postgresql+psycopg://",
    }
    for url, words in cases.items():
        _one_line_failure(monitor_cli(["accounts", "list"], {"database_url": url}, check=False), 2, words)


def test_a_cron_that_cannot_fire_is_a_config_error(tmp_path, monitor_cli):
    for cron, words in (("0 25 * * *", "higher than the maximum"), ("0 0 31 2 *", "never fires")):
        proc = monitor_cli(["config", "show"], {"schedule": {"cron": cron}}, check=False)
        _one_line_failure(proc, 2, "schedule.cron", words)
        proc = monitor_cli(["schedule"], {"schedule": {"cron": cron}}, check=False)
        _one_line_failure(proc, 2, "schedule.cron", words)


def test_a_closed_pipe_is_no_traceback(db, tmp_path):
    """`monitor schedule status | head` and `monitor accounts list | head`: the reader went away."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")} | flatten_env(db)
    for args in (["schedule", "status"], ["config", "show"]):
        r, w = os.pipe()
        os.close(r)  # the reader is gone before the command writes a byte
        proc = subprocess.run([MONITOR, *args], env=env, cwd=tmp_path, stdout=w, stderr=subprocess.PIPE,
                              text=True, timeout=120)
        os.close(w)
        assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
        assert proc.returncode in (0, 1), proc.returncode


def test_run_with_no_accounts_says_so(db, monitor_cli):
    proc = monitor_cli(["run", "--at", T.isoformat()], db, check=False)
    _one_line_failure(proc, 1, "no accounts are registered", "monitor accounts import")


def test_config_show_names_the_file_it_read(tmp_path, monitor_cli):
    cfg = tmp_path / "site.toml"
    cfg.write_text('timezone = "Asia/Shanghai"\n', encoding="utf-8")
    proc = monitor_cli(["--config", str(cfg), "config", "show"], {"crawl": {"delay": 2}})
    assert f"config file {cfg.resolve()}" in proc.stderr and "MONITOR_CRAWL__DELAY" in proc.stderr
    proc = monitor_cli(["config", "show"], {})
    assert "no config file" in proc.stderr and "built-in defaults" in proc.stderr


def test_monitor_sandbox_prints_the_config_that_points_at_it(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    proc = subprocess.Popen([MONITOR, "sandbox", "--port", "0"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        lines = []
        for line in proc.stdout:  # the server prints and then waits: read until its last line
            lines.append(line)
            if "Ctrl-C" in line:
                break
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
    text = "".join(lines)
    url = re.search(r"sandbox: (http://127\.0\.0\.1:\d+)", text).group(1)
    toml_text = text[text.index("# monitor.toml"):text.index("Ctrl-C")]
    values = tomllib.loads(toml_text)
    assert values["platforms"] == platform_config(url)["platforms"]  # every platform, the stores included
    assert values["crawl"]["allow_networks"] == ["127.0.0.0/8", "::1/128"]  # the outbound policy lets it in
    assert mixed_targets(Settings(**values)) == []


def test_a_platform_left_at_the_real_site_beside_a_sandbox_is_warned_about(tmp_path, monitor_cli):
    values = platform_config("http://127.0.0.1:18799")
    del values["platforms"]["yyb"]
    warnings = mixed_targets(Settings(**values))  # 应用宝 has a URL and a fallback URL: both named
    assert warnings and all(w.startswith("platforms.yyb.") and "'https://" in w and "monitor sandbox" in w
                            for w in warnings)
    assert any(w.startswith("platforms.yyb.url = ") for w in warnings)
    proc = monitor_cli(["config", "show"], values)
    assert "platforms.yyb.url" in proc.stderr and "warning" in proc.stderr
    assert mixed_targets(Settings()) == []  # all real: nothing to say
