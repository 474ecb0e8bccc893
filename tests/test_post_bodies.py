"""The full text of every post, stored once: where it came from, never replaced by a weaker
one, never fetched again once stored (the crawls' request counts are in test_weibo_crawl
and test_wechat_spider; here the WeChat article asked again only while its body is missing)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from monitor.crawl import run_crawl
from monitor.evidence.warc_records import read_ref
from monitor.sandbox import Scenario
from monitor.sandbox.registry import feed_url
from spiders.items import TEXT_LIMIT, PostItem
from spiders.pipelines import upsert_posts
from spiders.wechat.feeds import parse_feed
from storage.db import make_engine, session_scope
from storage.models import Account, Post
from storage.texts import text_sha
from tests.fixtures.core import T, make_app


def _posts(engine, acc_id) -> dict[str, Post]:
    with session_scope(engine) as s:
        return {p.platform_post_id: p for p in s.scalars(select(Post).where(Post.account_id == acc_id))}


def test_a_full_body_is_never_replaced_by_a_partial_one(db_url):
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        acc = Account(name="南通发布", platform="weibo", host_unit="南通市人民政府新闻办公室", platform_id="1")
        s.add(acc)
        s.flush()
        acc_id = acc.id
    when = T - timedelta(days=1)

    def night(seen_at, *items):
        with session_scope(engine) as s:
            upsert_posts(s, [PostItem(acc_id, pid, when, text=text, text_source=src, ad_signals=ads)
                             for pid, text, src, ads in items], seen_at)

    full = "【通知】全文：" + "第一条。" * 50
    night(T - timedelta(days=1), ("L", "【通知】全文：第一条…全文", "card_truncated", []),
          ("F", "摘要", "feed", []), ("N", None, None, []))
    night(T, ("L", full, "extend", [{"kind": "label"}]), ("F", None, None, []), ("N", "订阅源摘要", "feed", []))
    night(T + timedelta(days=1), ("L", "【通知】全文：第一条…全文", "card_truncated", []),
          ("F", "摘要", "feed", []), ("N", "正文", "js_content", []))
    posts = _posts(engine, acc_id)
    # The long text stays, with what was derived from it; a later crawl's cut card does not win.
    assert (posts["L"].text, posts["L"].text_source, posts["L"].ad_signals) == (full, "extend", [{"kind": "label"}])
    assert posts["L"].text_sha == text_sha(None, full) and posts["L"].last_seen_at == T + timedelta(days=1)
    assert (posts["F"].text, posts["F"].text_source) == ("摘要", "feed")  # no text never erases some
    assert (posts["N"].text, posts["N"].text_source) == ("正文", "js_content")  # a full body wins
    # An edited full body replaces the old one (same strength), and an over-long one is cut, noted.
    night(T + timedelta(days=2), ("L", "改" * (TEXT_LIMIT + 5), "extend", []))
    edited = _posts(engine, acc_id)["L"]
    assert len(edited.text) == TEXT_LIMIT and edited.details["cut"] == {"text": TEXT_LIMIT + 5}
    engine.dispose()


RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><generator>RSSHub</generator>
<item><title>a</title><link>https://mp.weixin.qq.com/s/A</link>
<description><![CDATA[<p>\xe7\xac\xac\xe4\xb8\x80\xe6\xae\xb5 &amp; more</p><script>x()</script><p>second</p>]]></description>
<pubDate>Mon, 23 Nov 2026 02:00:00 GMT</pubDate></item></channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><title>a</title><id>A</id><link href="https://mp.weixin.qq.com/s/A"/><updated>2026-11-23T02:00:00Z</updated>
<summary>short</summary><content type="html">&lt;p&gt;long body&lt;/p&gt;&lt;p&gt;two&lt;/p&gt;</content></entry>
<entry><title>b</title><id>B</id><link href="https://mp.weixin.qq.com/s/B"/><updated>2026-11-22T02:00:00Z</updated></entry></feed>"""
JSON = ('{"version":"https://jsonfeed.org/version/1.1","title":"t","items":['
        '{"id":"1","url":"https://mp.weixin.qq.com/s/A","title":"a","content_text":"x < y\\n\\n z",'
        '"date_published":"2026-11-23T02:00:00+08:00"},'
        '{"id":"2","url":"https://mp.weixin.qq.com/s/B","title":"b","content_html":"<p>h&amp;i</p>",'
        '"date_published":"2026-11-22T02:00:00+08:00"}]}').encode()


def test_feed_entries_carry_their_text_as_plain_lines():
    assert [e.summary for e in parse_feed(RSS, "https://x/feed.xml").entries] == ["第一段 & more\nsecond"]
    assert [e.summary for e in parse_feed(ATOM, "https://x/feed.atom").entries] == ["long body\ntwo", None]
    assert [e.summary for e in parse_feed(JSON, "https://x/feed.json", "application/feed+json").entries] == [
        "x < y\nz", "h&i"]


def test_an_article_read_only_from_the_feed_is_asked_again_until_its_body_is_stored(sandbox_factory, sqlite_url,
                                                                                     tmp_path):
    biz = "MzA5NDAwMDAwMQ=="
    sc = Scenario([{"platform": "wechat", "id": biz, "name": "验证码号", "subject": "某单位", "articles_captcha": True,
                    "posts": [{"days_ago": 2, "text": "第一段正文。\n第二段正文。"}]}], at=T)
    srv = sandbox_factory(sc)
    app = make_app(sqlite_url, tmp_path, **srv.config_overrides(), crawl={"delay": 0, "autothrottle": False,
                                                                           "retries": 0})
    with app.session() as s:
        s.add(Account(name="验证码号", platform="wechat", wechat_kind="订阅号", host_unit="某单位", platform_id=biz,
                      feed_url=feed_url(srv.url, biz, "rsshub")))

    def night(at):
        srv.world.clear_log()
        assert run_crawl(app, at, ["wechat"]).ok
        with app.session() as s:
            [post] = s.scalars(select(Post))
            return post, srv.world.count(path_prefix="/wechat/s/")

    post, asked = night(T)  # the page answers the captcha: the feed's description is the body for now
    assert (post.text, post.text_source, post.state, asked) == ("第一段正文。\n第二段正文。", "feed", "unfetched", 1)
    assert "/feeds/rsshub/" in read_ref(app.settings.warc_dir, post.text_capture).target_uri
    sc.account("wechat", biz).spec["articles_captcha"] = False
    post, asked = night(T + timedelta(hours=1))
    assert (post.text, post.text_source, post.state, asked) == ("第一段正文。\n第二段正文。", "js_content", "ok", 1)
    # What the text was read from, kept for the evidence: the article page itself.
    assert "/wechat/s/" in read_ref(app.settings.warc_dir, post.text_capture).target_uri
    post, asked = night(T + timedelta(hours=2))
    assert (post.text_source, asked) == ("js_content", 0)
