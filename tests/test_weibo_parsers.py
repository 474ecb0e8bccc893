"""Weibo parsers on the real m.weibo.cn captures (shared/fixtures/real/weibo) and on the
date forms the API uses."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from spiders.weibo.cards import ad_signals, parse_timeline
from spiders.weibo.dates import DateFormatError, parse_created_at
from spiders.weibo.errors import LayoutError
from spiders.weibo.payload import classify
from spiders.weibo.profile import parse_count, parse_profile
from tests.fixtures.core import TZ

# The capture was taken in June 2021; read its dates against a clock of that time.
CAPTURE_NOW = datetime(2021, 6, 18, 12, 0, tzinfo=TZ)


def load(real_fixtures, name):
    return json.loads((real_fixtures / "weibo" / name).read_text(encoding="utf-8"))


def test_real_timeline_pinned_repost_long_posts(real_fixtures):
    raw = load(real_fixtures, "m_weibo_cn_getIndex_107603_timeline.json")
    page = parse_timeline(raw["data"], CAPTURE_NOW)
    assert len(page.posts) == 11
    assert page.since_id == "4646131823281332" and page.total == 1221

    pinned = page.posts[0]
    assert pinned.id == "4645748019299849" and pinned.pinned
    assert pinned.published_at == datetime(2021, 6, 8, 9, 35, 4, tzinfo=TZ)
    # The pinned post is older than the next one: it must not pass for the latest post.
    assert pinned.published_at < page.posts[1].published_at
    assert [p.id for p in page.posts if p.pinned] == ["4645748019299849"]

    repost = next(p for p in page.posts if p.id == "4648806186747944")
    assert repost.kind == "repost"
    assert repost.retweeted == {"id": "4645748019299849", "deleted": False, "user": "明日方舟Arknights",
                                "text": repost.retweeted["text"]}
    assert [p.kind for p in page.posts].count("repost") == 1

    long_post = next(p for p in page.posts if p.id == "4649031014551911")
    assert long_post.truncated and long_post.text.endswith("全文")
    # Cut at 全文: its full text (for the text check and the ads detector) is read once.
    assert long_post.needs_long_text and long_post.text_source == "card_truncated"
    assert [p.id for p in page.posts if p.needs_long_text] == [p.id for p in page.posts if p.truncated]
    assert next(p for p in page.posts if not p.truncated).text_source == "card"
    assert page.posts[1].published_at == datetime(2021, 6, 17, 16, 0, 11, tzinfo=TZ)
    assert all(p.published_at.utcoffset() == timedelta(hours=8) for p in page.posts)


def test_real_profile(real_fixtures):
    profile = parse_profile(load(real_fixtures, "m_weibo_cn_getIndex_type_uid_profile.json"))
    assert profile.uid == "6279793937"
    assert profile.screen_name == "明日方舟Arknights"
    assert profile.verified is True and profile.verified_type == 2
    assert profile.verified_reason == "上海鹰角网络科技有限公司"
    assert profile.statuses_count == 1553
    assert profile.raw_followers == "145.5万" and profile.followers_count == 1_455_000
    assert profile.follow_count == 34
    assert profile.weibo_containerid == "1076036279793937"


def test_real_placeholder_is_not_an_empty_timeline(real_fixtures):
    body = (real_fixtures / "weibo" / "m_weibo_cn_getIndex_ok0_empty.json").read_bytes()
    got = classify(200, body)
    assert got.kind == "placeholder" and "这里还没有内容" in got.reason


@pytest.mark.parametrize("text,expected,precision", [
    ("Wed Nov 18 10:00:00 +0800 2026", datetime(2026, 11, 18, 10, 0, tzinfo=TZ), "second"),
    ("Tue Nov 17 18:30:00 +0000 2026", datetime(2026, 11, 18, 2, 30, tzinfo=TZ), "second"),
    ("刚刚", datetime(2026, 11, 25, 2, 0, tzinfo=TZ), "minute"),
    ("30秒前", datetime(2026, 11, 25, 1, 59, 30, tzinfo=TZ), "second"),
    ("5分钟前", datetime(2026, 11, 25, 1, 55, tzinfo=TZ), "minute"),
    ("3小时前", datetime(2026, 11, 24, 23, 0, tzinfo=TZ), "hour"),
    ("今天 01:10", datetime(2026, 11, 25, 1, 10, tzinfo=TZ), "minute"),
    ("昨天 21:12", datetime(2026, 11, 24, 21, 12, tzinfo=TZ), "minute"),
    # Day-only forms sit at the end of the day: never older than the post may be.
    ("11-20", datetime(2026, 11, 20, 23, 59, 59, tzinfo=TZ), "day"),
    ("12-30", datetime(2025, 12, 30, 23, 59, 59, tzinfo=TZ), "day"),  # later than today: last year
    ("2025-03-04", datetime(2025, 3, 4, 23, 59, 59, tzinfo=TZ), "day"),
    ("11-25", datetime(2026, 11, 25, 2, 0, tzinfo=TZ), "day"),  # today: capped at the clock
])
def test_created_at_forms(text, expected, precision, at):
    parsed = parse_created_at(text, at)
    assert parsed.value == expected
    assert parsed.precision == precision
    assert parsed.value.tzinfo is not None


@pytest.mark.parametrize("text", ["", "yesterday", "Foo Nov 18 10:00:00 +0800 2026", "02-30", "13-01"])
def test_created_at_rejects_unknown_forms(text, at):
    with pytest.raises(DateFormatError, match="created_at"):
        parse_created_at(text, at)


def test_created_at_needs_an_aware_clock():
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_created_at("刚刚", datetime(2026, 11, 25, 2, 0))


@pytest.mark.parametrize("value,expected", [
    (1363591, 1363591), ("145.5万", 1455000), ("10万+", 100000), ("1.2亿", 120000000), ("987", 987),
    ("n/a", None), (None, None)])
def test_counts(value, expected):
    assert parse_count(value) == expected


@pytest.mark.parametrize("status,body,kind,words", [
    (418, b"", "rate_limited", "418"),
    (200, '{"ok":0,"msg":"访问频次过高，请稍后再试"}'.encode(), "rate_limited", "访问频次过高"),
    (432, b"", "blocked", "432"),
    (403, b"", "blocked", "403"),
    (502, b"", "error", "502"),
    (200, b'{"ok":-100,"url":"https://passport.weibo.com/sso/signin"}', "blocked", "ok:-100"),
    (200, b'{"url":"https://passport.weibo.com/visitor/captcha"}', "blocked", "captcha"),
    (200, b"<html><title>Sina Visitor System</title></html>", "blocked", "visitor"),
    (200, b"{not json", "error", "not JSON"),
    (200, b'{"ok":1,"data":[]}', "error", "data"),
])
def test_classify_never_turns_a_wall_into_data(status, body, kind, words):
    got = classify(status, body)
    assert got.kind == kind and words in got.reason


@pytest.mark.parametrize("body", [
    b'{"ok":1,"data":{"cards":[],"note":"\xff\xfe broken bytes"}}',  # invalid UTF-8 inside a string
    b'{"ok":1,"data":{"cards":[],"id":9007199254740993}}',  # past a double's 53 bits, exact as in the standard library
    '{"ok":1,"data":{"cards":[]}}',  # already text
])
def test_answers_the_fast_decoder_refuses_decode_as_the_standard_library_does(body):
    expected = json.loads(body.decode("utf-8", "replace") if isinstance(body, bytes) else body)
    got = classify(200, body)
    assert got.kind == "ok" and got.payload == expected


def test_unknown_layout_is_an_error_with_a_reason(at):
    with pytest.raises(LayoutError, match="cards"):
        parse_timeline({"cardlistInfo": {}}, at)
    with pytest.raises(LayoutError, match="userInfo"):
        parse_profile({"ok": 1, "data": {"cards": []}})


def test_card_type_11_groups_are_unwrapped(real_fixtures, at):
    raw = load(real_fixtures, "m_weibo_cn_getIndex_107603_timeline.json")
    cards = raw["data"]["cards"]
    wrapped = {"cards": [cards[1], {"card_type": 11, "card_group": [cards[2]]}], "cardlistInfo": {}}
    page = parse_timeline(wrapped, at)
    assert [p.id for p in page.posts] == ["4649106427873349", "4649031014551911"]
    assert page.since_id is None


def test_ad_signals_label_and_shopping_link_but_not_a_government_programme():
    ad = '【广告】双十二好物推荐 <a href="https://weibo.cn/sinaurl?u=https%3A%2F%2Fs.click.taobao.com%2Fabc">网页链接</a>'
    kinds = {s["kind"] for s in ad_signals(ad)}
    assert kinds == {"label", "shopping_link"}
    assert ad_signals("南通市发放第二批数字消费券，以旧换新补贴申领指南") == []
