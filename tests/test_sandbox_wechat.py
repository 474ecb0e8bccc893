"""The sandbox's WeChat side, read with the product's own parsers, and compared marker by
marker with the real captured pages so the double cannot drift from reality."""
from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest

from monitor.sandbox import ScaleScenario, Scenario
from monitor.sandbox.registry import feed_url
from spiders.wechat import aboutbiz as aboutbiz_mod
from spiders.wechat.aboutbiz import parse_aboutbiz
from spiders.wechat.article import page_markers, parse_article
from spiders.wechat.feeds import parse_feed
from tests.fixtures.core import REAL_FIXTURES, T

BIZ = "MzA5MTExMTExMQ=="
CLIENT = {"x-wechat-uin": "MTAwMDAwMDAwMQ==", "x-wechat-key": "any"}  # WeChat-client credentials
KINDS = Scenario([{
    "platform": "wechat", "id": BIZ, "name": "样例公众号", "kind": "订阅号", "subject": "南通市样例局",
    "posts": [
        {"days_ago": 1, "kind": "original", "title": "原创文章"},
        {"days_ago": 2, "kind": "repost", "title": "转载文章", "source": "江苏发布"},
        {"days_ago": 3, "title": "已删除文章", "state": "deleted"},
        {"days_ago": 4, "title": "违规文章", "state": "violation", "reason": "由用户投诉并经平台审核，涉嫌过度营销、骚扰用户"},
        {"days_ago": 5, "title": "暂不可看文章", "state": "unavailable"},
        {"days_ago": 6, "kind": "original", "title": "带广告文章", "ad": True},
        {"days_ago": 7, "kind": "unknown", "title": "图片分享", "show_type": "image", "text": "图片分享配文\n第二行"},
        {"days_ago": 8, "kind": "unknown", "title": "文本分享", "show_type": "text", "text": "文本分享正文，含'引号'与&符号"},
        {"days_ago": 9, "title": "英文删除页", "state": "deleted_en"},
    ],
}], at=T)
PAIRS = [("原创文章", "mp_article_original_copyright_stat_1"),
         ("转载文章", "mp_article_reprint_copyright_stat_2"),
         ("已删除文章", "mp_article_deleted_by_publisher"),
         ("违规文章", "mp_article_violation_blocked"),
         ("暂不可看文章", "mp_article_temporarily_unavailable"),
         ("图片分享", "mp_article_image_share_show_type8_no_js_content_window_ct"),
         ("文本分享", "mp_article_text_share_show_type10_window_ct_window_biz"),
         ("英文删除页", "mp_article_deleted_english_variant")]


def real(stem: str) -> str:
    return (REAL_FIXTURES / "wechat" / f"{stem}.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def kinds_pages():
    """Each sandbox page of the KINDS scenario, by post title (one server for the module)."""
    from monitor.sandbox import SandboxServer, World

    with SandboxServer(World(KINDS)) as srv:
        feed = parse_feed(httpx.get(f"{srv.url}/feeds/rsshub/{BIZ}.xml").content)
        pages = {e.title: httpx.get(e.link, follow_redirects=True) for e in feed.entries}
        pages["aboutbiz"] = httpx.get(f"{srv.url}/wechat/mp/aboutbiz", params={"__biz": BIZ}, headers=CLIENT)
        pages["aboutbiz plain GET"] = httpx.get(f"{srv.url}/wechat/mp/aboutbiz", params={"__biz": BIZ})
        pages["aboutbiz expired key"] = httpx.get(f"{srv.url}/wechat/mp/aboutbiz", params={"__biz": BIZ},
                                                  headers={**CLIENT, "x-wechat-key": "expired-1"})
        yield {k: (r.status_code, r.text, str(r.url)) for k, r in pages.items()}


@pytest.mark.parametrize("title, stem", PAIRS)
def test_sandbox_article_pages_carry_exactly_the_markers_of_the_real_pages(kinds_pages, title, stem):
    status, html, _ = kinds_pages[title]
    assert status == 200
    assert page_markers(html) == page_markers(real(stem))


def test_sandbox_aboutbiz_carries_the_markers_of_the_real_page(kinds_pages):
    _, html, _ = kinds_pages["aboutbiz"]
    want = page_markers(real("mp_aboutbiz_verified_org_shanghai_fedtu"), aboutbiz_mod.MARKERS)
    assert page_markers(html, aboutbiz_mod.MARKERS) == want
    about = parse_aboutbiz(html)
    assert (about.verified, about.subject, about.verify_type) == (True, "南通市样例局", "政府")


@pytest.mark.parametrize("page, words", [("aboutbiz plain GET", "参数错误"), ("aboutbiz expired key", "密钥已过期")])
def test_sandbox_aboutbiz_without_client_credentials_is_an_error_page_never_not_verified(kinds_pages, page, words):
    status, html, _ = kinds_pages[page]
    about = parse_aboutbiz(html)
    assert status == 200 and (about.verified, about.state) == (None, "error-page")
    assert words in about.error and about.facts == {}


@pytest.mark.parametrize("title, stem", PAIRS)
def test_sandbox_pages_parse_like_their_real_counterparts(kinds_pages, title, stem):
    ours, theirs = parse_article(kinds_pages[title][1]), parse_article(real(stem))
    assert ours.state == theirs.state
    assert ours.kind == theirs.kind
    assert (ours.published_at is None) == (theirs.published_at is None)


def test_sandbox_article_facts_come_from_the_scenario(kinds_pages):
    acc = KINDS.account("wechat", BIZ)
    by_title = {p.title: p for p in acc.posts}
    page = parse_article(kinds_pages["原创文章"][1])
    assert page.published_at == by_title["原创文章"].published_at.replace(microsecond=0)
    assert (page.biz, page.nickname, page.time_field) == (BIZ, "样例公众号", "ct")
    assert page.ad_signals == []  # the ad-template noise is there, and ignored
    for title, show in (("图片分享", "image"), ("文本分享", "text")):
        share = parse_article(kinds_pages[title][1])
        assert (share.state, share.show_type, share.time_field) == ("ok", show, "window.ct")
        assert share.published_at == by_title[title].published_at.replace(microsecond=0)
        assert (share.biz, share.nickname) == (BIZ, "样例公众号")
        assert share.user_name and share.user_name.startswith("gh_")
        assert share.text == by_title[title].text
    assert {s["signal"] for s in parse_article(kinds_pages["带广告文章"][1]).ad_signals} >= {"product_card", "ad_label"}
    assert "涉嫌过度营销" in parse_article(kinds_pages["违规文章"][1]).reason


def test_feed_shapes_list_the_same_articles_with_their_own_date_conventions(sandbox):
    biz = "MzA5MDAwMDAwMQ=="
    acc = sandbox.world.scenario.account("wechat", biz)
    newest = sorted(acc.posts, key=lambda p: p.published_at, reverse=True)[:10]
    want = [p.published_at.replace(microsecond=0) for p in newest]
    shapes = {"wewe": ("wewe-rss", "updated"), "rsshub": ("rsshub", "published"),
              "wemp": ("we-mp-rss", "published")}
    links = set()
    for shape, (kind, field) in shapes.items():
        r = httpx.get(feed_url(sandbox.url, biz, shape))
        feed = parse_feed(r.content, str(r.url), r.headers["content-type"])
        assert feed.kind == kind
        assert [e.date.replace(microsecond=0) for e in feed.entries] == want
        assert {e.date_field for e in feed.entries} == {field}
        assert all(e.link.startswith(f"{sandbox.url}/wechat/s/") for e in feed.entries)
        links.add(tuple(e.link for e in feed.entries))
    assert len(links) == 1  # the same articles, whatever the shape
    wemp = httpx.get(f"{sandbox.url}/feeds/wemp/{biz}.xml").text
    assert "+0800" not in wemp and "GMT" not in wemp  # zone-less, as we-mp-rss writes them


def test_aggregator_feed_stamps_crawl_times_while_articles_are_old(sandbox):
    biz = "MzA5MDAwMDAwMw=="
    r = httpx.get(f"{sandbox.url}/feeds/aggregator/{biz}.json")
    feed = parse_feed(r.content, str(r.url), r.headers["content-type"])
    assert feed.format == "json" and len(feed.entries) == 3
    assert all(T - timedelta(days=1) < e.date <= T for e in feed.entries)
    article_ages = sorted(round((T - parse_article(httpx.get(e.link).text).published_at) / timedelta(days=1))
                          for e in feed.entries)
    assert article_ages == [30, 37, 44]


def test_links_use_the_host_the_client_asked_for(sandbox):
    r = httpx.get(feed_url(sandbox.url, 'MzA5MDAwMDAwMQ=='), headers={"Host": "feeds.example:8080"})
    assert all(e.link.startswith("http://feeds.example:8080/wechat/s/") for e in parse_feed(r.content).entries)


def test_feed_status_and_unknown_accounts(sandbox):
    assert httpx.get(feed_url(sandbox.url, 'MzA5MDAwMDAwNA==')).status_code == 500
    assert httpx.get(feed_url(sandbox.url, 'MzA5OTk5OTk5OQ==')).status_code == 400  # wewe-rss: 不存在该feed！
    r = httpx.get(f"{sandbox.url}/wechat/s/not-an-article-id")
    assert parse_article(r.text).state == "bad_url"


def test_articles_behind_the_captcha_redirect_and_are_counted_for_the_account(sandbox_factory):
    sc = Scenario([{"platform": "wechat", "id": BIZ, "name": "x", "articles_captcha": True,
                    "posts": [{"days_ago": 1}]}], at=T)
    srv = sandbox_factory(sc)
    [entry] = parse_feed(httpx.get(feed_url(srv.url, BIZ)).content).entries
    first = httpx.get(entry.link)
    assert first.status_code == 302 and "/wechat/mp/wappoc_appmsgcaptcha" in first.headers["location"]
    final = httpx.get(entry.link, follow_redirects=True)
    page = parse_article(final.text, str(final.url))
    assert page.state == "blocked"
    assert "环境异常" in final.text and 'id="js_verify"' in final.text
    assert page_markers(final.text) == {".weui-msg__title", ".weui-msg__desc"}
    assert srv.world.count(platform="wechat", account=BIZ) == 4  # feed, two article GETs, one captcha page


@pytest.mark.parametrize("fault, feed_status, article_state", [("500", 500, None), ("captcha", 200, "blocked")])
def test_injected_faults(sandbox_factory, fault, feed_status, article_state):
    srv = sandbox_factory(faults=f"1:{fault}")
    assert httpx.get(feed_url(srv.url, 'MzA5MDAwMDAwMQ==')).status_code == feed_status
    if article_state:
        healthy = sandbox_factory()
        link = parse_feed(httpx.get(feed_url(healthy.url, 'MzA5MDAwMDAwMQ==')).content).entries[0].link
        r = httpx.get(link.replace(healthy.url, srv.url), follow_redirects=True)
        assert parse_article(r.text, str(r.url)).state == article_state


def test_scale_accounts_are_served_lazily(sandbox_factory):
    srv = sandbox_factory(ScaleScenario(1_000_000, at=T))
    biz = "SCALE00999998"  # i % 3 == 2: a WeChat account near the end of a million
    started = time.perf_counter()
    r = httpx.get(feed_url(srv.url, biz))
    feed = parse_feed(r.content, str(r.url), r.headers["content-type"])
    page = parse_article(httpx.get(feed.entries[0].link).text)
    about = parse_aboutbiz(httpx.get(f"{srv.url}/wechat/mp/aboutbiz", params={"__biz": biz}, headers=CLIENT).text)
    assert time.perf_counter() - started < 5
    assert feed.kind == "wewe-rss" and page.state == "ok" and page.biz == biz
    assert about.subject == "规模测试单位999998"
