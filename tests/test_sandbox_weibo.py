"""The sandbox's m.weibo.cn double behaves like the real site: visitor wall, 432, 418,
since_id and page routes, pinned/repost/long posts, relative dates, the public page."""
from __future__ import annotations

import contextlib
import time

import httpx

from monitor.sandbox import Scenario
from spiders.weibo.cards import parse_long_text, parse_timeline
from spiders.weibo.payload import classify
from spiders.weibo.profile import parse_profile
from tests.fixtures.core import T


@contextlib.contextmanager
def visitor_client(base: str):
    """Walk the visitor step the way the page's JavaScript does."""
    with httpx.Client(base_url=base + "/weibo") as c:
        yield _through_visitor_step(c, base)


def _through_visitor_step(c: httpx.Client, base: str) -> httpx.Client:
    first = c.get("/", follow_redirects=False)
    assert first.status_code == 302 and "/weibo-passport/visitor/visitor?a=enter" in first.headers["location"]
    page = c.get(base + first.headers["location"])
    assert "Sina Visitor System" in page.text and "genvisitor2" in page.text and "navigator.webdriver" in page.text
    # A client that admits to being driven by automation gets no cookies.
    refused = c.post(base + "/weibo-passport/visitor/genvisitor2", data={"cb": "visitor_gray_callback", "webdriver": "true"})
    assert '"retcode": 50111' in refused.text and "SUB" not in c.cookies
    answer = c.post(base + "/weibo-passport/visitor/genvisitor2",
                    data={"cb": "visitor_gray_callback", "ver": "20250916", "webdriver": "false", "return_url": "/weibo/"})
    assert answer.text.startswith("window.visitor_gray_callback") and '"retcode": 20000000' in answer.text
    assert {"SUB", "SUBP", "SRT", "SRF"} <= set(c.cookies.keys())
    home = c.get("/", follow_redirects=False)
    assert home.status_code == 200 and "微博" in home.text
    return c


def test_api_answers_432_without_visitor_cookies_and_200_with_them(sandbox):
    with httpx.Client(base_url=sandbox.url + "/weibo") as bare:
        assert bare.get("/api/container/getIndex", params={"type": "uid", "value": "1000000001"}).status_code == 432
        bare.cookies.set("SUB", "forged")
        bare.cookies.set("SUBP", "forged")
        assert bare.get("/api/container/getIndex", params={"type": "uid", "value": "1000000001"}).status_code == 432
    with visitor_client(sandbox.url) as c:
        r = c.get("/api/container/getIndex", params={"type": "uid", "value": "1000000001"})
        profile = parse_profile(r.json())
    assert profile.screen_name == "南通发布" and profile.verified_reason == "南通市人民政府新闻办公室官方微博"
    assert profile.raw_followers == "145.0万" and profile.weibo_containerid == "1076031000000001"


def test_since_id_paging_and_page_route_serve_every_post_once(sandbox):
    acc = sandbox.world.scenario.account("weibo", "1000000001")
    expected = [p.id for p in acc.posts]
    with visitor_client(sandbox.url) as c:
        seen, since = [], None
        while True:
            params = {"containerid": "1076031000000001", **({"since_id": since} if since else {})}
            data = c.get("/api/container/getIndex", params=params).json()["data"]
            page = parse_timeline(data, T)
            seen += [p.id for p in page.posts]
            since = page.since_id
            if since is None:
                break
        assert seen == expected
        assert [p.pinned for p in parse_timeline(
            c.get("/api/container/getIndex", params={"containerid": "1076031000000001"}).json()["data"], T).posts][:2] == [True, False]
        by_page, n = [], 1
        while True:
            data = c.get("/api/container/getIndex", params={"containerid": "2304131000000001", "page": n}).json()["data"]
            if n == 1:
                assert any(card["card_type"] == 11 for card in data["cards"])
            by_page += [p.id for p in parse_timeline(data, T).posts]
            if "page" not in data["cardlistInfo"]:
                break
            n += 1
        assert by_page == expected


def test_posts_carry_the_real_markers(sandbox):
    with visitor_client(sandbox.url) as c:
        active = parse_timeline(c.get("/api/container/getIndex", params={"containerid": "1076031000000001"}).json()["data"], T)
        newest = active.posts[1]
        assert newest.created_at == "1小时前" and newest.time_precision == "hour"
        assert active.posts[2].created_at.startswith("昨天 ")
        long_post = next(p for p in active.posts if p.truncated)
        assert long_post.needs_long_text
        full = parse_long_text(c.get("/api/statuses/extend", params={"id": long_post.id}).json())
        assert "以下为重点条款解读" in full and len(full) > len(long_post.text_html)

        dormant = parse_timeline(c.get("/api/container/getIndex", params={"containerid": "1076031000000002"}).json()["data"], T)
        assert dormant.posts[0].pinned and (T - dormant.posts[0].published_at).days == 400
        assert (T - dormant.posts[1].published_at).days == 20

        reposts = []
        since = None
        for _ in range(5):
            data = c.get("/api/container/getIndex", params={"containerid": "1076031000000003",
                                                            **({"since_id": since} if since else {})}).json()["data"]
            page = parse_timeline(data, T)
            reposts += page.posts
            since = page.since_id
        assert {p.kind for p in reposts} == {"repost"}
        assert [p.retweeted["deleted"] for p in reposts].count(True) == 1

        ads = parse_timeline(c.get("/api/container/getIndex", params={"containerid": "1076031000000006"}).json()["data"], T)
        flagged = [p.text for p in ads.posts if p.ad_signals]
        assert len(flagged) == 1 and flagged[0].startswith("【广告】")


def test_blocked_captcha_unknown_and_rate_limit(sandbox_factory):
    sc = Scenario([{"platform": "weibo", "id": "31", "blocked": 418, "posts": []},
                   {"platform": "weibo", "id": "32", "captcha": True, "posts": []},
                   {"platform": "weibo", "id": "33", "unknown": True, "posts": []},
                   {"platform": "weibo", "id": "34", "posts": [{"days_ago": 1}]}], at=T)
    srv = sandbox_factory(scenario=sc)
    srv.world.state["weibo"].penalty_seconds = 0.3
    with visitor_client(srv.url) as c:
        def get(uid):
            r = c.get("/api/container/getIndex", params={"type": "uid", "value": uid})
            return classify(r.status_code, r.content)
        assert get("31").kind == "rate_limited" and "418" in get("31").reason
        assert get("32").kind == "blocked" and "passport.weibo.com" in get("32").reason
        assert get("33").kind == "placeholder"
        assert get("99").kind == "placeholder"
        statuses = [c.get("/api/container/getIndex", params={"type": "uid", "value": "34"}).status_code for _ in range(25)]
        assert 418 in statuses and statuses[0] == 200
        time.sleep(0.4)
        assert get("34").kind == "ok"
    assert srv.world.per_account("weibo")["34"] == 26


def test_faults_are_applied_to_get_index(sandbox_factory):
    srv = sandbox_factory(faults="1:500")
    with visitor_client(srv.url) as c:
        assert c.get("/api/container/getIndex", params={"type": "uid", "value": "1000000001"}).status_code == 500


def test_public_profile_page_needs_the_visitor_step_and_shows_name_and_dates(sandbox):
    with httpx.Client(base_url=sandbox.url + "/weibo") as bare:
        assert "/weibo-passport/visitor/visitor" in bare.get("/u/1000000002", follow_redirects=False).headers["location"]
    with visitor_client(sandbox.url) as c:
        page = c.get("/u/1000000002").text
        assert c.get("/u/1999999999").status_code == 404
    latest = sandbox.world.scenario.account("weibo", "1000000002").posts[1].published_at.astimezone(T.tzinfo)
    assert "崇川公安" in page and f"{latest:%Y-%m-%d %H:%M}" in page and "置顶" in page
