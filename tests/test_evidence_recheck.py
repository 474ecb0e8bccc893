"""Re-check before a veto is raised, end to end on the sandbox: crawl → detect → the
evidence stage crawls the vetoed account again; a fresh post drops the veto, otherwise the
package carries both captures."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from monitor.crawl import run_crawl
from monitor.detectors import run_detection
from monitor.evidence import recheck_and_package, verify_package
from monitor.sandbox import Scenario
from monitor.sandbox.registry import feed_url
from storage.models import Account, EvidencePackage, Finding
from tests.fixtures.core import T, make_app

pytestmark = pytest.mark.browser
BIZ = "MzkwMDAwRVZJRA=="
NAME = "崇川发布"


def _scenario(fresh_post: bool) -> Scenario:
    posts = [{"days_ago": 30, "kind": "original", "title": "崇川区第三季度重点工作通报"},
             {"days_ago": 37, "kind": "original", "title": "崇川区秋季消防安全提示"}]
    if fresh_post:
        posts.insert(0, {"days_ago": 1, "kind": "original", "title": "崇川区冬季供暖服务公告"})
    return Scenario([{"platform": "wechat", "id": BIZ, "name": NAME, "kind": "订阅号", "feed": "wewe",
                      "subject": "南通市崇川区人民政府办公室", "posts": posts}], at=T)


@pytest.fixture
def dormant_wechat(sandbox_factory, sqlite_url, tmp_path):
    srv = sandbox_factory(scenario=_scenario(fresh_post=False))
    app = make_app(sqlite_url, tmp_path, **srv.config_overrides(), crawl={"delay": 0, "autothrottle": False})
    with app.session() as s:
        s.add(Account(name=NAME, platform="wechat", wechat_kind="订阅号", host_unit="南通市崇川区人民政府办公室",
                      district="崇川区", platform_id=BIZ, feed_url=feed_url(srv.url, BIZ),
                      profile_url=f"{srv.url}/wechat/mp/aboutbiz?__biz={BIZ}",
                      opened_on=(T - timedelta(days=1000)).date()))
    first = run_crawl(app, T, ["wechat"])
    assert first.ok, first.log_path.read_text()
    run_detection(app, T)
    with app.session() as s:
        veto = s.scalar(select(Finding).where(Finding.rule == "veto.no_update_2w"))
        assert veto is not None and veto.state == "auto", "the first crawl must see a dormant account"
        return srv, app, veto.id


def test_recheck_that_sees_a_fresh_post_drops_the_veto(dormant_wechat):
    srv, app, fid = dormant_wechat
    srv.world.scenario = _scenario(fresh_post=True)  # the account posted since the crawl
    counts = recheck_and_package(app, T)
    assert counts["vetoes"] == 1 and counts["dropped"] == 1 and counts.get("packages", 0) == 0
    with app.session() as s:
        # Unreviewed: removed, like any case that stops holding at T.
        assert s.get(Finding, fid) is None
        assert s.scalar(select(EvidencePackage)) is None
    assert not any(Path(app.settings.evidence_dir).glob("[0-9a-f]*"))


def test_confirmed_veto_that_recheck_contradicts_is_dismissed_by_system(dormant_wechat):
    srv, app, fid = dormant_wechat
    with app.session() as s:
        f = s.get(Finding, fid)
        f.state, f.reviewer = "confirmed", "张三"
    srv.world.scenario = _scenario(fresh_post=True)
    counts = recheck_and_package(app, T)
    assert counts["dropped"] == 1
    with app.session() as s:
        f = s.get(Finding, fid)
        assert (f.state, f.reviewer, f.evidence_id) == ("dismissed", "system", None)
        assert "re-check disagreed" in f.review_note


def test_recheck_that_agrees_packages_both_captures(dormant_wechat):
    srv, app, fid = dormant_wechat
    counts = recheck_and_package(app, T)
    assert counts["packages"] == 1 and counts.get("dropped", 0) == 0
    with app.session() as s:
        f = s.get(Finding, fid)
        assert f.state == "auto" and f.evidence_id
        pid = f.evidence_id
    folder = Path(app.settings.evidence_dir) / pid
    assert verify_package(folder).ok
    facts = json.loads((folder / "facts.json").read_text(encoding="utf-8"))
    roles = {c["role"] for c in facts["checks"] if c["kind"] == "feed"}
    assert roles == {"crawl", "recheck"}
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    warc_roles = {e["role"] for e in manifest["captures"]["warc"] if "error" not in e}
    assert warc_roles == {"crawl", "recheck"}
    with (folder / "captures.warc.gz").open("rb") as fh:
        feeds = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert len(feeds) == 2 and all(u.endswith(f"{BIZ}.atom") for u in feeds)
    # The page shot is the latest article, which names the account.
    assert manifest["screenshot"]["ok"], manifest["notes"]
    assert NAME in (folder / "page.html").read_text(encoding="utf-8")
    # Running the stage again changes nothing: the veto has its package.
    assert recheck_and_package(app, T) == {"vetoes": 0}


def test_dormant_weibo_account_of_the_demo_gets_a_full_package(sandbox, demo_registry, sqlite_url, tmp_path):
    """The demo's 崇川公安 (uid 1000000002) last posted 20 days before T, with a 400-day-old
    pinned post on top: crawl, detect, re-check, package; the screenshot shows the name and
    the latest post's date."""
    from monitor.registry import UrlBases, read_registry, upsert_accounts

    targets = sandbox.config_overrides()
    targets["platforms"]["weibo"]["backoff_418"] = 0.2  # 如东气象 always answers 418: no need to wait for it
    app = make_app(sqlite_url, tmp_path, **targets, crawl={"delay": 0, "autothrottle": False})
    parsed = read_registry(demo_registry, UrlBases.from_settings(app.settings))
    with app.session() as s:
        upsert_accounts(s, [r for r in parsed.records if r.values["platform"] == "weibo"])
    crawl = run_crawl(app, T, ["weibo"])
    assert crawl.ok, crawl.log_path.read_text()[-4000:]
    run_detection(app, T)
    with app.session() as s:
        acc = s.scalar(select(Account).where(Account.platform_id == "1000000002"))
        vetoes = list(s.scalars(select(Finding).where(Finding.rule == "veto.no_update_2w")))
    assert [f.account_id for f in vetoes] == [acc.id], "only 崇川公安 is dormant among the demo's Weibo accounts"

    counts = recheck_and_package(app, T)
    assert counts["packages"] == 1, counts
    with app.session() as s:
        f = s.get(Finding, vetoes[0].id)
        pid, latest = f.evidence_id, f.facts["latest_post_at"]
    folder = Path(app.settings.evidence_dir) / pid
    assert verify_package(folder).ok
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    shot = manifest["screenshot"]
    assert shot["ok"] and shot["checks"]["text_contains:崇川公安"], manifest["notes"]
    from datetime import datetime
    latest_text = f"{datetime.fromisoformat(latest):%Y-%m-%d %H:%M}"
    assert latest_text in (folder / "page.html").read_text(encoding="utf-8")
    assert shot["final_url"].endswith("/weibo/u/1000000002")  # through the visitor wall, as a person would
    roles = {e["role"] for e in manifest["captures"]["warc"] if "error" not in e}
    assert roles == {"crawl", "recheck"}
