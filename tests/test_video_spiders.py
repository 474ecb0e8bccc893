"""头条 / 抖音 / 快手 end to end against the sandbox: registry → run_crawl → observations, posts
and profile facts, for both ways in and for the failures the platforms and RSSHub answer."""
from __future__ import annotations

import csv

from sqlalchemy import select

from monitor.crawl import run_crawl
from monitor.registry import UrlBases, read_registry, upsert_accounts
from monitor.sandbox.scenario import Scenario
from storage.models import Account, Observation, Post
from tests.fixtures.core import T, make_app


def _import(app, registry_path):
    parsed = read_registry(registry_path, UrlBases.from_settings(app.settings))
    assert not parsed.invalid, [str(p) for p in parsed.invalid]
    with app.session() as s:
        upsert_accounts(s, parsed.records)


def _night(app, spiders):
    result = run_crawl(app, T, spiders)
    assert result.ok, result.log_path.read_text()[-4000:]
    with app.session() as s:
        accounts = {a.id: a for a in s.scalars(select(Account))}
        obs = {accounts[o.account_id].name: o for o in s.scalars(select(Observation))}
        posts = {}
        for p in s.scalars(select(Post)):
            posts.setdefault(accounts[p.account_id].name, []).append(p)
        s.expunge_all()
    return obs, posts, {a.name: a for a in accounts.values()}


def test_demo_video_accounts_each_way_in(sandbox, demo_registry, sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0})
    _import(app, demo_registry)
    obs, posts, accounts = _night(app, ["toutiao", "douyin", "kuaishou"])
    # 头条 through RSSHub: one request, real publish times, the canary says RSSHub is fresh.
    tt = obs["南通发布头条号"]
    assert (tt.kind, tt.outcome, tt.request_count) == ("feed", "ok", 1)
    assert tt.details["feed_service"]["state"] == "syncing" and tt.covered_from is not None
    # Articles are the account's own; RSSHub drops 微头条 repost fields: those are unknown.
    kinds = {(p.url.split("/")[3], p.kind) for p in posts["南通发布头条号"]}
    assert kinds == {("article", "original"), ("w", "unknown")}
    # 抖音 through the profile page: the aweme/post JSON, the pinned work flagged and not
    # counted as the latest, 蓝V 认证信息 read, the exchange archived as WARC.
    ga = obs["南通公安"]
    assert (ga.kind, ga.outcome, ga.details["way"], ga.details["page_loads"]) == ("timeline", "ok", "browser", 1)
    assert ga.capture_ref and (tmp_path / "warc" / ga.capture_ref.split("#")[0]).exists()
    pinned = [p for p in posts["南通公安"] if p.pinned]
    assert len(pinned) == 1 and pinned[0].published_at < ga.covered_from
    assert all(p.published_at is not None and p.url.startswith("https://www.douyin.com/video/")
               for p in posts["南通公安"])
    assert accounts["南通公安"].observed_verified is True
    assert accounts["南通公安"].observed_verified_reason == "南通市公安局官方账号"
    # The dormant one is observed fine: its newest work is a month old.
    hm = obs["海门发布"]
    assert hm.outcome == "ok" and max(p.published_at for p in posts["海门发布"]) < hm.observed_at.replace(day=1)
    # 快手 through the page: GraphQL timestamps are publish times.
    rd = obs["如东文旅"]
    assert rd.outcome == "ok" and all(p.published_at for p in posts["如东文旅"])
    assert accounts["如东文旅"].observed_verified is None  # 快手's JSON says nothing about 认证: unknown
    # 快手 through RSSHub: no times in its items — active, maybe, but silence is never proven.
    tz = obs["通州融媒"]
    assert (tz.kind, tz.outcome) == ("feed", "error") and tz.reason.startswith("untimed_items: 30 of 30")
    assert all(p.published_at is None for p in posts["通州融媒"])


MODES = [  # (platform, id, scenario keys, registry 订阅源 route or "" for the page)
    ("douyin", "MS4wLjABAAAAwafDouyin000000000000000000000000000000001", {"rsshub": "waf"}, "/douyin/user/{id}"),
    ("douyin", "MS4wLjABAAAAcapDouyin000000000000000000000000000000002", {"rsshub": "captcha"}, "/douyin/user/{id}"),
    ("toutiao", "MS4wLjABAAAArejToutiao00000000000000000000000000000003", {"rsshub": "reject"},
     "/toutiao/user/token/{id}"),
    ("toutiao", "MS4wLjABAAAAnofToutiao00000000000000000000000000000004", {"rsshub": "not_found"},
     "/toutiao/user/token/{id}"),
    ("douyin", "MS4wLjABAAAAjsnDouyin000000000000000000000000000000005", {"rsshub": "json_error"},
     "/douyin/user/{id}"),
    ("toutiao", "MS4wLjABAAAAemptyToutiao000000000000000000000000000006", {"rsshub": "empty"},
     "/toutiao/user/token/{id}"),
    ("douyin", "MS4wLjABAAAApcapDouyin00000000000000000000000000000007", {"page": "captcha"}, ""),
    ("douyin", "MS4wLjABAAAApwafDouyin00000000000000000000000000000008", {"page": "waf"}, ""),
    ("kuaishou", "3xriskaccount09", {"page": "risk"}, ""),
    ("toutiao", "MS4wLjABAAAApwafToutiao0000000000000000000000000000010", {"page": "waf"}, ""),
    # A healthy feed, but the douyin RSSHub's canary is 5 days old: its feeds prove nothing.
    ("douyin", "MS4wLjABAAAAokfeedDouyin00000000000000000000000000011", {}, "/douyin/user/{id}"),
]
STALE_CANARY = "MS4wLjABAAAAcanaryDouyin000000000000000000000000000012"


def test_blocked_captcha_waf_and_error_answers_are_never_no_posts(sandbox_factory, sqlite_url, tmp_path):
    specs = [{"platform": p, "id": i, "name": f"m{n}", **keys,
              "posts": [{"every_days": 1, "from_days": 0.5, "to_days": 20}]} for n, (p, i, keys, _) in enumerate(MODES)]
    specs.append({"platform": "douyin", "id": STALE_CANARY, "name": "canary",
                  "posts": [{"every_days": 1, "from_days": 5, "to_days": 20}]})
    srv = sandbox_factory(Scenario(specs, T))
    registry = tmp_path / "modes.csv"
    with registry.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["名称", "平台", "主办单位", "账号ID", "订阅源"])
        label = {"douyin": "抖音", "toutiao": "今日头条", "kuaishou": "快手"}
        for n, (p, i, _, route) in enumerate(MODES):
            w.writerow([f"m{n}", label[p], "某局", i, f"{srv.url}/rsshub{route.format(id=i)}" if route else ""])
    overrides = srv.config_overrides()
    for name in ("douyin", "toutiao", "kuaishou"):
        overrides["platforms"][name].update(way="browser", canary="", browser_timeout=15)  # room for a loaded machine; no mode waits it out
    overrides["platforms"]["douyin"]["canary"] = f"{srv.url}/rsshub/douyin/user/{STALE_CANARY}"
    app = make_app(sqlite_url, tmp_path, **overrides, crawl={"delay": 0, "retries": 0})
    _import(app, registry)
    obs, posts, _ = _night(app, ["toutiao", "douyin", "kuaishou"])
    got = {name: (o.outcome, o.reason.split(":", 1)[0], o.http_status) for name, o in obs.items()}
    assert got == {
        "m0": ("blocked", "captcha", 503),  # RSSHub: "Empty post data. The request may be filtered by WAF."
        "m1": ("blocked", "captcha", 503),  # RSSHub met 验证码中间页
        "m2": ("blocked", "rsshub_rejected", 403),
        "m3": ("error", "rsshub_not_found", 404),
        "m4": ("blocked", "captcha", 503),  # {"error": {"message": …WAF…}}
        "m5": ("error", "feed_empty", 200),
        "m6": ("blocked", "captcha", 200),  # the profile page is a verification page
        "m7": ("blocked", "waf_empty", 200),  # aweme/post: HTTP 200, empty body
        "m8": ("blocked", "captcha", 200),  # 快手 GraphQL result 2
        "m9": ("blocked", "waf_empty", 200),
        "m10": ("error", "feed_stale", 200),
    }, {k: o.reason for k, o in obs.items()}
    assert set(posts) == {"m10"} and len(posts["m10"]) == 20  # its works are kept, nothing concluded
    assert all(o.covered_from is None for o in obs.values())
