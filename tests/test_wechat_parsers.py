"""WeChat parsers on the real captured pages (shared/fixtures/real/wechat/) and on feeds in
each shape real deployments produce (research §2.2; no licensed real feed exists, so the
feeds here are written from the documented shapes)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from spiders.wechat.aboutbiz import parse_aboutbiz
from spiders.wechat.article import parse_article
from spiders.wechat.feeds import FeedError, parse_feed
from spiders.wechat.timing import ItemTime, choose_time, feed_verdict
from spiders.wechat.urls import aboutbiz_url, looks_like_biz, normalise_article_url
from tests.fixtures.core import TZ, T


@pytest.fixture(scope="module")
def wechat_pages():
    from tests.fixtures.core import REAL_FIXTURES

    folder = REAL_FIXTURES / "wechat"
    if not folder.is_dir():
        pytest.fail(f"real WeChat captures not found at {folder}")
    return {p.stem: p.read_text(encoding="utf-8") for p in folder.glob("*.html")}


# ── article pages (real) ────────────────────────────────────────────────────
def test_original_article_gives_its_own_publish_time_account_and_original_mark(wechat_pages):
    page = parse_article(wechat_pages["mp_article_original_copyright_stat_1"])
    assert page.state == "ok"
    assert page.published_at == datetime(2025, 11, 11, 12, 9, 3, tzinfo=TZ)
    assert int(page.published_at.timestamp()) == 1762834143
    assert page.time_field == "ct"
    assert (page.biz, page.nickname, page.user_name) == ("MzIzOTkwMjM0OQ==", "印记中文", "gh_c4896fefddbf")
    assert (page.mid, page.idx) == ("2247544521", "1")
    assert page.kind == "original"
    assert page.title.startswith("前端播客周刊 #026")
    assert page.text.startswith("本期看点")


def test_ad_template_javascript_on_every_real_page_is_not_an_ad_signal(wechat_pages):
    html = wechat_pages["mp_article_original_copyright_stat_1"]
    assert "nick_name: '微信广告'" in html and "广告文案或辅助信息" in html  # the noise is there
    page = parse_article(html)
    assert page.ad_signals == []
    assert "微信广告" not in page.text and "transformText" not in page.text


def test_reprint_is_a_repost_with_its_own_time(wechat_pages):
    page = parse_article(wechat_pages["mp_article_reprint_copyright_stat_2"])
    assert page.state == "ok"
    assert page.kind == "repost"
    assert int(page.published_at.timestamp()) == 1762390511
    assert page.nickname == "轩辕的编程宇宙"


@pytest.mark.parametrize("stem, state, words", [
    ("mp_article_deleted_by_publisher", "deleted", "该内容已被发布者删除"),
    ("mp_article_violation_blocked", "violation", "涉嫌过度营销、骚扰用户"),
    ("mp_article_temporarily_unavailable", "unavailable", "该内容暂时无法查看"),
])
def test_failure_pages_get_their_own_state_and_reason(wechat_pages, stem, state, words):
    page = parse_article(wechat_pages[stem])
    assert page.state == state
    assert words in page.reason
    assert page.published_at is None


def test_violation_keeps_the_platform_reason_text(wechat_pages):
    page = parse_article(wechat_pages["mp_article_violation_blocked"])
    assert page.reason.startswith("此内容因违规无法查看：由用户投诉并经平台审核")


def test_aboutbiz_gives_verification_type_and_subject(wechat_pages):
    about = parse_aboutbiz(wechat_pages["mp_aboutbiz_verified_org_shanghai_fedtu"])
    assert about.verified is True
    assert about.subject == "上海市总工会"
    assert about.verify_type == "其他组织"
    assert about.facts == {"微信号": "shengongshewx", "认证类型": "其他组织", "认证主体": "上海市总工会"}


# ── article pages (variants the real captures do not cover) ────────────────
CAPTCHA = """<html><head><title>Weixin Official Accounts Platform</title></head><body>
<div class="weui-msg"><div class="weui-msg__text-area"><h2 class="weui-msg__title">环境异常</h2>
<p class="weui-msg__desc">当前环境异常，完成验证后即可继续访问。</p>
<a id="js_verify" class="weui-btn weui-btn_primary">去验证</a></div></div>
<iframe id="tcaptcha_iframe_dy"></iframe></body></html>"""


def test_captcha_page_is_blocked_before_anything_else():
    assert parse_article(CAPTCHA).state == "blocked"
    # Redirected to the captcha URL: blocked whatever the body says.
    assert parse_article("<html><body>x</body></html>",
                         "https://mp.weixin.qq.com/mp/wappoc_appmsgcaptcha?poc_token=1").state == "blocked"


def test_words_inside_scripts_do_not_classify_a_page(wechat_pages):
    # Real article pages carry 店铺已注销 / 已被封禁 / 违规 inside their JavaScript.
    html = wechat_pages["mp_article_reprint_copyright_stat_2"]
    assert "店铺已注销" in html
    assert parse_article(html).state == "ok"


@pytest.mark.parametrize("text, state", [
    ("此帐号已被屏蔽, 内容无法查看", "account_banned"),
    ("此帐号已注销, 内容无法查看", "account_closed"),
    ("参数错误", "bad_url"),
    ("<p>something else</p>", "unknown"),
])
def test_account_and_link_failures(text, state):
    assert parse_article(f"<html><body><div class='global_error_msg'>{text}</div></body></html>").state == state


def _page(script: str, body: str = "<p>正文</p>", extra: str = "") -> str:
    return f"<html><body><script>{script}</script>{extra}<div id='js_content' style='visibility: hidden;'>{body}</div></body></html>"


@pytest.mark.parametrize("script, field", [
    ('var create_time = "1766049188" * 1;', "create_time"),
    ("window.ct = '1766049188' || '';", "window.ct"),
    ("window.cgiDataNew = { create_timestamp: '1766049188' * 1 };", "cgiDataNew.create_timestamp"),
])
def test_publish_time_fallbacks(script, field):
    page = parse_article(_page(script))
    assert int(page.published_at.timestamp()) == 1766049188
    assert page.time_field == field


def test_cgidatanew_local_time_is_beijing_time():
    page = parse_article(_page("window.cgiDataNew = { create_time: JsDecode('2025-11-11 12:09') };"))
    assert page.published_at == datetime(2025, 11, 11, 12, 9, tzinfo=TZ)


def test_var_ct_wins_over_the_later_markers():
    page = parse_article(_page('var create_time = "1700000000" * 1; var ct = "1762834143";'))
    assert int(page.published_at.timestamp()) == 1762834143


def test_markers_are_whole_words_only():
    # Another script's ``data_var ct`` / ``mywindow.ct`` is not the article's time; the real
    # marker further on is, and 留言 is read from the first comment_enabled that says something.
    page = parse_article(_page("data_var ct = '1600000000'; mywindow.ct = '1600000001'; "
                               "x_comment_enabled: '0' * 1; comment_enabled: '' * 1; "
                               "window.ct = '1766049188'; comment_enabled: '1' * 1;"))
    assert (int(page.published_at.timestamp()), page.time_field) == (1766049188, "window.ct")
    assert page.comment_enabled is True


def test_reprint_by_card_or_source_line_and_unknown_otherwise():
    card = ("<div class='original_area_primary'><p class='original_primary_card_tips'>"
            "<span>以下文章来源于江苏发布</span><span>，作者江苏发布</span></p></div>")
    assert parse_article(_page("", extra=card)).kind == "repost"
    assert parse_article(_page("", body="<p>正文内容</p><p>来源：南通日报</p>")).kind == "repost"
    assert parse_article(_page("", extra="<span id='copyright_logo'>原创</span>")).kind == "original"
    assert parse_article(_page("")).kind == "unknown"


def test_ad_signals_come_from_the_body_only():
    noise = "var extraText = '广告文案或辅助信息'; var x = {nick_name: '微信广告'};"
    assert parse_article(_page(noise)).ad_signals == []
    body = "<p>广告</p><mpcps data-planid='1'></mpcps><a href='https://item.jd.com/1.html'>购买</a>"
    signals = {s["signal"] for s in parse_article(_page(noise, body=body)).ad_signals}
    assert signals == {"product_card", "ad_label", "shop_link"}


# ── URLs ─────────────────────────────────────────────────────────────────────
def test_short_and_permanent_links_normalise_to_one_key():
    short = normalise_article_url("https://mp.weixin.qq.com/s/SbB40tES2MrfoNaIPima5A?scene=1&from=timeline")
    assert short.post_id == "SbB40tES2MrfoNaIPima5A"
    assert short.url == "https://mp.weixin.qq.com/s/SbB40tES2MrfoNaIPima5A"
    long = normalise_article_url("http://mp.weixin.qq.com/s?__biz=MzIzOTkwMjM0OQ==&amp;mid=2247544521&amp;idx=1"
                                 "&amp;sn=2e4c044f57dc65cc3a10f47f26098a9b&amp;chksm=e921#wechat_redirect")
    alias = normalise_article_url("https://mp.weixin.qq.com/s?__biz=MzIzOTkwMjM0OQ==\\x26appmsgid=2247544521"
                                  "\\x26itemidx=1\\x26sign=2e4c044f57dc65cc3a10f47f26098a9b")
    assert long.post_id == alias.post_id == "2247544521_1"
    assert long.url == ("http://mp.weixin.qq.com/s?__biz=MzIzOTkwMjM0OQ==&mid=2247544521&idx=1"
                        "&sn=2e4c044f57dc65cc3a10f47f26098a9b")


def test_links_move_to_the_configured_base_and_non_articles_are_refused():
    ref = normalise_article_url("https://mp.weixin.qq.com/s/SbB40tES2MrfoNaIPima5A", "http://127.0.0.1:9/wechat")
    assert ref.url == "http://127.0.0.1:9/wechat/s/SbB40tES2MrfoNaIPima5A"
    assert normalise_article_url("https://example.gov.cn/news/1.html") is None
    assert normalise_article_url("https://mp.weixin.qq.com/s?__biz=MzI=&mid=1") is None  # no idx
    assert normalise_article_url("") is None


def test_aboutbiz_url_and_biz_recognition():
    assert aboutbiz_url("https://mp.weixin.qq.com/", "MjM5ODMxNzE2NQ==") == \
        "https://mp.weixin.qq.com/mp/aboutbiz?__biz=MjM5ODMxNzE2NQ=="
    assert looks_like_biz("MjM5ODMxNzE2NQ==")
    assert not looks_like_biz("shengongshewx") and not looks_like_biz("gh_c4896fefddbf")


# ── feeds ────────────────────────────────────────────────────────────────────
WEWE_ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
    <id>https://rss.example/feeds/MP_WXS_3090000001.atom</id><title>南通教育</title>
    <updated>2026-11-24T05:14:29.388Z</updated><generator>WeWe-RSS</generator>
    <entry><title type="html"><![CDATA[第一篇]]></title><id>SbB40tES2MrfoNaIPima5A</id>
        <link href="https://mp.weixin.qq.com/s/SbB40tES2MrfoNaIPima5A"/>
        <updated>2026-11-24T05:14:29.388Z</updated></entry>
</feed>""".encode()
RSSHUB = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>海安健康</title>
<generator>RSSHub</generator><item><title>a</title><link>https://mp.weixin.qq.com/s/E3JvmKP-xo89ayESjH2Uvw</link>
<pubDate>Sat, 21 Nov 2026 18:00:00 GMT</pubDate></item></channel></rss>""".encode()
WEMP = """<?xml version='1.0' encoding='utf-8'?>
<rss version="2.0"><channel><title>x</title><generator>Mp-We-Rss</generator><lastBuildDate>Wed, 25 Nov 2026 02:00:00 </lastBuildDate>
<item><id>1</id><title>a</title><guid>https://mp.weixin.qq.com/s/AAAAAAAAAAAA</guid><link>https://mp.weixin.qq.com/s/AAAAAAAAAAAA</link>
<pubDate>Tue, 24 Nov 2026 13:14:29 </pubDate></item></channel></rss>""".encode()
WEWE_JSON = ('{"version":"https://jsonfeed.org/version/1","title":"南通教育","home_page_url":"https://rss.example",'
             '"feed_url":"https://rss.example/feeds/MP_WXS_3090000001.json","items":[{"id":"SbB40tES2MrfoNaIPima5A",'
             '"url":"https://mp.weixin.qq.com/s/SbB40tES2MrfoNaIPima5A","title":"t",'
             '"date_modified":"2026-11-24T05:14:29.388Z"}]}').encode()


def test_wewe_atom_uses_updated_when_there_is_no_published():
    feed = parse_feed(WEWE_ATOM, "https://rss.example/feeds/MP_WXS_3090000001.atom")
    assert (feed.kind, feed.format) == ("wewe-rss", "atom")
    [e] = feed.entries
    assert e.date == datetime(2026, 11, 24, 13, 14, 29, tzinfo=TZ)
    assert e.date_field == "updated"
    assert e.link == "https://mp.weixin.qq.com/s/SbB40tES2MrfoNaIPima5A"


def test_rsshub_pubdate_rfc822():
    feed = parse_feed(RSSHUB, "https://rsshub.example/wechat/x")
    assert feed.kind == "rsshub"
    assert feed.entries[0].date == datetime(2026, 11, 22, 2, 0, tzinfo=TZ)


def test_we_mp_rss_zone_less_dates_are_beijing_time_not_utc():
    feed = parse_feed(WEMP, "https://wemp.example/rss/1")
    assert feed.kind == "we-mp-rss"
    e = feed.entries[0]
    assert e.date == datetime(2026, 11, 24, 13, 14, 29, tzinfo=TZ)  # not 21:14, not 05:14
    assert e.zone_assumed


def test_json_feed_is_read_without_feedparser():
    feed = parse_feed(WEWE_JSON, "https://rss.example/feeds/MP_WXS_3090000001.json", "application/json")
    assert (feed.kind, feed.format) == ("wewe-rss", "json")
    assert feed.entries[0].date == datetime(2026, 11, 24, 13, 14, 29, 388000, tzinfo=TZ)
    assert feed.entries[0].date_field == "date_modified"
    generic = parse_feed(WEWE_JSON.replace(b"MP_WXS_", b"x"), "https://agg.example/a.json")
    assert generic.kind == "json-feed"


@pytest.mark.parametrize("body, words", [
    (WEWE_ATOM[:300], "malformed feed"),
    (b"<html><body><p>\xe7\x99\xbb\xe5\xbd\x95</p></body></html>", "not a feed"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "malformed JSON Feed"),
    (b'{"hello": 1}', "malformed JSON Feed"),
    (b"", "empty"),
])
def test_malformed_feeds_raise_with_the_reason(body, words):
    with pytest.raises(FeedError) as err:
        parse_feed(body, "https://rss.example/feeds/x.atom")
    assert words in str(err.value)


def test_truncated_feed_reason_is_feedparsers():
    with pytest.raises(FeedError) as err:
        parse_feed(WEWE_ATOM[:300])
    # feedparser's own words (where and what), not a generic message.
    import feedparser

    assert str(err.value) == f"malformed feed: {feedparser.parse(WEWE_ATOM[:300]).bozo_exception}"
    assert "unclosed" in str(err.value)


# ── which time wins ─────────────────────────────────────────────────────────
def test_article_time_wins_and_feed_dates_only_from_trusted_kinds():
    article, feed_date = T - timedelta(days=30), T - timedelta(hours=3)
    assert choose_time(article, feed_date, "json-feed", ["wewe-rss"]) == (article, "article")
    assert choose_time(None, feed_date, "wewe-rss", ["wewe-rss"]) == (feed_date, "feed")
    assert choose_time(None, feed_date, "json-feed", ["wewe-rss"]) == (None, "none")


def test_feed_verdict_covers_only_the_leading_dated_run():
    t = [T - timedelta(days=d) for d in (1, 5, 9, 20)]
    items = [ItemTime("a", t[0], "article"), ItemTime("b", t[1], "article"),
             ItemTime("c", None, "none", "captcha"), ItemTime("d", t[3], "article")]
    v = feed_verdict(items, T)
    assert (v.outcome, v.covered_from) == ("ok", t[1])


def test_feed_verdict_undated_newest_items_cannot_prove_silence():
    old = ItemTime("d", T - timedelta(days=30), "article")
    v = feed_verdict([ItemTime("a", None, "none", "captcha"), ItemTime("b", None, "none", "captcha"), old], T)
    assert v.outcome == "blocked" and v.reason == "articles_unverifiable: captcha ×2"
    recent = ItemTime("r", T - timedelta(days=2), "article")
    v = feed_verdict([ItemTime("a", None, "none", "http 500"), recent], T)
    assert (v.outcome, v.covered_from) == ("ok", None)  # updated, but no empty week proven
    assert feed_verdict([ItemTime("a", None, "none", "http 500")], T).outcome == "error"
    assert feed_verdict([], T).outcome == "error"
