"""One behaviour on both databases (issue 26 item 6): NUL bytes and over-long text from a
fetched page or an imported sheet are made storable before writing, so PostgreSQL stores and
scores what SQLite does, and the rows say what was cut; a write that fails anyway is that
account's failed observation and an operator alert naming it, never a silent 未能核验."""
from __future__ import annotations

import csv
from datetime import datetime, timedelta

from sqlalchemy import select

from monitor.alerts import outbox, send_alerts
from monitor.detectors import run_detection
from monitor.registry import read_registry, upsert_accounts
from monitor.scoring import score_all
from spiders.items import ObservationItem, PostItem, ProfileItem
from spiders.pipelines import StoragePipeline
from storage.models import Account, Finding, Observation, Post
from tests.fixtures.core import T, make_app

LONG_REASON = "南通市某某单位官方微博" + "，" * 800  # the column holds 500
LONG_TITLE = "关于" + "通知" * 400


def _crawl(app, account_id, posts, profile=None, outcome="ok"):
    pipe = StoragePipeline(app.settings.database_url, None)
    pipe.open_spider()
    pipe.process_item(ObservationItem(
        account_id, "weibo", "timeline", outcome, "https://m.weibo.cn/u/1", T - timedelta(hours=1),
        http_status=200, covered_from=T - timedelta(days=40), posts=posts, profile=profile,
        reason="page says \x00 nothing", details={"note\x00": ["a\x00b"]}))
    pipe.close_spider()
    return pipe.counts


def test_nul_bytes_and_over_long_text_store_and_score_alike(db_url, tmp_path):
    app = make_app(db_url, tmp_path)
    with app.session() as s:
        acc = Account(name="南通发布", platform="weibo", host_unit="南通市人民政府新闻办公室", platform_id="1")
        s.add(acc)
        s.flush()
        aid = acc.id
    posts = [PostItem(aid, f"P{d}", T - timedelta(days=d, hours=3), kind="original",
                      title=LONG_TITLE if d == 2 else f"标题\x00{d}", text=f"正文\x00{d}") for d in range(0, 40, 2)]
    profile = ProfileItem(aid, T - timedelta(hours=1), name="南通\x00发布", verified=True, verified_reason=LONG_REASON)

    counts = _crawl(app, aid, posts, profile)

    assert counts["observations_ok"] == 1 and counts["posts"] == 20 and not counts.get("write_failures")
    with app.session() as s:
        stored = {p.platform_post_id: p for p in s.scalars(select(Post).where(Post.account_id == aid))}
        obs = s.scalars(select(Observation).where(Observation.account_id == aid)).one()
        acc = s.get(Account, aid)
        assert stored["P0"].title == "标题0" and stored["P0"].text == "正文0"
        assert stored["P2"].title == LONG_TITLE[:500] and stored["P2"].details == {"cut": {"title": len(LONG_TITLE)}}
        assert obs.reason == "page says  nothing" and obs.details == {"note": ["ab"]}
        assert acc.observed_name == "南通发布"
        assert acc.observed_verified_reason == LONG_REASON[:500]
        assert acc.profile_facts["cut"] == {"observed_verified_reason": len(LONG_REASON)}
    run_detection(app, T)
    card = score_all(app, T)[0]
    # Checked and scored like any account: the 认证 text does not name the host unit (−10).
    assert (card.verdict, card.score, card.deductions) == ("合格", 90, {"ded.irregular_verification": 10})
    with app.session() as s:
        f = s.scalars(select(Finding).where(Finding.rule == "ded.irregular_verification")).one()
        assert f.facts["cut"] == {"verified_reason": len(LONG_REASON)}  # the facts say the text was cut

    # The next crawl sees a normal 认证 text: the note goes away with the cut text.
    _crawl(app, aid, [], ProfileItem(aid, T, verified=True, verified_reason="南通市人民政府新闻办公室官方微博"))
    with app.session() as s:
        assert "cut" not in s.get(Account, aid).profile_facts


def test_a_failed_write_is_a_failed_observation_and_an_operator_alert(db_url, tmp_path):
    app = make_app(db_url, tmp_path)
    with app.session() as s:
        acc = Account(name="崇川公安", platform="weibo", host_unit="南通市公安局崇川分局", platform_id="2")
        s.add(acc)
        s.flush()
        aid = acc.id
    # A value no database takes (a spider bug, a driver error): the whole account fails.
    broken = PostItem(aid, "P1", datetime(2026, 11, 24, 9, 0), kind="original", text="今日要闻")

    counts = _crawl(app, aid, [broken])

    assert counts["write_failures"] == 1 and counts["observations_error"] == 1
    with app.session() as s:
        obs = s.scalars(select(Observation).where(Observation.account_id == aid)).one()
        assert obs.outcome == "error" and obs.reason.startswith("storage_write_failed: ")
        assert not s.scalars(select(Post).where(Post.account_id == aid)).all()
    run_detection(app, T)
    card = score_all(app, T)[0]
    assert card.verdict == "未能核验"
    send_alerts(app, T)
    sent = [m for m in outbox.read(app.settings.alerts.outbox) if m["stage"] == "write_failed"]
    assert len(sent) == 1 and "崇川公安" in sent[0]["title"] and "storage_write_failed" in sent[0]["body"]
    send_alerts(app, T)  # once per account and night
    assert len([m for m in outbox.read(app.settings.alerts.outbox) if m["stage"] == "write_failed"]) == 1


def test_registry_import_strips_nul_and_cuts_long_text_with_a_warning(db_url, tmp_path):
    app = make_app(db_url, tmp_path)
    path = tmp_path / "registry.csv"
    rows = [["名称", "平台", "账号ID", "主办单位", "属地", "备案状态", "简介"],
            ["南通\x00发布", "新浪微博", "1000000001", "南通市人民政府" + "新闻办公室" * 60, "市级", "开设", "简介\x00"],
            ["南通医保", "新浪微博", "2" * 300, "南通市医疗保障局", "市级", "开设", ""]]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)

    parsed = read_registry(path)

    assert [p.row for p in parsed.invalid] == [3] and "at most 200" in str(parsed.invalid[0])
    assert any("row 2" in w and "cut to the first 200" in w for w in parsed.warnings), parsed.warnings
    with app.session() as s:
        upsert_accounts(s, parsed.records)
    with app.session() as s:
        acc = s.scalars(select(Account)).one()
        assert acc.name == "南通发布" and acc.intro == "简介" and len(acc.host_unit) == 200
