"""``monitor inspect FILE``: what the parsers read from one saved payload, on every real
Weibo capture and on the sandbox's 2025–26 answers (the kinds are detected when --as is
not given)."""
from __future__ import annotations

import json

import pytest

from monitor.inspect import registry
from tests.fixtures.core import T

AT = T.isoformat()


def inspect(run_cli, *args):
    r = run_cli("inspect", *args, "--at", AT, "--format", "json")
    assert r.exit_code == 0, r.stderr + r.stdout
    return json.loads(r.stdout)


def test_every_real_weibo_capture_is_read_and_its_kind_detected(run_cli, real_fixtures):
    files = sorted((real_fixtures / "weibo").glob("*.json"))
    assert len(files) >= 5
    kinds = {f.name: inspect(run_cli, f)["kind"] for f in files}
    assert kinds == {
        "m_weibo_cn_getIndex_107603_timeline.json": "weibo-timeline",
        "m_weibo_cn_getIndex_107603_timeline_cardlistInfo_page2_no_since_id.json": "weibo-timeline",
        "m_weibo_cn_getIndex_ok0_empty.json": "weibo-timeline",
        "m_weibo_cn_getIndex_type_uid_profile.json": "weibo-profile",
        "m_weibo_cn_statuses_extend_4649031014551911.json": "weibo-extend",
    }


def test_real_timeline_since_id_cursor_pinned_and_repost(run_cli, real_fixtures):
    got = inspect(run_cli, real_fixtures / "weibo" / "m_weibo_cn_getIndex_107603_timeline.json")
    assert got["classification"] == "ok" and got["cursor"] == {"since_id": "4646131823281332"}
    posts = got["posts"]
    assert len(posts) == 11 and posts[0]["pinned"] and not any(p["pinned"] for p in posts[1:])
    assert posts[3]["kind"] == "repost" and {p["kind"] for p in posts} == {"original", "repost"}
    assert posts[1]["time"].startswith("2021-06-17T16:00:11+08:00")
    assert got["facts"]["total"] == 1221


def test_real_timeline_that_pages_by_cardlistinfo_page(run_cli, real_fixtures):
    got = inspect(run_cli, real_fixtures / "weibo" / "m_weibo_cn_getIndex_107603_timeline_cardlistInfo_page2_no_since_id.json")
    # No since_id, yet the timeline goes on: the next page is page 2.
    assert got["classification"] == "ok" and got["cursor"] == {"page": "2"} and got["facts"]["end"] is False
    assert got["posts"][0]["pinned"] and got["posts"][1]["kind"] == "repost"


def test_real_placeholder_profile_and_long_text(run_cli, real_fixtures):
    placeholder = inspect(run_cli, real_fixtures / "weibo" / "m_weibo_cn_getIndex_ok0_empty.json")
    assert placeholder["classification"] == "placeholder" and "这里还没有内容" in placeholder["reason"]
    assert "posts" not in placeholder
    profile = inspect(run_cli, real_fixtures / "weibo" / "m_weibo_cn_getIndex_type_uid_profile.json")
    assert profile["facts"]["statuses_count"] == 1553 and profile["facts"]["followers_count"] == 1_455_000
    assert profile["facts"]["weibo_containerid"] == "1076036279793937"
    extend = inspect(run_cli, real_fixtures / "weibo" / "m_weibo_cn_statuses_extend_4649031014551911.json")
    assert extend["classification"] == "ok" and "闪断更新公告" in extend["facts"]["text"]


@pytest.mark.parametrize("body,classification,words", [
    ({"ok": 1, "data": {"cardlistInfo": {"total": 4321, "since_id": ""},
                        "cards": [{"card_type": 58, "name": "暂无微博", "desc": "暂无微博"}]}},
     "blocked", "4321"),
    ({"ok": 1, "data": {"cardlistInfo": {}, "cards": []}}, "empty", "statuses_count is 0"),
    ({"ok": 0, "msg": "访问频次过高，请稍后再试"}, "rate-limited", "访问频次过高"),
    ({"ok": -100, "url": "https://passport.weibo.cn/signin/welcome?entry=mweibo&r=x"}, "blocked", "ok:-100"),
])
def test_walls_and_empty_answers_are_named(run_cli, tmp_path, body, classification, words):
    f = tmp_path / "answer.json"
    f.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    got = inspect(run_cli, f)
    assert got["kind"] == "weibo-timeline" and got["classification"] == classification and words in got["reason"]


def test_table_output_and_clear_errors(run_cli, real_fixtures, tmp_path):
    r = run_cli("inspect", real_fixtures / "weibo" / "m_weibo_cn_getIndex_type_uid_profile.json", "--at", AT)
    assert r.exit_code == 0 and "weibo-profile (detected)" in r.stdout and "statuses_count: 1553" in r.stdout
    # --as overrides detection: a profile read as a timeline has no post cards.
    forced = inspect(run_cli, real_fixtures / "weibo" / "m_weibo_cn_getIndex_type_uid_profile.json", "--as", "weibo-timeline")
    assert forced["kind"] == "weibo-timeline" and forced["detected"] is False and forced["classification"] == "error"
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    unknown = run_cli("inspect", tmp_path / "notes.txt")
    assert unknown.exit_code == 2 and "notes.txt" in unknown.stderr and "--as" in unknown.stderr
    assert run_cli("inspect", tmp_path / "missing.json").exit_code == 2
    bad = run_cli("inspect", tmp_path / "notes.txt", "--as", "nope")
    assert bad.exit_code == 2 and "weibo-timeline" in bad.stderr
    listed = run_cli("inspect", "--kinds")
    assert listed.exit_code == 0 and set(registry()) <= set(listed.stdout.split())
