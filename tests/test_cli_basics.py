"""The installed ``monitor`` command, end to end, as the acceptance check runs it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MONITOR = Path(sys.executable).parent / "monitor"
from tests.fixtures.core import demo_rows

DEMO = Path(__file__).resolve().parents[1] / "monitor" / "demo" / "registry.csv"


def monitor(*args, cwd, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(env_extra or {})
    return subprocess.run([str(MONITOR), *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_init_import_list_from_a_fresh_folder(tmp_path):
    assert monitor("init", cwd=tmp_path).returncode == 0
    p = monitor("accounts", "import", DEMO, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    p = monitor("accounts", "list", "--format", "json", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    listed = json.loads(p.stdout)
    assert len(listed) == demo_rows()
    assert {"name", "platform", "platform_id", "host_unit", "district"} <= set(listed[0])
    assert (tmp_path / "var" / "monitor.db").is_file()


def test_help_names_the_commands():
    p = subprocess.run([str(MONITOR), "--help"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0
    for name in ("init", "accounts", "config"):
        assert name in p.stdout
    p = subprocess.run([str(MONITOR), "accounts", "--help"], capture_output=True, text=True, timeout=60)
    for name in ("import", "list", "export", "template"):
        assert name in p.stdout


def test_bad_list_format_is_a_usage_error(run_cli, sqlite_url):
    r = run_cli("accounts", "list", "--format", "yaml", env={"MONITOR_DATABASE_URL": sqlite_url})
    assert r.exit_code == 2 and "yaml" in r.stderr


def test_missing_registry_file(run_cli, sqlite_url, tmp_path):
    r = run_cli("accounts", "import", tmp_path / "nope.xlsx", env={"MONITOR_DATABASE_URL": sqlite_url})
    assert r.exit_code == 2 and "nope.xlsx: no such file" in r.stderr
    ods = tmp_path / "registry.ods"
    ods.write_bytes(b"PK\x03\x04")
    r = run_cli("accounts", "import", ods, env={"MONITOR_DATABASE_URL": sqlite_url})
    assert r.exit_code == 2 and "unknown file type .ods" in r.stderr
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip at all")
    r = run_cli("accounts", "import", broken, env={"MONITOR_DATABASE_URL": sqlite_url})
    assert r.exit_code == 2 and "not a readable .xlsx workbook" in r.stderr and r.exception is None


def test_list_platform_as_the_table_names_it(run_cli, sqlite_url):
    # `--platform 抖音` listed 0 accounts: the table says 抖音, the filter only knew `douyin`.
    env = {"MONITOR_DATABASE_URL": sqlite_url}
    assert run_cli("accounts", "import", DEMO, env=env).exit_code == 0
    by_key = json.loads(run_cli("accounts", "list", "--platform", "douyin", "--format", "json", env=env).stdout)
    by_label = json.loads(run_cli("accounts", "list", "--platform", "抖音", "--format", "json", env=env).stdout)
    assert by_key and by_label == by_key and {a["platform"] for a in by_key} == {"douyin"}
    subs = json.loads(run_cli("accounts", "list", "--platform", "微信订阅号", "--format", "json", env=env).stdout)
    assert subs and {(a["platform"], a["wechat_kind"]) for a in subs} == {("wechat", "订阅号")}
    r = run_cli("accounts", "list", "--platform", "抖音号", env=env)
    assert r.exit_code == 2 and "not a platform" in r.stderr and len(r.stderr.strip().splitlines()) == 1
