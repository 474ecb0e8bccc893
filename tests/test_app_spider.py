"""The ``apps`` spider end to end: demo registry → run_crawl(app, T, ["apps"]) → AppCheck rows."""
from __future__ import annotations

from sqlalchemy import select

from monitor.crawl import run_crawl
from monitor.registry import UrlBases, read_registry, upsert_accounts
from storage.models import Account, AppCheck, Observation
from tests.fixtures.core import T, make_app


def _import(app, registry_path):
    parsed = read_registry(registry_path, UrlBases.from_settings(app.settings))
    assert not parsed.invalid, [str(p) for p in parsed.invalid]
    with app.session() as s:
        upsert_accounts(s, parsed.records)


def test_apps_spider_on_demo(sandbox, demo_registry, sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0})
    _import(app, demo_registry)
    result = run_crawl(app, T, ["apps"])
    assert result.ok, result.log_path.read_text()[-4000:]
    with app.session() as s:
        ids = {a.platform_id: a.id for a in s.scalars(select(Account).where(Account.platform == "app"))}
        rows = {(c.account_id, c.channel): c for c in s.scalars(select(AppCheck))}
        obs = {o.account_id: o for o in s.scalars(select(Observation).where(Observation.kind == "app"))}
    log = result.log_path.read_text()[-3000:]
    baitong = ids["cn.gov.nantong.baitong"]
    assert set(k for k in rows if k[0] == baitong) == {(baitong, "download"), (baitong, "apple"), (baitong, "yyb")}, log
    d = rows[(baitong, "download")]
    assert (d.outcome, d.package, d.version_code, d.version_name) == ("ok", "cn.gov.nantong.baitong", 340, "3.4.0")
    assert (d.min_sdk, d.target_sdk, d.signature_schemes) == (24, 34, ["v2", "v3"])
    assert d.checked_at == T and d.capture_ref
    # First sight of this version: the whole file was fetched for the CRC test and sha256.
    assert d.sha256 and d.details["crc_checked"] is True
    assert d.ipv6 == "cannot_test"  # the sandbox is an IPv4 loopback literal
    assert rows[(baitong, "apple")].outcome == "ok" and rows[(baitong, "apple")].store_version == "3.4.0"
    assert rows[(baitong, "yyb")].outcome == "ok"
    cc = rows[(ids["cn.gov.chongchuan.app"], "download")]
    assert (cc.outcome, cc.reason) == ("fail", "truncated")
    tzw = ids["cn.gov.tzw.app"]
    assert (rows[(tzw, "download")].outcome, rows[(tzw, "download")].reason) == ("fail", "login_redirect")
    assert rows[(tzw, "download")].redirects[0]["status"] == 302
    assert rows[(tzw, "apple")].outcome == "ok"  # a working store: broken link is not a veto
    assert set(obs) == set(ids.values()) and all(o.outcome == "ok" for o in obs.values())
    assert obs[baitong].details["channels"]["download"]["outcome"] == "ok"


def test_second_night_same_version_skips_full_download(sandbox, demo_registry, sqlite_url, tmp_path):
    from datetime import timedelta

    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0})
    _import(app, demo_registry)
    with app.session() as s:
        baitong = s.scalar(select(Account.id).where(Account.platform_id == "cn.gov.nantong.baitong"))
    assert run_crawl(app, T - timedelta(days=1), ["apps"], account_ids=[baitong]).ok
    sandbox.world.state["apps_bytes"].clear()
    result = run_crawl(app, T, ["apps"], account_ids=[baitong])
    assert result.ok, result.log_path.read_text()[-4000:]
    with app.session() as s:
        latest = s.scalars(select(AppCheck).where(AppCheck.channel == "download").order_by(AppCheck.checked_at)).all()
    assert [c.checked_at for c in latest] == [T - timedelta(days=1), T]
    assert latest[0].sha256 and latest[1].sha256 is None  # unchanged version: range check only
    assert latest[1].outcome == "ok"
    assert sandbox.world.state["apps_bytes"]["/apps/download/baitong.apk"] == latest[1].bytes_transferred



def test_a_full_download_the_plan_deferred_happens_on_the_next_night(sandbox, demo_registry, sqlite_url, tmp_path):
    from datetime import timedelta

    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0})
    _import(app, demo_registry)
    with app.session() as s:
        baitong = s.scalar(select(Account.id).where(Account.platform_id == "cn.gov.nantong.baitong"))
    later = {"MONITOR_PLAN": {"history": [], "profile": [], "full_download": []}}
    assert run_crawl(app, T - timedelta(days=1), ["apps"], account_ids=[baitong], extra=later).ok
    assert run_crawl(app, T, ["apps"], account_ids=[baitong]).ok
    with app.session() as s:
        checks = s.scalars(select(AppCheck).where(AppCheck.channel == "download").order_by(AppCheck.checked_at)).all()
    # The first night's range check decided the channel; the whole file waited for a night
    # with room, and that night still sees a version never downloaded in full.
    assert [c.outcome for c in checks] == ["ok", "ok"]
    assert checks[0].sha256 is None and checks[1].sha256

def test_unreachable_download_host_is_unknown(sandbox, sqlite_url, tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0, "retries": 0})
    with app.session() as s:
        s.add(Account(name="测试应用", platform="app", host_unit="测试单位", platform_id="cn.gov.test",
                      download_url=f"http://127.0.0.1:{dead}/app.apk", store_ids={}))
    result = run_crawl(app, T, ["apps"])
    assert result.ok, result.log_path.read_text()[-4000:]
    with app.session() as s:
        check = s.scalar(select(AppCheck))
        obs = s.scalar(select(Observation))
    assert (check.outcome, check.reason) == ("unknown", "connection_refused"), check.detail
    assert obs.outcome == "error"


UNKNOWN_CASES = {"teapot.apk": "rate_limited", "too-many.apk": "rate_limited", "server-error.apk": "http_5xx",
                 "forbidden.apk": "http_4xx", "captcha.apk": "captcha", "short-206.apk": "short_body",
                 "cut.apk": "network"}


def test_answers_that_only_show_we_could_not_look_never_accuse(sandbox, sqlite_url, tmp_path):
    """Through Scrapy's downloader (retries, data-loss handling) and two nights 24 h apart:
    every such download stays unknown, and no app is vetoed or marked down."""
    from datetime import timedelta

    from monitor.detectors import Context, run_detection
    from monitor.rules import load_ruleset
    from storage.models import Finding

    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0, "retries": 1})
    with app.session() as s:
        for i, case in enumerate(UNKNOWN_CASES):
            s.add(Account(name=f"应用{i}", platform="app", host_unit="测试单位", platform_id=f"cn.gov.case{i}",
                          download_url=f"{sandbox.url}/apps/cases/{case}", store_ids={}))
    for night in (T - timedelta(days=1), T):
        result = run_crawl(app, night, ["apps"])
        assert result.ok, result.log_path.read_text()[-4000:]
    run_detection(app, T)
    with app.session() as s:
        urls = {a.id: a.download_url.rsplit("/", 1)[-1] for a in s.scalars(select(Account))}
        got = {(urls[c.account_id], c.checked_at): (c.outcome, c.reason) for c in s.scalars(select(AppCheck))}
        findings = list(s.scalars(select(Finding)))
        statuses = Context(s, T, load_ruleset(app.settings), app.tz).statuses
    for case, reason in UNKNOWN_CASES.items():
        for night in (T - timedelta(days=1), T):
            assert got[(case, night)] == ("unknown", reason), (case, got[(case, night)])
    assert findings == []
    # Even the 5xx download: most of those nights' fetches failed, so the outage may be ours.
    assert not any(st.verifiable for st in statuses.values())
