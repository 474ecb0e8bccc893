"""What one list of 头条/抖音/快手 works proves: dated leading works cover a span, pinned works
never do, undated works show activity but never prove silence; RSSHub's error answers."""
from __future__ import annotations

from datetime import timedelta

from spiders.shortvideo.listing import infer_pinned, rsshub_failure, verdict
from spiders.shortvideo.payloads import VideoPost, read_answer
from tests.fixtures.core import T, TZ


def _post(i, days_ago=None, pinned=False):
    return VideoPost(str(i), None if days_ago is None else T - timedelta(days=days_ago), None, pinned=pinned)


def test_an_old_pinned_work_leading_a_feed_never_stretches_the_covered_span():
    posts = [_post(0, 400), _post(1, 1), _post(2, 3), _post(3, 9)]
    infer_pinned(posts)
    assert posts[0].pinned and posts[0].details == {"pinned_inferred": True}
    v = verdict(posts, T, 14)
    assert (v.outcome, v.covered_from) == ("ok", T - timedelta(days=9))


def test_undated_works_show_activity_only_with_a_dated_one_in_the_window():
    assert verdict([_post(0), _post(1, 2)], T, 14).outcome == "ok"  # active: a dated work 2 days ago
    assert verdict([_post(0), _post(1, 2)], T, 14).covered_from is None  # … but no span is proven
    v = verdict([_post(0), _post(1), _post(2, 40)], T, 14)
    assert v.outcome == "error" and v.reason.startswith("untimed_items: 2 of 3 works have no publish time")
    assert verdict([], T, 14).reason.startswith("feed_empty")
    assert verdict([], T, 14, post_count=0).exhaustive  # the profile itself says: nothing published


def test_rsshub_error_answers():
    page = (b"<!DOCTYPE html><html><head><title>Error in RSSHub!</title></head><body><h1>Looks like something went "
            b"wrong</h1><pre class=\"message\">Error Message: Error: \xe9\xaa\x8c\xe8\xaf\x81\xe7\xa0\x81\xe4\xb8\xad"
            b"\xe9\x97\xb4\xe9\xa1\xb5</pre></body></html>")
    assert rsshub_failure(503, page, "text/html")[0] == "blocked"
    assert rsshub_failure(200, page, "text/html")[0] == "blocked"  # an error page is never a feed
    assert rsshub_failure(503, b"<html>Bad gateway</html>", "text/html") == ("error", "rsshub_error: HTTP 503")
    assert rsshub_failure(200, b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>", "application/xml") is None


def test_platform_json_answers():
    assert read_answer("douyin", "https://www.douyin.com/aweme/v1/web/aweme/post/?a=1", 200, b"", TZ).reason \
        .startswith("waf_empty")
    r = read_answer("douyin", "https://www.douyin.com/aweme/v1/web/aweme/post/", 200,
                    b'{"status_code":0,"aweme_list":[{"aweme_id":"7","desc":"d","create_time":1764000000,"is_top":1,'
                    b'"author":{"nickname":"n","enterprise_verify_reason":""}}]}', TZ)
    assert r.posts[0].pinned and r.posts[0].published_at.tzinfo is not None
    assert (r.profile.verified, r.profile.verification) == (False, None)  # the page shows no 认证: not verified
    assert read_answer("kuaishou", "https://www.kuaishou.com/graphql", 200,
                       b'{"data":{"visionProfilePhotoList":{"result":2,"feeds":[]}}}', TZ).outcome == "blocked"
    assert read_answer("toutiao", "https://www.toutiao.com/api/pc/list/feed?x", 200, b"{}", TZ).outcome == "error"
    assert read_answer("douyin", "https://www.douyin.com/other", 200, b"", TZ) is None


def test_monitor_inspect_reads_saved_video_answers(tmp_path):
    from monitor.inspect import inspect_file

    saved = tmp_path / "aweme_post.json"
    saved.write_bytes(b'{"status_code":0,"has_more":0,"aweme_list":[{"aweme_id":"7","create_time":1764000000,'
                      b'"author":{"nickname":"n","enterprise_verify_reason":"\xe5\x8d\x97\xe9\x80\x9a"}}]}')
    got = inspect_file(saved, T)
    assert got["kind"] == "douyin-aweme-post" and got["facts"]["认证信息"] == "南通"
    empty = tmp_path / "waf.json"
    empty.write_bytes(b"")
    got = inspect_file(empty, T, kind="douyin-aweme-post")
    assert (got["classification"], got["reason"].split(":")[0]) == ("blocked", "waf_empty")


def test_verification_rule_on_video_accounts(app, history):
    from monitor.detectors import run_detection
    from tests.test_detect_content import found

    right = history.account(name="南通公安", platform="douyin", host_unit="南通市公安局", observed_verified=True,
                            observed_verified_reason="南通市公安局官方账号")
    wrong = history.account(name="海门发布", platform="douyin", host_unit="海门区人民政府新闻办公室",
                            observed_verified=True, observed_verified_reason="海门发布官方账号")
    bare = history.account(name="南通发布", platform="toutiao", host_unit="南通市人民政府新闻办公室",
                           observed_verified=False)
    unknown = history.account(name="如东文旅", platform="kuaishou", host_unit="如东县文化广电和旅游局")
    for aid in (right, wrong, bare, unknown):
        history.daily_posts(aid)
    run_detection(app, T)
    rule = "ded.irregular_verification"
    assert [a for a in (right, wrong, bare, unknown) if any(r[0] == rule for r in found(app, a))] == [wrong, bare]
