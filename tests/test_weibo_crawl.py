"""End to end: the Weibo spider against the sandbox through monitor.crawl.run_crawl, with
real Chromium for the visitor cookies, then the stored rows."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from monitor.crawl import run_crawl
from monitor.registry import UrlBases, read_registry, upsert_accounts
from monitor.sandbox import Scenario
from storage.models import Account, Observation, Post
from tests.fixtures.core import T, TZ, make_app

pytestmark = pytest.mark.browser
WINDOW_START = datetime(2026, 10, 19, tzinfo=TZ)  # 5 complete weeks before T (MONITOR_CHECK_WEEKS)
# Sandbox 418 penalty shorter than the spider's first back-off, so a retry after a burst
# succeeds without waiting seconds; the production defaults keep the same order.
FAST = {"WEIBO_418_BACKOFF": 0.6}


def crawl(app, extra=None):
    result = run_crawl(app, T, ["weibo"], extra={**FAST, **(extra or {})}, timeout=180)
    assert result.ok, result.log_path.read_text(encoding="utf-8")[-4000:]
    return result


def setup(sandbox, db_url, tmp_path, registry=None, accounts=(), **crawl_overrides):
    sandbox.world.state["weibo"].penalty_seconds = 0.4
    # These tests count requests exactly: at delay 0 on a busy machine a burst can pass the
    # sandbox's 20 requests/s and add a 418 retry. The rate-limit tests set their own limit.
    sandbox.world.state["weibo"].rate_limit = 10_000
    # Comment sections off: these tests count the timeline's own requests (and a delay-0 crawl
    # with comments on meets the sandbox's rate limit); tests/test_interaction.py reads comments.
    app = make_app(db_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0, **crawl_overrides},
                   interaction={"posts_per_night": 0})
    with app.session() as s:
        if registry is not None:
            parsed = read_registry(registry, UrlBases.from_settings(app.settings))
            assert parsed.ok, parsed.invalid
            upsert_accounts(s, parsed.records)
        for uid in accounts:
            s.add(Account(name=f"测试{uid}", platform="weibo", host_unit="测试单位", platform_id=uid))
    return app


def latest_obs(s, uid):
    return s.scalars(select(Observation).join(Account, Account.id == Observation.account_id)
                     .where(Account.platform_id == uid).order_by(Observation.id.desc())).first()


def posts_of(s, uid):
    return list(s.scalars(select(Post).join(Account, Account.id == Post.account_id)
                          .where(Account.platform_id == uid).order_by(Post.published_at.desc())))


def test_demo_accounts_first_night_then_steady_state(sandbox, demo_registry, db_url, tmp_path):
    app = setup(sandbox, db_url, tmp_path, registry=demo_registry)
    # The real site's 2025–26 432 waves: pages, long texts and profiles all need the visit's
    # whole cookie jar (SRT too), so a single browser visit below proves every path got it.
    sandbox.world.state["weibo"].require_side_cookies = True
    crawl(app)
    scenario = sandbox.world.scenario
    assert sandbox.world.count(path_prefix="/weibo-passport/visitor/genvisitor2") == 1  # one browser visit
    with app.session() as s:
        # Active account: newest post stored first, pinned one flagged, coverage back past the window.
        obs = latest_obs(s, "1000000001")
        assert (obs.outcome, obs.reason) == ("ok", None), obs.details
        assert obs.covered_from <= WINDOW_START and not obs.exhaustive and obs.capture_ref
        stored = posts_of(s, "1000000001")
        normal = [p for p in stored if not p.pinned]
        newest = next(p for p in scenario.account("weibo", "1000000001").posts if not p.pinned)
        assert normal[0].platform_post_id == newest.id
        assert abs(normal[0].published_at - newest.published_at) < timedelta(hours=1)  # from "1小时前"
        assert [p.pinned for p in stored].count(True) == 1
        long_post = next(p for p in stored if "营商环境条例" in (p.text or ""))
        assert "以下为重点条款解读" in long_post.text  # read in full through statuses/extend
        assert long_post.text_source == "extend" and long_post.text_sha
        # Its text's evidence: the statuses/extend answer, kept in the crawl's WARC.
        from monitor.evidence.warc_records import read_ref

        record = read_ref(app.settings.warc_dir, long_post.text_capture)
        assert "/weibo/statuses/extend?id=" in record.target_uri and record.http_status == 200
        assert {bool(p.text_capture) for p in stored} == {True}
        assert {p.text_source for p in stored if p is not long_post} == {"card"}
        acc = s.scalars(select(Account).where(Account.platform_id == "1000000001")).one()
        assert acc.observed_name == "南通发布" and acc.observed_verified is True
        assert acc.observed_verified_reason == "南通市人民政府新闻办公室官方微博"
        assert acc.profile_facts["followers_count"] == 1_450_000 and acc.profile_observed_at == T

        # Dormant with an old pinned post first: the pinned post is kept but is not the latest.
        obs = latest_obs(s, "1000000002")
        assert obs.outcome == "ok" and obs.covered_from <= WINDOW_START
        stored = posts_of(s, "1000000002")
        pinned = [p for p in stored if p.pinned]
        assert len(pinned) == 1 and (T - pinned[0].published_at).days == 400
        latest = max(p.published_at for p in stored if not p.pinned)
        assert 20 <= (T - latest).days < 21

        # Reposts only, one of a deleted original.
        stored = posts_of(s, "1000000003")
        assert stored and {p.kind for p in stored} == {"repost"}
        assert [p.details.get("retweeted", {}).get("deleted") for p in stored].count(True) == 1

        # Blocked by 418: a typed failure, no posts, no coverage.
        obs = latest_obs(s, "1000000005")
        assert obs.outcome == "blocked" and "418" in obs.reason and obs.covered_from is None
        assert posts_of(s, "1000000005") == []

        # Ad signals only on the ad, not on the government voucher programme.
        flagged = [p.text for p in posts_of(s, "1000000006") if p.ad_signals]
        assert len(flagged) == 1 and flagged[0].startswith("【广告】")

        assert s.scalars(select(Account).where(Account.platform_id == "1000000007")).one().observed_verified is False
        obs = latest_obs(s, "1000000009")  # two posts only: the whole timeline was read
        assert obs.outcome == "ok" and obs.exhaustive and len(posts_of(s, "1000000009")) == 2
        assert latest_obs(s, "1000000002").details["pages"] == 1  # one page reaches past the window
        total_posts = s.query(Post).count()
        first_seen = {a: latest_obs(s, a).observed_at for a in ("1000000001",)}
    long_posts = sum(1 for a in scenario.accounts("weibo") if not a.get("blocked") for p in a.posts if p.long)
    assert sandbox.world.count(path_prefix="/weibo/statuses/extend") == long_posts  # each body once

    # Second night, same T: profiles are fresh, timelines stop at the stored posts.
    sandbox.world.clear_log()
    crawl(app)
    per_account = sandbox.world.per_account("weibo")
    assert sandbox.world.count(path_prefix="/weibo/statuses/extend") == 0  # bodies stored are not asked again
    retries = app.settings.crawl.retries
    for n in range(1, 11):
        uid = f"10000000{n:02d}"
        limit = 1 + retries if uid == "1000000005" else 2  # a blocked account costs its retries
        assert 1 <= per_account[uid] <= limit, (uid, per_account)
    with app.session() as s:
        assert s.query(Post).count() == total_posts  # nothing duplicated
        obs = latest_obs(s, "1000000001")
        assert obs.outcome == "ok" and obs.details["stop"] == "reached stored posts"
        assert obs.details["profile"] == "skipped" and obs.request_count == per_account["1000000001"]
        # The two observations' spans join up: [covered_from, T] of tonight reaches back to the
        # stored newest post, which the first night saw.
        assert obs.covered_from <= first_seen["1000000001"]
        assert latest_obs(s, "1000000005").outcome == "blocked"


def test_unknown_uid_is_not_found_and_captcha_is_blocked(sandbox_factory, sqlite_url, tmp_path):
    sc = Scenario([{"platform": "weibo", "id": "41", "name": "活跃", "posts": [{"every_days": 1, "from_days": 0.5, "to_days": 50}]},
                   {"platform": "weibo", "id": "43", "captcha": True, "posts": []}], at=T)
    srv = sandbox_factory(scenario=sc)
    app = setup(srv, sqlite_url, tmp_path, accounts=["41", "42", "43"])
    crawl(app)
    with app.session() as s:
        ok, missing, captcha = (latest_obs(s, u) for u in ("41", "42", "43"))
        assert ok.outcome == "ok" and len(posts_of(s, "41")) >= 35
        assert missing.outcome == "not_found" and "这里还没有内容" in missing.reason
        assert missing.request_count == 2  # exactly one retry with fresh cookies
        assert captcha.outcome == "blocked" and "passport.weibo.com" in captcha.reason
        assert posts_of(s, "42") == [] and posts_of(s, "43") == []
    assert srv.world.per_account("weibo")["42"] == 2


ACTIVE = [{"platform": "weibo", "id": str(50 + i), "posts": [{"every_days": 2, "from_days": 0.5, "to_days": 20}]}
          for i in range(6)]


def test_cookies_renewed_on_432(sandbox_factory, sqlite_url, tmp_path):
    srv = sandbox_factory(scenario=Scenario(ACTIVE, at=T))
    srv.world.state["weibo"].cookie_ttl_requests = 4  # visitor cookies stop working after 4 API calls
    app = setup(srv, sqlite_url, tmp_path, accounts=[a["id"] for a in ACTIVE], concurrency=1)
    crawl(app, {"WEIBO_COOKIE_COOLDOWN": 0})
    with app.session() as s:
        assert {latest_obs(s, a["id"]).outcome for a in ACTIVE} == {"ok"}
    assert srv.world.count(path_prefix="/weibo-passport/visitor/genvisitor2") >= 3


def test_a_wall_of_432_does_not_become_a_storm_of_browser_launches(sandbox_factory, sqlite_url, tmp_path):
    srv = sandbox_factory(scenario=Scenario(ACTIVE, at=T))
    srv.world.state["weibo"].cookie_ttl_requests = 4
    app = setup(srv, sqlite_url, tmp_path, accounts=[a["id"] for a in ACTIVE], concurrency=1)
    crawl(app, {"WEIBO_COOKIE_COOLDOWN": 300})
    assert srv.world.count(path_prefix="/weibo-passport/visitor/genvisitor2") == 1
    with app.session() as s:
        outcomes = [latest_obs(s, a["id"]) for a in ACTIVE]
        blocked = [o for o in outcomes if o.outcome == "blocked"]
        assert blocked and all("432" in o.reason and "cool-down" in o.reason for o in blocked)
        assert all(o.covered_from is None for o in blocked)


def test_spans_that_join_up_stay_joined_night_after_night(sandbox, demo_registry, sqlite_url, tmp_path):
    # Night 1 pages down to the window; nights 2 and 3 stop at the stored posts on page 1.
    # Night 3 must not page down again: night 2's span joined night 1's, which reached the window.
    app = setup(sandbox, sqlite_url, tmp_path, registry=demo_registry)
    with app.session() as s:
        busy = s.scalars(select(Account.id).where(Account.platform_id == "1000000001")).one()
    nights = [T - timedelta(days=2), T - timedelta(days=1), T]
    requests = []
    for night in nights:
        sandbox.world.set_clock(night)
        sandbox.world.clear_log()
        result = run_crawl(app, night, ["weibo"], account_ids=[busy], extra=FAST, timeout=180)
        assert result.ok
        requests.append(sandbox.world.per_account("weibo")["1000000001"])
    with app.session() as s:
        third = latest_obs(s, "1000000001")
    assert requests[0] > 2 and requests[1] <= 2 and requests[2] <= 2, requests
    assert third.details["stop"] == "reached stored posts"
    assert datetime.fromisoformat(third.details["joined_from"]) <= WINDOW_START
