"""Evidence packages built from hand-made rows and a page on a loopback server: contents,
hashes, screenshot quality checks, verification, tamper detection, timeouts, the CLI."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from monitor.evidence import Capturer, build_package, verify_all, verify_package
from monitor.evidence.screenshot import MIN_INK, ink_ratio
from storage.models import EvidencePackage, Finding
from tests.fixtures.core import make_app
from tests.test_evidence_support import LATEST_DAYS, dormant as _dormant, flip_byte as _flip_byte, page_server, profile_html  # noqa: F401

pytestmark = pytest.mark.browser
def test_dormant_package_holds_verifiable_evidence(db_url, tmp_path, at, page_server):
    app = make_app(db_url, tmp_path)
    fid, latest, url = _dormant(app, at, page_server)

    pid = build_package(app, fid)

    folder = Path(app.settings.evidence_dir) / pid
    manifest_raw = (folder / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest_raw).hexdigest() == pid
    manifest = json.loads(manifest_raw)
    assert set(manifest["files"]) == {"captures.warc.gz", "screenshot.png", "page.html", "facts.json", "summary.html"}
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == meta["sha256"], name

    # The screenshot shows the page: not blank, Chinese drawn as glyphs, the name on the page.
    shot = manifest["screenshot"]
    assert shot["ok"], manifest["notes"]
    assert ink_ratio((folder / "screenshot.png").read_bytes()) > MIN_INK
    assert shot["checks"]["text_contains:崇川公安"] is True
    assert shot["checks"]["glyphs"]["distinct"] == shot["checks"]["glyphs"]["n"]
    # The rendered HTML holds the latest post's date.
    assert f"{latest:%Y-%m-%d %H:%M}" in (folder / "page.html").read_text(encoding="utf-8")

    # The WARC record the observation cited, byte for byte.
    with (folder / "captures.warc.gz").open("rb") as fh:
        recs = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(fh)]
    assert recs == [("response", url), ("request", url)]

    facts = json.loads((folder / "facts.json").read_text(encoding="utf-8"))
    assert facts["account"]["name"] == "崇川公安" and facts["finding"]["rule"] == "veto.no_update_2w"
    assert facts["finding"]["at"] == at.isoformat()
    assert facts["finding"]["latest_post_at"] == (at - timedelta(days=LATEST_DAYS)).isoformat()
    assert [c["outcome"] for c in facts["checks"]] == ["ok"]
    env = manifest["environment"]
    assert env["user_agent"] == app.settings.crawl.user_agent and env["viewport"]["width"] == 414
    assert env["tools"]["chromium"] and env["tools"]["warcio"] and env["tools"]["playwright"]
    assert manifest["started_at"].endswith("+08:00")

    summary = (folder / "summary.html").read_text(encoding="utf-8")
    assert "电子数据提取笔录" in summary and "崇川公安" in summary
    for name in ("captures.warc.gz", "screenshot.png", "page.html", "facts.json"):
        assert manifest["files"][name]["sha256"] in summary

    with app.session() as s:
        assert s.get(Finding, fid).evidence_id == pid
        assert s.get(EvidencePackage, pid).finding_id == fid
    assert build_package(app, fid) == pid  # idempotent: the finding keeps its package

    ok = verify_package(folder)
    assert ok.ok, ok.problems
    _flip_byte(folder / "screenshot.png")
    bad = verify_package(folder)
    assert not bad.ok and bad.changed == ["screenshot.png"]
    assert "screenshot.png" in bad.describe()


def test_verify_cli_single_and_all(app, at, page_server, run_cli, tmp_path):
    fid, _, _ = _dormant(app, at, page_server)
    pid = build_package(app, fid)
    folder = Path(app.settings.evidence_dir) / pid
    env = {"MONITOR_DATABASE_URL": app.settings.database_url, "MONITOR_EVIDENCE_DIR": app.settings.evidence_dir}

    r = run_cli("evidence", "verify", folder, env=env)
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "intact" in r.stdout
    r = run_cli("evidence", "verify", "--all", env=env)
    assert r.exit_code == 0 and pid in r.stdout

    _flip_byte(folder / "facts.json")
    r = run_cli("evidence", "verify", pid, env=env)  # by id, looked up under evidence_dir
    assert r.exit_code == 1 and "facts.json" in r.stdout
    r = run_cli("evidence", "verify", "--all", "--format", "json", env=env)
    assert r.exit_code == 1
    [res] = json.loads(r.stdout)
    assert res["changed"] == ["facts.json"] and res["ok"] is False

    r = run_cli("evidence", "verify", env=env)
    assert r.exit_code == 2  # neither a package nor --all


def test_capture_cli_packages_any_finding(app, at, page_server, run_cli):
    fid, _, _ = _dormant(app, at, page_server)
    env = {"MONITOR_DATABASE_URL": app.settings.database_url, "MONITOR_EVIDENCE_DIR": app.settings.evidence_dir,
           "MONITOR_WARC_DIR": app.settings.warc_dir}
    r = run_cli("evidence", "capture", str(fid), env=env)
    assert r.exit_code == 0, r.stdout + r.stderr
    with app.session() as s:
        pid = s.get(Finding, fid).evidence_id
    assert pid and pid in r.stdout
    r = run_cli("evidence", "capture", "99999", env=env)
    assert r.exit_code == 1 and "99999" in r.stderr


def test_capture_that_never_loads_times_out_and_finding_stands(app, at, page_server, tmp_path):
    app = make_app(app.settings.database_url, tmp_path, evidence={"capture_timeout": 3})
    fid, _, _ = _dormant(app, at, page_server, path="/never")
    # It returns (pytest-timeout would catch a hang); how fast depends on the machine's load,
    # so what is asserted is what the package says about the page.
    pid = build_package(app, fid)
    folder = Path(app.settings.evidence_dir) / pid
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["screenshot"]["timed_out"] is True
    assert any("未加载完成" in n for n in manifest["notes"])
    assert "screenshot.png" not in manifest["files"] and "captures.warc.gz" in manifest["files"]
    with app.session() as s:
        f = s.get(Finding, fid)
        assert f.state == "auto" and f.evidence_id == pid
        assert "未加载完成" in s.get(EvidencePackage, pid).note
    assert verify_package(folder).ok


def test_blank_and_tofu_screenshots_are_failures(app, page_server, tmp_path):
    page_server.pages["/blank"] = (200, "<html><body></body></html>")
    page_server.pages["/u/1"] = (200, profile_html("崇川公安", []))
    fonts = tmp_path / "fonts.conf"  # a machine without fonts-noto-cjk: Latin fonts only
    fonts.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                     f'<dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{tmp_path}/fc</cachedir></fontconfig>')
    with Capturer(app.settings) as c:
        good = c.capture(page_server.url + "/u/1", expect=["崇川公安"])
        blank = c.capture(page_server.url + "/blank", expect=["崇川公安"])
    assert good.ok, good.notes
    assert not blank.ok and any("空白" in n for n in blank.notes)
    with Capturer(app.settings, browser_env={"FONTCONFIG_FILE": str(fonts)}) as c:
        tofu = c.capture(page_server.url + "/u/1", expect=["崇川公安"])
    assert not tofu.ok and any("豆腐块" in n for n in tofu.notes), tofu.checks


def test_browser_restarts_after_n_captures(app, page_server, tmp_path):
    app = make_app(app.settings.database_url, tmp_path, evidence={"browser_restart_after": 2})
    with Capturer(app.settings) as c:
        for _ in range(3):
            assert c.capture(page_server.url + "/plain", expect=["崇川公安"]).html
        assert c.launches == 2  # 2 captures on the first browser, then a fresh one


def test_verify_all_reports_missing_folder(app, at, page_server):
    fid, _, _ = _dormant(app, at, page_server)
    pid = build_package(app, fid)
    folder = Path(app.settings.evidence_dir) / pid
    for p in folder.iterdir():
        p.chmod(0o644)
        p.unlink()
    folder.rmdir()
    [res] = verify_all(app)
    assert not res.ok and res.package_id == pid and "missing" in res.describe()
