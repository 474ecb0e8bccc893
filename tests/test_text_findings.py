"""What the posts say, as findings for a reviewer: the nightly text check of new and changed
posts only, suspected veto.security / ded.improper_content findings with the post and the
span, a dismissed span not raised again, a confirmed one counted as Annex 2 says, and
``monitor text sweep`` over stored history."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor.detectors import run_detection
from monitor.evidence import public_page_url
from monitor.review import list_findings, review
from monitor.scoring import score_all
from spiders.items import PostItem
from spiders.pipelines import upsert_posts
from storage.models import Account, Finding, Observation, Post, TextCheck
from tests.fixtures.core import T, make_app

D = timedelta(days=1)
TYPO = "今天是中华人民共合国成立纪念日。"
ID_CARD = "11010519491231002X"  # passes the GB 11643 checksum
WITH_ID = f"公示：张某，身份证号{ID_CARD}，特此公示。"
OLD_NAME = "南通市卫计委提醒市民接种疫苗。"


def night(app, at, posts, account_id):
    """One night's crawl of the account, as the spider stores it, then detection at ``at``."""
    with app.session() as s:
        s.add(Observation(account_id=account_id, platform="weibo", kind="timeline", outcome="ok",
                          url="https://m.weibo.cn/u/1", observed_at=at, covered_from=at - 40 * D))
        upsert_posts(s, [PostItem(account_id, pid, at - age, kind="original", text=text, text_source="card",
                                  url=f"https://m.weibo.cn/status/{pid}") for pid, age, text in posts], at)
    return run_detection(app, at)


@pytest.fixture
def app(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path)
    with app.session() as s:
        s.add(Account(name="南通发布", platform="weibo", host_unit="南通市人民政府新闻办公室", platform_id="1"))
    return app


def findings(app, at):
    with app.session() as s:
        return {f.case_key: f for f in s.scalars(select(Finding).where(Finding.at == at, Finding.rule.in_(
            ("veto.security", "ded.improper_content"))))}


POSTS = [("P1", 2 * D, TYPO), ("P2", 3 * D, WITH_ID), ("P3", 4 * D, OLD_NAME), ("P4", 5 * D, "今天天气晴。"),
         ("OLD", 200 * D, "前苏联解体后，" + TYPO)]


def test_hits_become_suspected_findings_on_their_annex2_line_and_never_count_unreviewed(app):
    counts = night(app, T, POSTS, 1)
    assert (counts["texts_checked"], counts["texts_with_hits"]) == (5, 4)
    got = sorted((f.rule, f.facts["post_id"], f.facts["matched"], f.state) for f in findings(app, T).values())
    # The post older than the check period is checked (the sweep lists it) but raises nothing.
    assert got == [("ded.improper_content", "P3", "卫计委", "suspected"),
                   ("veto.security", "P1", "中华人民共合国", "suspected"),
                   ("veto.security", "P2", ID_CARD, "suspected")]
    typo = next(f for f in findings(app, T).values() if f.facts["post_id"] == "P1")
    facts = typo.facts
    assert TYPO[facts["start"]:facts["end"]] == "中华人民共合国" and facts["field"] == "text"
    assert (facts["suggestion"], facts["text_kind"], facts["post_url"]) == (
        "中华人民共和国", "严重表述错误", "https://m.weibo.cn/status/P1")
    assert facts["published_at"] == (T - 2 * D).isoformat() and facts["text_rule"].startswith("terms.")
    assert typo.window_start == T - 2 * D and typo.case_key.startswith("text:")
    # Evidence on demand opens the post itself.
    with app.session() as s:
        assert public_page_url(app, s.get(Account, 1), facts) == "https://m.weibo.cn/status/P1"
    [card] = score_all(app, T)
    assert card.vetoes == [] and "ded.improper_content" not in card.deductions  # suspected never counts
    assert {"veto.security", "ded.improper_content"} <= set(card.pending)


def test_only_new_or_changed_texts_are_checked_and_a_dismissed_span_stays_dismissed(app):
    night(app, T, POSTS, 1)
    by_post = {f.facts["post_id"]: f for f in findings(app, T).values()}
    review(app, by_post["P1"].id, "dismiss", "纪念日原文引用，非本号错误", reviewer="张三")
    review(app, by_post["P2"].id, "confirm", "公示未打码身份证号", reviewer="张三")
    review(app, by_post["P3"].id, "confirm", "应为卫健委", reviewer="张三")
    [card] = score_all(app, T)
    assert (card.verdict, card.vetoes) == ("不合格", ["veto.security"])  # a confirmed hit is a veto

    # The next night sees the same posts: nothing is checked again, the reviews carry over.
    counts = night(app, T + D, [(pid, age + D, text) for pid, age, text in POSTS], 1)
    assert counts["texts_checked"] == 0
    states = {f.facts["post_id"]: f.state for f in findings(app, T + D).values()}
    assert states == {"P1": "dismissed", "P2": "confirmed", "P3": "confirmed"}
    assert [f.facts["post_id"] for f in list_findings(app, T + D, state="suspected")] == []

    # P1 is edited: a line added before the dismissed span shifts it and brings a new hit.
    edited = "台湾总统发表讲话。" + TYPO
    counts = night(app, T + 2 * D, [("P1", 4 * D, edited)], 1)
    assert counts["texts_checked"] == 1
    p1 = sorted((f.facts["matched"], f.facts["start"], f.state) for f in findings(app, T + 2 * D).values()
                if f.facts["post_id"] == "P1")
    assert p1 == [("中华人民共合国", edited.index("中华人民共合国"), "dismissed"), ("台湾总统", 0, "suspected")]
    with app.session() as s:
        check = s.get(TextCheck, s.scalar(select(Post.id).where(Post.platform_post_id == "P1")))
        assert check.text_sha == s.scalar(select(Post.text_sha).where(Post.platform_post_id == "P1"))


def test_sweep_checks_history_again_and_lists_every_hit_with_its_review_state(app, run_cli):
    night(app, T, POSTS, 1)
    env = {"MONITOR_DATABASE_URL": app.settings.database_url}
    with app.session() as s:
        typo = s.scalar(select(Finding).where(Finding.facts["post_id"].as_string() == "P1"))
    review(app, typo.id, "dismiss", "引用", reviewer="张三")

    r = run_cli("text", "sweep", "--format", "json", env=env)
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    got = {(x["post_id"], x["text"]): x for x in rows}
    assert set(got) == {("P1", "中华人民共合国"), ("P2", ID_CARD), ("P3", "卫计委"), ("OLD", "前苏联"),
                        ("OLD", "中华人民共合国")}
    assert got[("P1", "中华人民共合国")]["review_state"] == "dismissed"
    assert got[("P2", ID_CARD)]["review_state"] == "suspected"
    assert got[("OLD", "前苏联")]["review_state"] is None  # before the check period: never raised
    first = got[("P1", "中华人民共合国")]
    assert TYPO[first["start"]:first["end"]] == first["text"] and first["account_name"] == "南通发布"
    assert set(first) >= {"start", "end", "text", "suggestion", "kind", "rule", "source", "url", "published_at"}

    since = (T - 3 * D).date().isoformat()
    r = run_cli("text", "sweep", "--since", since, env={**env, "COLUMNS": "250"})
    assert r.exit_code == 0, r.stderr
    assert "中华人民共合国" in r.stdout and "前苏联" not in r.stdout and "已排除" in r.stdout
    assert "核对2条内容" in r.stdout

    r = run_cli("text", "sweep", "--since", "上周", env=env)
    assert r.exit_code == 2 and "--since" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.browser
def test_evidence_on_demand_shows_the_post_and_says_what_was_found(sandbox, sqlite_url, tmp_path):
    from pathlib import Path

    from monitor.evidence import build_package
    from monitor.sandbox.platforms.weibo_payloads import bid

    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides())
    acc = sandbox.world.scenario.account("weibo", "1000000001")
    long_post = next(p for p in acc.posts if p.long)
    with app.session() as s:
        s.add(Account(name="南通发布", platform="weibo", host_unit="南通市人民政府新闻办公室", platform_id=acc.id))
        s.add(Observation(account_id=1, platform="weibo", kind="timeline", outcome="ok", url="x", observed_at=T,
                          covered_from=T - 40 * D))
        upsert_posts(s, [PostItem(1, long_post.id, long_post.published_at, text="医疗机构设置审批由市卫计委负责。",
                                  text_source="extend", url=f"{sandbox.url}/weibo/status/{bid(long_post.id)}")], T)
    run_detection(app, T)
    [f] = findings(app, T).values()
    folder = Path(app.settings.evidence_dir) / build_package(app, f.id)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["screenshot"]["url"] == f.facts["post_url"] and manifest["screenshot"]["ok"], manifest["notes"]
    assert "市卫计委负责" in (folder / "page.html").read_text(encoding="utf-8")  # the post's own page, in full
    assert "“卫计委”疑似用语不规范" in manifest["finding"]["summary_zh"] and "卫健委" in manifest["finding"]["summary_zh"]
    facts = json.loads((folder / "facts.json").read_text(encoding="utf-8"))["facts"]
    assert (facts["matched"], facts["post_id"]) == ("卫计委", long_post.id)


def test_the_review_queue_shows_what_was_found_where(web_client, workspace):
    app = workspace.app
    night(app, T, POSTS, 1)
    queue = web_client("inspector").get("/review").text
    assert "发布的正文中“中华人民共合国”疑似严重表述错误（同音字），建议改为“中华人民共和国”" in queue
    assert "“卫计委”疑似用语不规范" in queue and ID_CARD in queue
    # The date column is the post's publish time, not when the monitor first found it (T).
    assert "首次发现" not in queue and "<th>问题时间</th>" in queue


def test_a_confirmed_hit_stands_on_a_night_the_crawl_fails(app):
    night(app, T, POSTS, 1)
    by_post = {f.facts["post_id"]: f for f in findings(app, T).values()}
    review(app, by_post["P2"].id, "confirm", "公示未打码身份证号", reviewer="张三")
    with app.session() as s:  # the next night Weibo answers 418: the account is 未能核验 tonight
        s.add(Observation(account_id=1, platform="weibo", kind="timeline", outcome="blocked", reason="http_418",
                          url="https://m.weibo.cn/u/1", observed_at=T + D))
    counts = run_detection(app, T + D)
    assert counts["unverifiable"] == 1
    assert {f.facts["post_id"]: f.state for f in findings(app, T + D).values()} == {
        "P1": "suspected", "P2": "confirmed", "P3": "suspected"}  # from the stored posts, not tonight's fetch
    [card] = score_all(app, T + D)
    assert (card.verdict, card.vetoes) == ("不合格", ["veto.security"])
