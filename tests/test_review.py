"""Review workflow: confirm / dismiss / manual findings, and re-detection never undoing a
review nor duplicating findings (on SQLite and PostgreSQL)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from monitor.detectors import run_detection
from monitor.review import ReviewError, add_finding, list_findings, review
from monitor.scoring import score_json
from storage.models import Finding
from tests.fixtures.core import T, make_app


def one(app, rule):
    with app.session() as s:
        return s.scalars(select(Finding).where(Finding.rule == rule)).one()


def card(app, name):
    return next(c for c in score_json(app, T) if c["account_name"] == name)


@pytest.fixture
def pg_or_sqlite(db_url, tmp_path, history_factory):
    app = make_app(db_url, tmp_path)
    return app, history_factory(app)


def test_redetect_is_idempotent_and_keeps_reviews(pg_or_sqlite):
    app, h = pg_or_sqlite
    silent = h.account(name="南通发布")
    h.post(silent, T - timedelta(days=20))
    ads = h.account(name="南通商务", host_unit="南通市商务局")
    h.daily_posts(ads)
    h.post(ads, T - timedelta(days=1), text="【广告】爆款好物 点击 https://item.taobao.com/item.htm?id=1 领券下单")
    first = run_detection(app, T)
    assert first["new"] >= 2
    with app.session() as s:
        n_before = s.scalar(select(func.count()).select_from(Finding))
    veto, ad = one(app, "veto.no_update_2w"), one(app, "ded.commercial_ads")
    assert (veto.state, ad.state) == ("auto", "suspected")
    review(app, veto.id, "dismiss", "账号已于11月12日发布，平台接口漏抓", reviewer="张三")
    review(app, ad.id, "confirm", "确为商业广告", reviewer="李四")
    again = run_detection(app, T)
    assert again["new"] == 0 and again["reviewed_kept"] == 0
    with app.session() as s:
        assert s.scalar(select(func.count()).select_from(Finding)) == n_before
    veto, ad = one(app, "veto.no_update_2w"), one(app, "ded.commercial_ads")
    assert (veto.state, veto.reviewer) == ("dismissed", "张三")
    assert (ad.state, ad.reviewer, ad.review_note) == ("confirmed", "李四", "确为商业广告")
    assert card(app, "南通发布")["verdict"] == "合格"          # dismissed veto never counts
    assert card(app, "南通商务")["deductions"] == {"ded.commercial_ads": 10}


def test_confirm_makes_a_suspected_finding_count(app, history):
    aid = history.account(name="南通商务", host_unit="南通市商务局")
    history.daily_posts(aid)
    history.post(aid, T - timedelta(days=1), text="#推广# 618 秒杀 https://u.jd.com/abc 领券")
    run_detection(app, T)
    before = card(app, "南通商务")
    assert (before["score"], before["pending"]) == (100, ["ded.commercial_ads"])
    review(app, one(app, "ded.commercial_ads").id, "confirm", "商业推广")
    after = card(app, "南通商务")
    assert (after["score"], after["pending"], after["deductions"]) == (90, [], {"ded.commercial_ads": 10})


def test_unreviewed_finding_that_no_longer_holds_is_removed_but_reviewed_one_stays(app, history):
    """A late crawl shows the account did post: the unreviewed veto goes away."""
    a = history.account(name="甲")
    b = history.account(name="乙")
    run_detection(app, T)
    review(app, one_of(app, b, "veto.no_update_2w").id, "confirm", "核实无更新")
    for aid in (a, b):
        history.post(aid, T - timedelta(days=2))
    counts = run_detection(app, T)
    assert counts["removed"] >= 1 and counts["reviewed_kept"] == 1
    with app.session() as s:
        rules = {(r.account_id, r.rule) for r in s.scalars(select(Finding).where(Finding.rule.like("veto.%")))}
    assert rules == {(b, "veto.no_update_2w")}


def one_of(app, account_id, rule):
    with app.session() as s:
        return s.scalars(select(Finding).where(Finding.account_id == account_id, Finding.rule == rule)).one()


def test_review_of_suspected_case_carries_to_the_next_night(app, history):
    aid = history.account(name="南通商务", host_unit="南通市商务局")
    history.daily_posts(aid)
    history.post(aid, T - timedelta(days=1), text="【广告】好物 https://item.taobao.com/x 领券", ppid="ad1")
    run_detection(app, T)
    review(app, one(app, "ded.commercial_ads").id, "dismiss", "系政府消费帮扶活动", reviewer="王五")
    nxt = T + timedelta(days=1)
    history.observe(aid, observed_at=nxt - timedelta(hours=1), covered_from=T - timedelta(days=60))
    run_detection(app, nxt)
    with app.session() as s:
        later = s.scalars(select(Finding).where(Finding.rule == "ded.commercial_ads", Finding.at == nxt)).one()
    assert (later.state, later.reviewer) == ("dismissed", "王五")
    assert "系政府消费帮扶活动" in later.review_note


def test_manual_finding_with_evidence(app, history, tmp_path):
    aid = history.account(name="南通发布", platform_id="2803301701")
    history.daily_posts(aid)
    shot = tmp_path / "截图.png"
    shot.write_bytes(b"\x89PNG fake screenshot")
    f = add_finding(app, "2803301701", "veto.security", "11月20日推文将领导人姓名写错",
                    evidence=shot, at=T - timedelta(hours=5), reviewer="赵六")
    assert (f.state, f.source, f.reviewer) == ("confirmed", "manual", "赵六")
    assert f.facts["evidence_sha256"] and (tmp_path / "evidence" / "manual").is_dir()
    run_detection(app, T)  # detection never touches manual findings
    c = card(app, "南通发布")
    assert (c["verdict"], c["vetoes"]) == ("不合格", ["veto.security"])
    assert [x.rule for x in list_findings(app, T, rule="veto")] == ["veto.security"]


@pytest.mark.parametrize("kwargs,message", [
    ({"account": "nobody", "rule": "veto.security", "note": "x"}, "no account matches 'nobody'"),
    ({"account": "南通发布", "rule": "veto.nonsense", "note": "x"}, "unknown rule 'veto.nonsense'"),
    ({"account": "南通发布", "rule": "veto.security", "note": " "}, "needs a note"),
    ({"account": "南通发布", "rule": "veto.security", "note": "x", "evidence": "/nonexistent.png"},
     "evidence file /nonexistent.png does not exist"),
])
def test_manual_finding_refuses_bad_input(app, history, kwargs, message):
    history.account(name="南通发布")
    with pytest.raises(ReviewError, match=message):
        add_finding(app, **kwargs)


def test_review_refuses_unknown_id_and_empty_note(app):
    with pytest.raises(ReviewError, match="no finding with id 999"):
        review(app, 999, "confirm", "x")
    with pytest.raises(ReviewError, match="needs a note"):
        review(app, 1, "confirm", "")


def test_cli_findings_review_and_add(run_cli, tmp_path):
    db = f"sqlite:///{tmp_path / 'm.db'}"
    env = {"MONITOR_DATABASE_URL": db, "MONITOR_EVIDENCE_DIR": str(tmp_path / "ev")}
    assert run_cli("init", env=env).exit_code == 0
    from monitor.app import App
    from monitor.config import Settings
    from tests.fixtures.histories import History

    app = App(Settings(database_url=db, evidence_dir=str(tmp_path / "ev")))
    h = History(app)
    aid = h.account(name="南通发布", district="崇川区")
    h.post(aid, T - timedelta(days=20))
    other = h.account(name="海门发布", district="海门区", host_unit="南通市海门区人民政府")
    h.daily_posts(other)
    at = T.isoformat()
    r = run_cli("detect", "--at", at, env=env)
    assert r.exit_code == 0, r.stderr
    r = run_cli("findings", "--format", "json", "--district", "崇川区", env=env)  # --at defaults to T
    assert r.exit_code == 0, r.stderr
    # Its one post was original: an empty fortnight is 内容不更新, not 原创信息不足.
    assert {x["rule"] for x in json.loads(r.stdout)} == {"veto.no_update_2w", "ded.untimely_update"}
    r = run_cli("findings", "--format", "json", "--rule", "veto", env=env)
    rows = json.loads(r.stdout)
    assert {(x["account_name"], x["rule"]) for x in rows} == {("南通发布", "veto.no_update_2w")}
    row = rows[0]
    for key in ("account_name", "platform", "platform_id", "rule", "state", "at", "facts", "evidence"):
        assert key in row
    assert row["at"] == at and row["state"] == "auto" and row["facts"]["days_silent"] == 20.0
    r = run_cli("review", str(row["id"]), "dismiss", "--note", "漏抓", "--reviewer", "张三", env=env)
    assert r.exit_code == 0, r.stderr
    r = run_cli("findings", "--format", "json", "--state", "dismissed", env=env)
    assert [x["reviewer"] for x in json.loads(r.stdout)] == ["张三"]
    r = run_cli("findings", "add", "--account", "海门发布", "--rule", "ded.comment_moderation",
                "--note", "留言区出现不当言论", "--at", at, env=env)
    assert r.exit_code == 0, r.stderr
    r = run_cli("score", "--format", "json", env=env)
    cards = {c["account_name"]: c for c in json.loads(r.stdout)}
    assert (cards["南通发布"]["verdict"], cards["南通发布"]["score"]) == ("合格", 90)  # 3 empty weeks
    assert cards["海门发布"]["score"] == 95
    r = run_cli("review", "12345", "confirm", "--note", "x", env=env)
    assert r.exit_code == 2 and "no finding with id 12345" in r.stderr
    out = tmp_path / "score.xlsx"
    assert run_cli("score", "--format", "xlsx", "--out", str(out), env=env).exit_code == 0
    from openpyxl import load_workbook

    wb = load_workbook(out)
    assert wb.sheetnames == ["评分", "按主办单位", "按属地"]
    assert wb["评分"].max_row == 3
