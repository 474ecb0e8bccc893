"""Feed services that stop syncing: a stale wewe-rss instance or a silent canary makes its
feeds prove nothing (未能核验, never a veto), with one operator alert per service; each
service's status is read once per night. Real crawls (a Scrapy child) against the sandbox's
wewe-rss / RSSHub / we-mp-rss doubles, then detection, scoring and the alert plan."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor.alerts import pending_alerts
from monitor.crawl import run_crawl
from monitor.detectors import run_detection
from monitor.sandbox import Scenario
from monitor.sandbox.registry import feed_url
from monitor.scoring.scorer import score_json
from storage.models import Account, Finding, Observation, Post
from tests.fixtures.core import T, make_app

CRAWL = {"delay": 0, "autothrottle": False, "retries": 1}
EVERY_2_DAYS = [{"every_days": 2, "from_days": 0.5, "to_days": 60, "kind": "original"}]
# (biz, name, feed shape, wewe service, scenario extras)
ACCOUNTS = [
    ("MzA5MzAwMDAwMQ==", "正常同步号", "wewe", "main", {}),
    ("MzA5MzAwMDAwMg==", "停更同步号甲", "wewe", "expired", {"wewe_stale_days": 20}),
    ("MzA5MzAwMDAwMw==", "停更同步号乙", "wewe", "expired", {"wewe_stale_days": 20}),
    ("MzA5MzAwMDAwNA==", "停更同步号丙", "wewe", "expired", {"wewe_stale_days": 20}),
    ("MzA5MzAwMDAwNQ==", "RSSHub号", "rsshub", None, {}),
    ("MzA5MzAwMDAwNg==", "RSSHub金丝雀", "rsshub", None, {}),
]


def scenario(canary_posts=EVERY_2_DAYS) -> Scenario:
    specs = []
    for biz, name, shape, service, extra in ACCOUNTS:
        posts = canary_posts if name == "RSSHub金丝雀" else EVERY_2_DAYS
        specs.append({"platform": "wechat", "id": biz, "name": name, "feed": shape, "subject": f"{name}主办单位",
                      **({"wewe_service": service} if service else {}), **extra, "posts": posts})
    return Scenario(specs, at=T)


def make(srv, db_url, tmp_path, **wechat):
    overrides = srv.config_overrides()
    overrides["platforms"]["wechat"].update(wechat)
    app = make_app(db_url, tmp_path, **overrides, crawl=CRAWL,
                   alerts={"operator": ["json://127.0.0.1:9/ops"], "outbox": str(tmp_path / "outbox.jsonl")})
    with app.session() as s:
        for biz, name, shape, service, _ in ACCOUNTS:
            s.add(Account(name=name, platform="wechat", wechat_kind="订阅号", host_unit=f"{name}主办单位",
                          platform_id=biz, feed_url=feed_url(srv.url, biz, shape, service or "main"),
                          opened_on=(T - timedelta(days=900)).date()))
    return app


def night(app, at):
    result = run_crawl(app, at, ["wechat"])
    assert result.ok, result.log_path.read_text(encoding="utf-8")[-4000:]
    run_detection(app, at)
    return {c["account_name"]: c for c in score_json(app, at)}


def feed_obs(app, name):
    with app.session() as s:
        acc = s.scalar(select(Account).where(Account.name == name))
        return list(s.scalars(select(Observation).where(Observation.account_id == acc.id,
                                                        Observation.kind == "feed").order_by(Observation.id)))


def test_a_stale_wewe_rss_service_proves_nothing_and_alerts_once(sandbox_factory, db_url, tmp_path):
    srv = sandbox_factory(scenario())
    app = make(srv, db_url, tmp_path)
    stale_names = ["停更同步号甲", "停更同步号乙", "停更同步号丙"]
    for n, at in enumerate((T - timedelta(days=1), T)):
        srv.world.set_clock(at)
        srv.world.clear_log()
        cards = night(app, at)
        # The service's list is read once per service and night, however many feeds it has.
        assert srv.world.count(path_prefix="/wewe-rss/main/feeds/") == 1 + 1  # the list, one feed
        assert srv.world.count(path_prefix="/wewe-rss/expired/feeds/") == 1 + 3  # the list, three feeds
        lists = [r.path for r in srv.world.requests if r.path.endswith("/feeds/")]
        assert sorted(lists) == ["/wewe-rss/expired/feeds/", "/wewe-rss/main/feeds/"]

    since = (T - timedelta(days=20)).strftime("%Y-%m-%d %H:%M")
    for name in stale_names:
        obs = feed_obs(app, name)[-1]
        assert obs.outcome == "error" and obs.covered_from is None
        assert obs.reason == f"feed_stale: 订阅源停止同步 since {since}"
        assert obs.details["feed_service"]["state"] == "stale"
        assert obs.details["feed_service"]["service"] == f"{srv.url}/wewe-rss/expired"
        # Its articles are still facts: the newest the feed had, dated by their own pages.
        with app.session() as s:
            newest = s.scalar(select(Post.published_at).where(Post.account_id == obs.account_id)
                              .order_by(Post.published_at.desc()).limit(1))
        assert T - timedelta(days=22) < newest <= T - timedelta(days=20)
        # False vetoes on stale-feed accounts: none. 未能核验, with the reason.
        assert cards[name]["verdict"] == "未能核验", cards[name]
        assert "订阅源停止同步 since" in cards[name]["reason"]
    with app.session() as s:
        stale_ids = set(s.scalars(select(Account.id).where(Account.name.in_(stale_names))))
        assert not s.scalars(select(Finding).where(Finding.account_id.in_(stale_ids))).all()

    ok = feed_obs(app, "正常同步号")[-1]
    assert ok.outcome == "ok" and ok.details["feed_service"]["state"] == "syncing"
    assert cards["正常同步号"]["verdict"] == "合格"
    # RSSHub without a canary: unchecked, proves as before.
    assert "feed_service" not in feed_obs(app, "RSSHub号")[-1].details
    assert cards["RSSHub号"]["verdict"] == "合格"

    # One operator alert for the stale service — not one per account — saying since when.
    alerts = [o for o in pending_alerts(app, T) if o.stage == "feed_stale"]
    assert len(alerts) == 1, [o.dedupe_key for o in alerts]
    [alert] = alerts
    assert f"{srv.url}/wewe-rss/expired" in alert.message.title
    body = alert.message.body
    assert ("2026-11-05 02:00" in body or "2026年11月5日 02:00" in body) and "3个公众号" in body


@pytest.mark.parametrize("canary_days, verdict", [(0.5, "合格"), (5, "未能核验")])
def test_an_rsshub_canary_decides_for_every_feed_of_its_service(sandbox_factory, sqlite_url, tmp_path,
                                                                 canary_days, verdict):
    canary = [{"days_ago": canary_days, "kind": "original"}, {"days_ago": canary_days + 1, "kind": "original"}]
    srv = sandbox_factory(scenario(canary_posts=canary))
    canary_url = feed_url(srv.url, "MzA5MzAwMDAwNg==", "rsshub")
    app = make(srv, sqlite_url, tmp_path, feed_services=[
        {"url_prefix": f"{srv.url}/feeds/rsshub", "kind": "rsshub", "canary": canary_url, "max_age": "36h"}])
    cards = night(app, T)
    # The canary is fetched once for the service (its own account's feed once more).
    assert sum(1 for r in srv.world.requests if r.path == canary_url.removeprefix(srv.url)) == 2
    obs = feed_obs(app, "RSSHub号")[-1]
    assert obs.details["feed_service"]["check"] == "canary"
    assert cards["RSSHub号"]["verdict"] == verdict
    if verdict == "未能核验":
        assert obs.outcome == "error" and obs.reason.startswith("feed_stale: 订阅源停止同步 since ")
        assert [o.stage for o in pending_alerts(app, T)].count("feed_stale") == 2  # rsshub + wewe expired
    else:
        assert obs.outcome == "ok" and obs.details["feed_service"]["state"] == "syncing"


def test_a_feed_list_that_cannot_be_read_leaves_its_feeds_unverifiable(sandbox_factory, sqlite_url, tmp_path):
    srv = sandbox_factory(scenario())
    app = make(srv, sqlite_url, tmp_path, feed_services=[
        # The operator pointed the service at the wrong place: feeds still answer, the list 404s.
        {"url_prefix": f"{srv.url}/wewe-rss/main", "kind": "wewe-rss", "canary": f"{srv.url}/nowhere.atom"}])
    cards = night(app, T)
    obs = feed_obs(app, "正常同步号")[-1]
    assert obs.outcome == "error" and obs.reason.startswith("feed_service_unknown: ")
    assert cards["正常同步号"]["verdict"] == "未能核验"


def test_refresh_asks_wewe_rss_to_sync_each_feed(sandbox_factory, sqlite_url, tmp_path):
    srv = sandbox_factory(scenario())
    app = make(srv, sqlite_url, tmp_path, feed_services=[
        {"url_prefix": f"{srv.url}/wewe-rss/expired", "kind": "wewe-rss", "refresh": True}])
    night(app, T)
    feeds = [r for r in srv.world.requests if r.path.startswith("/wewe-rss/") and not r.path.endswith("/feeds/")]
    asked = {r.path: r.query for r in feeds}
    assert all(("update=true" in q) == ("/expired/" in p) for p, q in asked.items()), asked
    assert feed_obs(app, "停更同步号甲")[-1].outcome == "error"  # a refresh is not a sync
