"""``monitor inspect`` on WeChat payloads: every real capture in shared/fixtures/real/wechat/
(kind detected, state, publish time and its source, 原创 status, account ids, 认证主体), and
the sandbox's wewe-rss feed list with a stale feed."""
from __future__ import annotations

import json

import httpx
import pytest

from monitor.sandbox import Scenario
from monitor.sandbox.registry import feed_url
from tests.fixtures.core import T

AT = T.isoformat()
# file stem → (kind, classification, publish time, its source, 原创, biz, user_name)
ARTICLES = {
    "mp_article_original_copyright_stat_1": (
        "ok", "2025-11-11T12:09:03+08:00", "ct", "原创", "MzIzOTkwMjM0OQ==", "gh_c4896fefddbf", "article"),
    "mp_article_reprint_copyright_stat_2": (
        "ok", "2025-11-06T08:55:11+08:00", "ct", "转载", "MzIyNjMxOTY0NA==", "gh_fe02be2b2ff0", "article"),
    "mp_article_image_share_show_type8_no_js_content_window_ct": (
        "ok", "2026-05-23T11:29:46+08:00", "window.ct", "未标明", "MzI2NDk5NzA0Mw==", "gh_240fbf8b33e4", "image"),
    "mp_article_text_share_show_type10_window_ct_window_biz": (
        "ok", "2025-12-07T19:29:45+08:00", "window.ct", "未标明", "MzIyNjMxOTY0NA==", "gh_fe02be2b2ff0", "text"),
}
FAILURES = {
    "mp_article_deleted_by_publisher": ("deleted", "该内容已被发布者删除"),
    "mp_article_deleted_english_variant": ("deleted", "The content has been deleted by the author."),
    "mp_article_violation_blocked": ("violation", "由用户投诉并经平台审核"),
    "mp_article_temporarily_unavailable": ("unavailable", "该内容暂时无法查看"),
}
ABOUT = {
    "mp_aboutbiz_verified_org_shanghai_fedtu": ("上海市总工会", "其他组织"),
    "mp_aboutbiz_shiye_danwei_zhuti_leixing_plus_renzheng_zhuti": ("北京市第五十四中学", "事业单位"),
}


def inspect(run_cli, *args):
    r = run_cli("inspect", *args, "--at", AT, "--format", "json")
    assert r.exit_code == 0, r.stderr + r.stdout
    return json.loads(r.stdout)


def test_every_real_wechat_capture_is_covered_here(real_fixtures):
    on_disk = {p.stem for p in (real_fixtures / "wechat").glob("*.html")}
    assert on_disk == set(ARTICLES) | set(FAILURES) | set(ABOUT)


@pytest.mark.parametrize("stem", sorted(ARTICLES))
def test_real_article_pages_read_with_time_source_original_and_ids(run_cli, real_fixtures, stem):
    got = inspect(run_cli, real_fixtures / "wechat" / f"{stem}.html")
    state, when, source, original, biz, user_name, show = ARTICLES[stem]
    assert (got["kind"], got["detected"], got["classification"]) == ("wechat-article", True, state)
    f = got["facts"]
    assert (f["published_at"], f["time_source"], f["原创"]) == (when, source, original)
    assert (f["biz"], f["user_name"], f["show_type"]) == (biz, user_name, show)
    assert f["text"]  # the share's text comes from content_noencode, not the empty placeholder


@pytest.mark.parametrize("stem", sorted(FAILURES))
def test_real_failure_pages_in_both_languages(run_cli, real_fixtures, stem):
    got = inspect(run_cli, real_fixtures / "wechat" / f"{stem}.html")
    state, words = FAILURES[stem]
    assert (got["kind"], got["classification"]) == ("wechat-article", state)
    assert words in got["reason"] and got["facts"] == {}


@pytest.mark.parametrize("stem", sorted(ABOUT))
def test_real_aboutbiz_pages_give_the_renzheng_zhuti_whatever_the_rows(run_cli, real_fixtures, stem):
    got = inspect(run_cli, real_fixtures / "wechat" / f"{stem}.html")
    subject, kind = ABOUT[stem]
    assert (got["kind"], got["classification"]) == ("wechat-aboutbiz", "ok")
    assert (got["facts"]["verified"], got["facts"]["认证主体"], got["facts"]["type"]) == ("verified", subject, kind)


def test_captcha_and_the_credential_less_aboutbiz_error_page(run_cli, tmp_path, sandbox):
    captcha = tmp_path / "captcha.html"
    captcha.write_text(httpx.get(f"{sandbox.url}/wechat/mp/wappoc_appmsgcaptcha?poc_token=x").text, encoding="utf-8")
    got = inspect(run_cli, captcha, "--as", "wechat-article")
    assert got["classification"] == "captcha" and "环境异常" in got["reason"]
    error = tmp_path / "aboutbiz.html"
    error.write_text(httpx.get(f"{sandbox.url}/wechat/mp/aboutbiz", params={"__biz": "MzA5MDAwMDAwMQ=="}).text,
                     encoding="utf-8")
    got = inspect(run_cli, error, "--as", "wechat-aboutbiz")
    assert got["classification"] == "error-page" and got["facts"]["verified"] == "unknown"
    assert "参数错误" in got["reason"] and "认证主体" not in got["facts"]


def test_feeds_and_the_wewe_rss_feed_list(run_cli, tmp_path, sandbox_factory):
    srv = sandbox_factory(Scenario([
        {"platform": "wechat", "id": "MzA5NTAwMDAwMQ==", "name": "同步正常号", "posts": [{"every_days": 2}]},
        {"platform": "wechat", "id": "MzA5NTAwMDAwMg==", "name": "停止同步号", "wewe_stale_days": 20,
         "posts": [{"every_days": 2}]}], at=T))
    feed = tmp_path / "feed.atom"
    feed.write_bytes(httpx.get(feed_url(srv.url, "MzA5NTAwMDAwMQ==")).content)
    got = inspect(run_cli, feed)
    assert (got["kind"], got["classification"], got["facts"]["feed_kind"]) == ("wechat-feed", "ok", "wewe-rss")
    assert len(got["posts"]) == 10 and {p["date_field"] for p in got["posts"]} == {"updated"}
    listing = tmp_path / "feeds.json"
    listing.write_bytes(httpx.get(f"{srv.url}/wewe-rss/main/feeds/").content)
    got = inspect(run_cli, listing)
    assert (got["kind"], got["classification"]) == ("wechat-feed-list", "stale")
    states = {p["name"]: p["state"] for p in got["posts"]}
    assert states == {"同步正常号": "syncing", "停止同步号": "stale"}
    bad = tmp_path / "bad.atom"
    bad.write_text("<rss><channel><title>x", encoding="utf-8")
    assert inspect(run_cli, bad, "--as", "wechat-feed")["classification"] == "error"
