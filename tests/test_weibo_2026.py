"""The Weibo spider against the sandbox answering the 2025–26 ways (platforms_2026.md), then
the update rules on what it stored: an empty answer for an account with posts is never "no
posts", page cursors are followed, page 1 alone is a partial but true observation, and rate
limits end as 未能核验 without hammering."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from monitor.detectors import run_detection
from monitor.detectors.coverage import account_status
from monitor.sandbox import Scenario
from storage.models import Account, Finding
from tests.fixtures.core import T
from tests.test_weibo_crawl import WINDOW_START, crawl, latest_obs, posts_of, setup

pytestmark = pytest.mark.browser
DAILY = [{"every_days": 1, "from_days": 0.3, "to_days": 60}]


UPDATE_RULES = ("veto.no_update_2w", "ded.untimely_update", "adv.update_reminder", "adv.long_dormant")


def findings_of(app, uid):
    """The update rules' findings (the ones a failed or partial fetch could fake)."""
    with app.session() as s:
        return sorted(s.execute(select(Finding.rule, Finding.case_key).join(Account, Account.id == Finding.account_id)
                                .where(Account.platform_id == uid, Finding.at == T,
                                       Finding.rule.in_(UPDATE_RULES))).all())


def account_id(app, uid):
    with app.session() as s:
        return s.scalars(select(Account.id).where(Account.platform_id == uid)).one()


# SQLite only: the spider's stored-history queries and the pipeline run on PostgreSQL too in
# test_weibo_crawl.py's two nights; these cases are about what the spider concludes.
def test_ok1_without_posts_for_an_account_with_posts_is_blocked_never_empty(sandbox_factory, sqlite_url, tmp_path):
    sc = Scenario([
        # The issue's case: an expired session answers ok:1 with a "暂无微博" card, the
        # profile counts 4,321 posts. Renewing the cookies does not help here (半年可见 …).
        {"platform": "weibo", "id": "61", "statuses_count": 4321, "empty_timeline": "always", "posts": DAILY},
        # Expired for the first visitor session only: renewed cookies see the posts.
        {"platform": "weibo", "id": "62", "empty_timeline": "expired_session", "posts": DAILY},
        # The profile itself says 0 posts: that account really is empty.
        {"platform": "weibo", "id": "63", "posts": []},
    ], at=T)
    srv = sandbox_factory(scenario=sc)
    app = setup(srv, sqlite_url, tmp_path, accounts=["61", "62", "63"])
    crawl(app)
    with app.session() as s:
        blocked, renewed, empty = (latest_obs(s, u) for u in ("61", "62", "63"))
        assert blocked.outcome == "blocked" and blocked.covered_from is None and not blocked.exhaustive
        assert "statuses_count 4321" in blocked.reason and "暂无微博" in blocked.reason
        assert blocked.request_count == 3  # profile, page 1, page 1 again with renewed cookies
        assert renewed.outcome == "ok" and len(posts_of(s, "62")) >= 35
        assert empty.outcome == "ok" and empty.exhaustive
    assert srv.world.count(path_prefix="/weibo-passport/visitor/genvisitor2") >= 2  # renewed once
    run_detection(app, T)
    assert findings_of(app, "61") == []  # no veto, no untimely weeks, no dormancy
    status = account_status(app, account_id(app, "61"), T)
    assert not status.verifiable and "blocked" in status.reason
    assert findings_of(app, "62") == []
    assert ("veto.no_update_2w", "") in findings_of(app, "63")

    # Next night the profile is fresh (skipped) but posts are stored: still never "empty".
    srv.world.scenario.account("weibo", "62").spec["empty_timeline"] = "always"
    srv.world.clear_log()
    crawl(app)
    with app.session() as s:
        again = latest_obs(s, "62")
        assert again.outcome == "blocked" and "posts stored on earlier nights" in again.reason
        assert again.details["profile"] == "skipped"


def test_page_cursor_timeline_is_followed_and_page_one_alone_is_partial(sandbox_factory, sqlite_url, tmp_path):
    every_two_days = [{"every_days": 2, "from_days": 0.5, "to_days": 60}]
    sc = Scenario([
        # cardlistInfo.page and no since_id (nonebot-bison's 2025 capture).
        {"platform": "weibo", "id": "71", "paging": "page", "posts": every_two_days},
        # Visitors see page 1 only: page 2 answers ok:-100 with the passport login URL.
        {"platform": "weibo", "id": "72", "visitor_pages": 1, "posts": DAILY},
        # Page 1 only, and the newest post is 20 days old: page 1 alone decides the veto.
        {"platform": "weibo", "id": "73", "visitor_pages": 1,
         "posts": [{"every_days": 1.5, "from_days": 20, "to_days": 100}]},
        # Both: page cursor and page-1 limit.
        {"platform": "weibo", "id": "74", "paging": "page", "visitor_pages": 1, "posts": every_two_days},
    ], at=T)
    srv = sandbox_factory(scenario=sc)
    app = setup(srv, sqlite_url, tmp_path, accounts=["71", "72", "73", "74"])
    crawl(app)
    with app.session() as s:
        paged = latest_obs(s, "71")
        assert paged.outcome == "ok" and paged.details["pages"] >= 2 and "partial" not in paged.details
        assert paged.covered_from <= WINDOW_START and not paged.exhaustive
        assert len(posts_of(s, "71")) >= 20
        for uid in ("72", "73", "74"):
            obs = latest_obs(s, uid)
            assert obs.outcome == "ok" and obs.details["pages"] == 1, (uid, obs.details)
            assert "page 2" in obs.details["partial"] and "ok:-100" in obs.details["partial"]
            assert "passport.weibo.cn/signin/welcome" in obs.details["partial"]
            stored = posts_of(s, uid)
            assert len(stored) == 10 and obs.covered_from == min(p.published_at for p in stored)
            assert not obs.exhaustive
    requests = srv.world.per_account("weibo")
    comments = srv.world.count(account="72", path_prefix="/weibo/comments/hotflow")  # retries after a 418 included
    with app.session() as s:  # the newest posts' comment sections, one each
        assert latest_obs(s, "72").details.get("comment_requests", 0) <= app.settings.interaction.posts_per_night
    assert requests["72"] - comments == 3  # profile, page 1, page 2 refused (no cookie renewal for it)
    run_detection(app, T)
    assert findings_of(app, "71") == []  # posts every two days: no untimely week
    assert findings_of(app, "72") == []  # weeks beyond page 1 are not judged, not counted empty
    assert findings_of(app, "74") == []
    assert ("veto.no_update_2w", "") in findings_of(app, "73")

    # The next nights ask page 1 only and stop at the stored posts (the refusal is remembered
    # until a profile night probes the deeper pages again).
    for _ in range(2):
        srv.world.clear_log()
        crawl(app)
        requests = srv.world.per_account("weibo")
        assert requests["72"] == 1 and requests["74"] == 1
        with app.session() as s:
            obs = latest_obs(s, "72")
            assert obs.details["stop"] == "reached stored posts" and obs.details["deeper_pages_refused"]


LONG = "【政策解读】全文发布，详见 https://www.nantong.gov.cn/zcjd/index.html 以下为要点"


def test_rate_limits_in_every_form_end_unverifiable_without_hammering(sandbox_factory, sqlite_url, tmp_path):
    """…and the client looks like the maintained ones: headers, long text from
    /statuses/extend with the old path as fallback (the sandbox's visitor system refuses a
    browser reporting navigator.webdriver, so every crawl here also proves the launch flag)."""
    sc = Scenario([
        {"platform": "weibo", "id": "91", "blocked": "rate_msg", "posts": DAILY},
        {"platform": "weibo", "id": "92", "blocked": 418, "posts": DAILY},
        {"platform": "weibo", "id": "93", "blocked": 432, "posts": DAILY},
        {"platform": "weibo", "id": "94", "posts": DAILY + [{"days_ago": 0.2, "long": True, "text": LONG}]},
    ], at=T)
    srv = sandbox_factory(scenario=sc)
    srv.world.state["weibo"].extend_paths = ("/api/statuses/extend",)  # the new path answers 404 here
    app = setup(srv, sqlite_url, tmp_path, accounts=["91", "92", "93", "94"])
    crawl(app, {"WEIBO_418_BACKOFF": 0.2})
    requests = srv.world.per_account("weibo")
    with app.session() as s:
        for uid, words in (("91", "访问频次过高"), ("92", "418"), ("93", "432")):
            obs = latest_obs(s, uid)
            assert obs.outcome == "blocked" and words in obs.reason, (uid, obs.reason)
            assert obs.covered_from is None and posts_of(s, uid) == []
            assert 1 <= requests[uid] <= 15, requests
        # The rate-limited ones were asked again after a pause; a 432 inside the cookie
        # cool-down is not (renewing is what would help, and it is rationed).
        assert requests["91"] == 3 and requests["92"] == 3 and requests["93"] <= 2
        assert latest_obs(s, "94").outcome == "ok"
        long_post = next(p for p in posts_of(s, "94") if "政策解读" in p.text)
        assert "详情请见相关部门发布的完整通知" in long_post.text  # the rest, read through the fallback
    assert srv.world.count(path_prefix="/weibo/statuses/extend") == 1  # tried first
    assert srv.world.count(path_prefix="/weibo/api/statuses/extend") == 1
    sent = {k.lower(): v for k, v in srv.world.state["weibo"].api_headers["94"].items()}
    assert sent["sec-fetch-mode"] == "cors" and sent["mweibo-pwa"] == "1" and sent["x-requested-with"] == "XMLHttpRequest"
    assert "iPhone" in sent["user-agent"] and sent["referer"].endswith("/u/94")
    assert {"SUB", "SUBP", "SRT", "SRF"} <= {c.split("=")[0].strip() for c in sent["cookie"].split(";")}
    run_detection(app, T)
    for uid in ("91", "92", "93"):
        assert findings_of(app, uid) == []
        assert not account_status(app, account_id(app, uid), T).verifiable
