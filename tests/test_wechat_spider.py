"""The WeChat spider end to end: ``monitor.crawl.run_crawl`` (a real child process running
Scrapy) against the sandbox, then the database — feeds in every shape, the aggregator-time
trap, a feed answering 500, articles behind the captcha, and incremental nights."""
from __future__ import annotations

import shutil
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.crawl import run_crawl
from monitor.registry import UrlBases, read_registry, upsert_accounts
from monitor.sandbox import Faults, SandboxServer, Scenario, World
from monitor.sandbox.registry import feed_url
from storage.models import Account, Observation, Post
from tests.fixtures.core import T, make_app

CRAWL = {"delay": 0, "autothrottle": False, "retries": 1}


def crawl(app, at=T):
    result = run_crawl(app, at, ["wechat"])
    assert result.ok, result.log_path.read_text(encoding="utf-8")[-4000:]


def by_name(app):
    """{account name: (account, [observations], [posts newest first])}."""
    with app.session() as s:
        out = {}
        for acc in s.scalars(select(Account).where(Account.platform == "wechat")):
            obs = list(s.scalars(select(Observation).where(Observation.account_id == acc.id).order_by(Observation.id)))
            posts = list(s.scalars(select(Post).where(Post.account_id == acc.id)))
            posts.sort(key=lambda p: (p.published_at is not None, p.published_at or T), reverse=True)
            out[acc.name] = (acc, obs, posts)
        return out


def article_requests(world, account=None) -> list[str]:
    return [r.path for r in world.requests if r.path.startswith("/wechat/s/")
            and (account is None or r.account == account)]


@pytest.fixture
def demo_app(sandbox, demo_registry, db_url, tmp_path):
    app = make_app(db_url, tmp_path, **sandbox.config_overrides(), crawl=CRAWL)
    parsed = read_registry(demo_registry, UrlBases.from_settings(app.settings))
    with app.session() as s:
        upsert_accounts(s, parsed.records)
    return app


def test_demo_accounts_each_feed_shape_and_the_aggregator_trap(sandbox, demo_app):
    crawl(demo_app)
    got = by_name(demo_app)
    scenario = sandbox.world.scenario

    def own_times(biz, n=None):
        posts = sorted(scenario.account("wechat", biz).posts, key=lambda p: p.published_at, reverse=True)
        return [p.published_at.replace(microsecond=0) for p in posts[:n]]

    # wewe-rss Atom: the 10 newest articles, each dated by its own page.
    acc, [obs], posts = got["南通教育"]
    assert (obs.outcome, obs.kind, obs.details["feed_kind"]) == ("ok", "feed", "wewe-rss")
    assert [p.published_at for p in posts] == own_times("MzA5MDAwMDAwMQ==", 10)
    assert {(p.time_source, p.kind, p.state, p.text_source) for p in posts} == {("article", "original", "ok", "js_content")}
    assert obs.covered_from == posts[-1].published_at and obs.exhaustive is False
    assert obs.capture_ref and obs.request_count == 1 + 10 + 1  # feed, articles, aboutbiz
    assert (acc.observed_verified, acc.observed_verified_reason) == (True, "南通市教育局")
    assert acc.profile_facts["认证主体"] == "南通市教育局" and acc.profile_facts["认证类型"] == "政府"

    # RSSHub RSS, a 服务号 with one reprint; the old article lets the feed cover the period.
    acc, [obs], posts = got["海安健康"]
    assert obs.details["feed_kind"] == "rsshub" and acc.wechat_kind == "服务号"
    assert [p.published_at for p in posts] == own_times("MzA5MDAwMDAwMg==")
    assert [p.kind for p in posts] == ["original", "repost", "original", "original"]
    assert obs.covered_from == T - timedelta(days=40)

    # The aggregator's dates are its crawl times (all within the last day); the stored
    # publish times are the articles' own ct, 30–44 days old.
    acc, [obs], posts = got["南通医保"]
    assert (obs.outcome, obs.details["feed_kind"], obs.details["feed_trusted"]) == ("ok", "json-feed", False)
    assert [round((T - p.published_at) / timedelta(days=1)) for p in posts] == [30, 37, 44]
    assert all(p.time_source == "article" for p in posts)
    assert all(T - timedelta(days=1) < datetime.fromisoformat(p.details["feed_date"]) <= T for p in posts)
    assert obs.covered_from == T - timedelta(days=44)  # the silent fortnight is proven

    # A feed answering 500: an error observation, no posts invented; verification still read.
    acc, [obs], posts = got["如皋政务服务"]
    assert (obs.outcome, obs.http_status) == ("error", 500)
    assert "HTTP 500" in obs.reason
    assert posts == []
    assert obs.request_count == 1 + CRAWL["retries"] + 1  # feed tried twice, aboutbiz once

    # Every article page was fetched exactly once.
    paths = article_requests(sandbox.world)
    # (南通教育 10, 海安健康 4, 南通医保 3, 南通住建 the 10 its stale feed still lists, 通州文旅 10)
    assert len(paths) == len(set(paths)) == 10 + 4 + 3 + 10 + 10
    acc, [obs], posts = got["通州文旅"]  # 图片分享 posts: read like articles, dated by window.ct
    assert obs.outcome == "ok" and len(posts) == 10
    assert {(p.time_source, p.state, p.details["time_field"], p.text_source) for p in posts} == {
        ("article", "ok", "window.ct", "share")}
    acc, [obs], posts = got["南通住建"]  # its wewe-rss lost its login: the feed proves nothing
    assert (obs.outcome, obs.details["feed_service"]["state"]) == ("error", "stale")
    assert obs.reason.startswith("feed_stale: 订阅源停止同步 since ") and len(posts) == 10

    # A steady night (next day, nothing new): the feed only — no article twice, no aboutbiz.
    sandbox.world.clear_log()
    crawl(demo_app, T + timedelta(days=1))
    per_account = sandbox.world.per_account("wechat")
    for name, biz in [("南通教育", "MzA5MDAwMDAwMQ=="), ("海安健康", "MzA5MDAwMDAwMg=="), ("南通医保", "MzA5MDAwMDAwMw==")]:
        assert per_account[biz] == 1, (name, per_account)
    assert article_requests(sandbox.world) == []
    again = by_name(demo_app)
    assert len(again["南通教育"][2]) == 10 and again["南通教育"][1][-1].outcome == "ok"


def test_second_night_fetches_only_new_articles(sandbox, sqlite_url, demo_registry, tmp_path):
    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl=CRAWL)
    with app.session() as s:
        upsert_accounts(s, read_registry(demo_registry, UrlBases.from_settings(app.settings)).records)
    biz = "MzA5MDAwMDAwMQ=="
    sandbox.world.set_clock(T - timedelta(days=1))
    crawl(app, T - timedelta(days=1))
    first = article_requests(sandbox.world, biz)
    sandbox.world.clear_log()
    sandbox.world.set_clock(T)
    crawl(app, T)
    second = article_requests(sandbox.world, biz)
    new_posts = [p for p in sandbox.world.scenario.account("wechat", biz).posts
                 if T - timedelta(days=1) < p.published_at <= T]
    assert len(second) == len(new_posts) >= 1
    assert not set(first) & set(second)
    # Feed + the new article(s); aboutbiz was read the night before.
    assert sandbox.world.per_account("wechat")[biz] == 1 + len(new_posts)


def _account(sandbox_url: str, biz: str, name: str, feed: str | None, kind: str = "订阅号") -> Account:
    return Account(name=name, platform="wechat", wechat_kind=kind, host_unit=f"{name}主办单位", platform_id=biz,
                   feed_url=feed_url(sandbox_url, biz, feed) if feed else None)


CASES = [
    # biz, name, feed shape, extra scenario keys, posts
    ("MzA5MjAwMDAwMQ==", "we-mp-rss号", "wemp", {}, [{"every_days": 3, "from_days": 1, "to_days": 20}]),
    ("MzA5MjAwMDAwMg==", "wewe验证码号", "wewe", {"articles_captcha": True}, [{"days_ago": 2}, {"days_ago": 9}]),
    ("MzA5MjAwMDAwMw==", "RSSHub验证码号", "rsshub", {"articles_captcha": True}, [{"days_ago": 2}, {"days_ago": 9}]),
    ("MzA5MjAwMDAwNA==", "聚合验证码号", "aggregator", {"articles_captcha": True}, [{"days_ago": 2}]),
    ("MzA5MjAwMDAwNQ==", "坏订阅源号", "wewe", {"feed_malformed": True}, [{"every_days": 2, "to_days": 20}]),
    ("MzA5MjAwMDAwNg==", "删稿号", "aggregator", {}, [
        {"days_ago": 2, "state": "deleted"},
        {"days_ago": 5, "state": "violation", "reason": "由用户投诉并经平台审核，涉嫌过度营销、骚扰用户"},
        {"days_ago": 9, "kind": "original"}]),
    ("MzA5MjAwMDAwNw==", "小程序号", "wewe", {"kind": "小程序"}, [{"days_ago": 1}]),
]


@pytest.fixture(scope="module")
def cases(tmp_path_factory, sqlite_template):
    """One crawl of every case, read by the tests below (none of them writes)."""
    sc = Scenario([{"platform": "wechat", "id": biz, "name": name, "subject": f"{name}主办单位", **extra,
                    "posts": posts} for biz, name, _, extra, posts in CASES], at=T)
    tmp = tmp_path_factory.mktemp("wechat-cases")
    shutil.copyfile(sqlite_template, tmp / "monitor.db")
    srv = SandboxServer(World(sc, Faults())).start()
    try:
        app = make_app(f"sqlite:///{tmp / 'monitor.db'}", tmp, **srv.config_overrides(), crawl=CRAWL)
        with app.session() as s:
            for biz, name, feed, extra, _ in CASES:
                s.add(_account(srv.url, biz, name, feed, extra.get("kind", "订阅号")))
        crawl(app)
        yield srv, by_name(app)
    finally:
        srv.stop()


def test_we_mp_rss_feed_articles_are_dated_by_their_pages(cases):
    srv, got = cases
    _, [obs], posts = got["we-mp-rss号"]
    assert (obs.outcome, obs.details["feed_kind"], obs.details["feed_trusted"]) == ("ok", "we-mp-rss", True)
    want = sorted((p.published_at.replace(microsecond=0) for p in srv.world.scenario.account("wechat", "MzA5MjAwMDAwMQ==").posts), reverse=True)
    assert [p.published_at for p in posts] == want
    assert {p.time_source for p in posts} == {"article"}
    assert all(p.details.get("feed_date_zone_assumed") for p in posts)


def test_captcha_articles_from_a_trusted_feed_fall_back_to_the_feed_date(cases):
    srv, got = cases
    _, [obs], posts = got["wewe验证码号"]
    assert obs.outcome == "ok"
    assert {(p.time_source, p.state) for p in posts} == {("feed", "unfetched")}
    want = sorted((p.published_at.replace(microsecond=0) for p in srv.world.scenario.account("wechat", "MzA5MjAwMDAwMg==").posts), reverse=True)
    assert [p.published_at.replace(microsecond=0) for p in posts] == want


@pytest.mark.parametrize("name", ["RSSHub验证码号", "聚合验证码号"])
def test_captcha_articles_from_an_untrusted_feed_make_the_account_unverifiable(cases, name):
    _, got = cases
    _, [obs], posts = got[name]
    assert obs.outcome == "blocked"
    assert obs.reason.startswith("articles_unverifiable: captcha")
    assert posts and all(p.published_at is None and p.time_source == "none" for p in posts)
    assert all(p.details["why_untimed"] == "captcha" for p in posts)


def test_malformed_feed_is_an_error_with_feedparsers_reason(cases):
    _, got = cases
    _, [obs], posts = got["坏订阅源号"]
    assert obs.outcome == "error" and obs.reason.startswith("feed_invalid: malformed feed:")
    assert posts == []


def test_deleted_and_violation_articles_keep_their_state_and_reason(cases):
    _, got = cases
    _, [obs], posts = got["删稿号"]
    states = {p.state: p for p in posts}
    assert set(states) == {"deleted", "violation", "ok"}
    assert "涉嫌过度营销" in states["violation"].details["reason"]
    assert states["deleted"].published_at is None  # an aggregator date is no publish time
    # The newest items have no trustworthy time, but a dated article 9 days old proves an
    # update inside the fortnight; no span is vouched for as empty.
    assert obs.outcome == "ok" and obs.covered_from is None


def test_mini_programs_are_not_crawled_and_one_failure_stops_nothing(cases):
    srv, got = cases
    acc, obs, posts = got["小程序号"]
    assert obs == [] and posts == []
    assert srv.world.count(account="MzA5MjAwMDAwNw==") == 0
    assert Counter(len(o) for _, o, _ in got.values()) == Counter({1: len(CASES) - 1, 0: 1})


def test_a_night_plan_without_history_reads_only_the_newest_article(sandbox, demo_registry, sqlite_url, tmp_path):
    # The plan left history and 认证 refreshes for later nights: each feed still decides its
    # verdict from its newest article; the other articles wait, stored unfetched.
    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl=CRAWL)
    parsed = read_registry(demo_registry, UrlBases.from_settings(app.settings))
    with app.session() as s:
        upsert_accounts(s, parsed.records)
    result = run_crawl(app, T, ["wechat"], extra={"MONITOR_PLAN": {"history": [], "profile": [],
                                                                    "full_download": []}})
    assert result.ok
    accounts = by_name(app)
    per_account = Counter(r.account for r in sandbox.world.requests if r.path.startswith("/wechat/s/"))
    assert per_account and max(per_account.values()) <= 1, per_account
    assert sandbox.world.count(path_prefix="/wechat/mp/aboutbiz") == 0
    deferred = [p for _acc, _obs, posts in accounts.values() for p in posts
                if p.state == "unfetched" and "night plan" in (p.details or {}).get("why_untimed", "")]
    assert deferred
    ok = [obs[-1] for _acc, obs, _posts in accounts.values() if obs and obs[-1].outcome == "ok"]
    assert ok and all(o.covered_from is not None for o in ok if o.reason is None)
