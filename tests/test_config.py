"""One config file, every key from the environment, clear refusals, secrets masked."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MONITOR = Path(sys.executable).parent / "monitor"


def show(run_cli, *args, env=None):
    r = run_cli(*args, "config", "show", env=env)
    return r, (json.loads(r.stdout) if r.exit_code == 0 else None)


def test_file_values_and_environment_override(run_cli, tmp_path):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text('database_url = "sqlite:///var/other.db"\n[crawl]\ndelay = 2.5\n'
                   '[platforms.weibo]\nbase_url = "http://127.0.0.1:18765"\n', encoding="utf-8")
    r, data = show(run_cli, "--config", cfg)
    assert r.exit_code == 0, r.stderr
    assert (data["database_url"], data["crawl"]["delay"]) == ("sqlite:///var/other.db", 2.5)
    assert data["platforms"]["weibo"]["base_url"] == "http://127.0.0.1:18765"
    assert data["timezone"] == "Asia/Shanghai"  # untouched keys keep their defaults
    r, data = show(run_cli, env={"MONITOR_CONFIG": str(cfg), "MONITOR_CRAWL__DELAY": "0.2",
                                 "MONITOR_PLATFORMS__WECHAT__BASE_URL": "http://127.0.0.1:9"})
    assert r.exit_code == 0, r.stderr
    assert data["crawl"]["delay"] == 0.2  # the environment beats the file
    assert data["database_url"] == "sqlite:///var/other.db"
    assert data["platforms"]["wechat"]["base_url"] == "http://127.0.0.1:9"


def test_monitor_toml_in_the_working_folder_is_read(run_cli, tmp_path):
    (tmp_path / "monitor.toml").write_text('timezone = "Asia/Urumqi"\n', encoding="utf-8")
    assert show(run_cli)[1]["timezone"] == "Asia/Urumqi"


@pytest.mark.parametrize("content, expected", [
    ('[crawl]\ndelai = 1.0\n', "crawl.delai: unknown key"),
    ('databse_url = "sqlite:///x.db"\n', "databse_url: unknown key"),
    ('[crawl]\ndelay = "fast"\n', "crawl.delay"),
    ('timezone = "Mars/Olympus"\n', "unknown time zone"),
    ('[rules]\napp_confirm_interval = "soon"\n', "not a duration"),
    ('[crawl\ndelay = 1\n', "not valid TOML"),
])
def test_bad_config_is_one_message_and_exit_2(run_cli, tmp_path, content, expected):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(content, encoding="utf-8")
    r = run_cli("--config", cfg, "config", "show")
    assert r.exit_code == 2
    assert r.exception is None and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and str(cfg) in lines[0]


def test_wrong_type_from_environment_is_refused(run_cli):
    r = run_cli("config", "show", env={"MONITOR_CRAWL__CONCURRENCY": "many"})
    assert r.exit_code == 2 and "crawl.concurrency" in r.stderr


def test_missing_or_unreadable_file(run_cli, tmp_path):
    r = run_cli("--config", tmp_path / "nope.toml", "config", "show")
    assert r.exit_code == 2 and "does not exist" in r.stderr
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    r = run_cli("--config", binary, "config", "show")
    assert r.exit_code == 2 and "cannot be read" in r.stderr


def test_no_traceback_from_the_installed_command(tmp_path):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text("[crawl]\ndelai = 1.0\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    p = subprocess.run([str(MONITOR), "--config", str(cfg), "init"], capture_output=True, text=True,
                       cwd=tmp_path, env=env, timeout=60)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and "crawl.delai: unknown key" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "var").exists()  # nothing was done with a bad config


def test_secrets_are_masked(run_cli, tmp_path):
    cfg = tmp_path / "monitor.toml"
    cfg.write_text(
        'database_url = "postgresql+psycopg://monitor:s3cretpw@127.0.0.1:5432/monitor"\n'
        '[platforms.weibo]\ncookies = "SUB=visitor-cookie-value; SUBP=abc"\n'
        '[alerts]\nmanager_email_url = "mailtos://bot:mailpw@smtp.example.gov.cn?to={email}"\n'
        'operator = ["mailtos://ops:opspw@smtp.example.gov.cn"]\n', encoding="utf-8")
    r, data = show(run_cli, "--config", cfg)
    assert r.exit_code == 0, r.stderr
    for secret in ("s3cretpw", "visitor-cookie-value", "mailpw", "opspw"):
        assert secret not in r.stdout
    assert data["database_url"] == "postgresql+psycopg://monitor:********@127.0.0.1:5432/monitor"
    assert data["platforms"]["weibo"]["cookies"] == "********"
    assert data["alerts"]["operator"] == ["mailtos://ops:********@smtp.example.gov.cn"]
