"""From 通报 to 整改 to 复核: issuing freezes what is cited, one order per account, replies,
re-checks that close or reopen on fresh results (never on a failed fetch), 逾期."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from monitor.detectors import run_detection
from monitor.orders import effective_state, issue_tongbao
from monitor.orders.issue import IssueError
from monitor.orders.recheck import recheck_account
from monitor.reports.period import parse_period
from monitor.rules import load_ruleset
from monitor.scoring import score_all
from storage.models import Finding, RectificationOrder, Tongbao
from tests.fixtures.core import T, make_app
from tests.fixtures.histories import History

ISSUED = date(2026, 11, 26)


def _silent_and_ads(app):
    """南通发布 silent 14½ days at T (veto, auto); 南通商务 posting daily with one ad (suspected)."""
    h = History(app)
    ads = h.account(name="南通商务", host_unit="南通市商务局", district="崇川区")
    h.daily_posts(ads)
    h.post(ads, T - timedelta(hours=12), text="#推广# 618 秒杀 https://u.jd.com/abc 领券")
    silent = h.account(name="南通发布", host_unit="中共南通市委宣传部", platform_id="2803301701")
    h.post(silent, T - timedelta(days=14, hours=12))
    run_detection(app, T)
    score_all(app, T)
    return h, ads, silent


def _issue(app, period="2026-11", on=ISSUED):
    with app.session() as s:
        tb = issue_tongbao(s, parse_period(period), load_ruleset(app.settings), app.tz, issued_on=on,
                           issued_by="张检查", deadline_days=app.settings.orders.deadline_days, now=T + timedelta(days=1))
        return tb.id


def test_issuing_freezes_cited_findings_and_opens_one_order_per_account(db_url, tmp_path):
    app = make_app(db_url, tmp_path)
    h, ads, silent = _silent_and_ads(app)
    with app.session() as s:
        veto = s.scalar(select(Finding).where(Finding.rule == "veto.no_update_2w"))
        veto.evidence_id = "ab" * 32
        # The same case the night before, with its own package: cited once, both packages.
        s.add(Finding(account_id=silent, rule=veto.rule, at=T - timedelta(days=1), case_key="", state="auto",
                      facts=veto.facts, evidence_id="cd" * 32))
        veto_id = veto.id
    tid = _issue(app)
    with app.session() as s:
        tb = s.get(Tongbao, tid)
        orders = list(s.scalars(select(RectificationOrder)))
        # Only the decided finding is cited: the suspected ad waits for a reviewer.
        assert [o.account_id for o in orders] == [silent]
        o = orders[0]
        assert (o.issued_on, o.deadline, o.state) == (ISSUED, date(2026, 12, 6), "pending")
        # Vetoes first, then the 扣分 cases (empty weeks), each case once.
        assert o.findings[0]["rule"] == "veto.no_update_2w"
        assert {f["rule"] for f in o.findings[1:]} == {"ded.untimely_update"}
        assert len({f["case_key"] for f in o.findings[1:]}) == len(o.findings) - 1
        assert o.findings[0]["evidence_ids"] == ["ab" * 32, "cd" * 32]
        assert o.findings[0]["finding_id"] == veto_id  # the latest night is cited
        c = tb.content
        assert c["doc_number"] == "〔2026〕第　　号" and c["period_title_zh"] == "2026年11月"
        assert c["deadline_zh"] == "2026年12月6日" and c["accounts"][0]["platform_id"] == "2803301701"
        assert c["title"] == "关于2026年11月全市政务新媒体检查情况的通报" and c["deducted"] == []
        [v] = c["vetoed"]
        assert v["name"] == "南通发布" and v["evidence_ids"] == ["ab" * 32, "cd" * 32]
        assert v["problems"][0].startswith("内容不更新（单项否决）：最近一次更新：2026年11月10日")
        frozen = json.dumps(c, ensure_ascii=False)
        # Later reviews change the findings, never what was notified.
        s.scalar(select(Finding).where(Finding.rule == "veto.no_update_2w")).state = "dismissed"
    with app.session() as s:
        assert json.dumps(s.get(Tongbao, tid).content, ensure_ascii=False) == frozen
    with pytest.raises(IssueError, match="already issued"):
        _issue(app)
    with pytest.raises(IssueError, match="nothing to notify"):
        _issue(app, "2026-10", on=ISSUED)


def test_overdue_is_an_open_order_past_its_deadline(app):
    _silent_and_ads(app)
    _issue(app)
    with app.session() as s:
        o = s.scalar(select(RectificationOrder))
        assert effective_state(o, date(2026, 12, 6)) == "pending"
        assert effective_state(o, date(2026, 12, 7)) == "overdue"
        o.state = "replied"
        assert effective_state(o, date(2026, 12, 7)) == "replied"


def _posted(h, silent, at):
    """The account posted after the 通报, and a crawl at ``at`` saw it."""
    def crawl(app, when, account):
        h.post(silent, when - timedelta(hours=5))
        h.observe(silent, observed_at=when - timedelta(minutes=5), covered_from=when - timedelta(days=60))
    return crawl


def test_recheck_closes_on_a_fresh_post_and_reopens_while_still_silent(app):
    h, _, silent = _silent_and_ads(app)
    _issue(app)
    later = T + timedelta(days=3)

    def still_silent(app_, when, account):
        h.observe(silent, observed_at=when - timedelta(minutes=5), covered_from=when - timedelta(days=60))

    r = recheck_account(app, silent, later, "张检查", crawl=still_silent)
    assert [(v.outcome, v.state) for v in r.verdicts] == [("reopened", "reopened")]
    assert "内容不更新" in r.verdicts[0].note
    r = recheck_account(app, silent, later + timedelta(days=1), "张检查", crawl=_posted(h, silent, later))
    assert [(v.outcome, v.state) for v in r.verdicts] == [("passed", "passed")]
    with app.session() as s:
        o = s.scalar(select(RectificationOrder))
        assert o.closed_by == "张检查" and [x["action"] for x in o.history] == ["issued", "recheck", "recheck"]


@pytest.mark.parametrize("failure", ["nothing", "blocked"])
def test_recheck_on_a_failed_fetch_decides_nothing(app, failure):
    h, _, silent = _silent_and_ads(app)
    _issue(app)

    def crawl(app_, when, account):
        if failure == "blocked":
            h.observe(silent, outcome="blocked", observed_at=when - timedelta(minutes=5),
                      reason="rate_limited: HTTP 418", http_status=418)
            return None
        return "复核抓取进程异常退出（-9）"

    r = recheck_account(app, silent, T + timedelta(days=3), "张检查", crawl=crawl)
    [v] = r.verdicts
    assert v.outcome == "unverifiable" and v.state == "pending" and v.note.startswith("未能核验")
    with app.session() as s:
        o = s.scalar(select(RectificationOrder))
        assert o.state == "pending" and o.last_recheck["outcome"] == "unverifiable"


def test_cli_issue_list_show_close(run_cli, tmp_path):
    db = tmp_path / "m.db"
    env = {"MONITOR_DATABASE_URL": f"sqlite:///{db}", "MONITOR_EVIDENCE_DIR": str(tmp_path / "ev"), "COLUMNS": "200"}
    assert run_cli("init", env=env).exit_code == 0
    app = make_app(f"sqlite:///{db}", tmp_path)
    _silent_and_ads(app)
    r = run_cli("tongbao", "issue", "--period", "2026-13", env=env)
    assert r.exit_code == 2 and "month 13" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("tongbao", "issue", "--period", "2026Q4", "--on", "2026-11-26", "--by", "张检查", env=env)
    assert r.exit_code == 0, r.stderr
    assert "2026年第四季度" in r.stdout and "2026年12月6日" in r.stdout
    r = run_cli("tongbao", "docx", "1", "--out", tmp_path / "tb.docx", env=env)
    assert r.exit_code == 0 and (tmp_path / "tb.docx").read_bytes()[:2] == b"PK"
    assert run_cli("tongbao", "docx", "9", env=env).exit_code == 1
    r = run_cli("tongbao", "show", "1", env=env)  # what an inspector reads, by default
    assert "〔2026〕第　　号" in r.stdout and "南通发布（新浪微博）：内容不更新（单项否决）" in r.stdout
    # Each indicator once per account: the empty weeks are counted, not repeated.
    assert "内容更新不及时（扣分，" in r.stdout and r.stdout.count("内容更新不及时") == 1, r.stdout
    assert json.loads(run_cli("tongbao", "show", "1", "--format", "json", env=env).stdout)["period"] == "2026Q4"
    r = run_cli("orders", "list", "--format", "json", "--at", "2026-12-07T09:00", env=env)
    [o] = json.loads(r.stdout)
    assert o["account"] == {**o["account"], "platform_id": "2803301701", "name": "南通发布"}
    assert (o["issued_on"], o["deadline"], o["state"]) == ("2026-11-26", "2026-12-06", "overdue")
    assert o["findings"][0]["rule"] == "veto.no_update_2w"
    r = run_cli("orders", "list", "--at", "2026-12-01T09:00", env=env)
    assert "待整改" in r.stdout and "2026年12月6日" in r.stdout
    by_zh = run_cli("orders", "list", "--state", "逾期", "--format", "json", "--at", "2026-12-07T09:00", env=env)
    assert [x["id"] for x in json.loads(by_zh.stdout)] == [o["id"]]  # the state as the table says it
    r = run_cli("orders", "show", str(o["id"]), env=env)
    assert "内容不更新" in r.stdout and "通报下发" in r.stdout
    r = run_cli("orders", "close", str(o["id"]), "--note", "现场核实已更新", "--by", "张检查", env=env)
    assert r.exit_code == 0 and "已复核通过" in r.stdout
    r = run_cli("orders", "close", str(o["id"]), env=env)
    assert r.exit_code == 1 and "already closed" in r.stderr
    assert run_cli("orders", "show", "999", env=env).exit_code == 1
    r = run_cli("recheck", "no-such-account", env=env)
    assert r.exit_code == 1 and "no account" in r.stderr


def test_reply_with_attachments_then_annex3_figures(app, tmp_path):
    from monitor.orders.attachments import AttachmentError
    from monitor.orders.figures import order_figures
    from monitor.orders.replies import add_reply
    from tests.test_order_attachments import png

    _silent_and_ads(app)
    _issue(app)
    with app.session() as s:
        o = s.scalar(select(RectificationOrder))
        with pytest.raises(AttachmentError, match="evil.png"):  # one bad file refuses the reply, stores nothing
            add_reply(o, "xuanchuan", "已恢复更新", [("ok.png", png()), ("evil.png", b"MZ" + b"\0" * 99)],
                      app.settings, T + timedelta(days=2))
        assert o.state == "pending" and not (tmp_path / "attachments").exists()
        r = add_reply(o, "xuanchuan", "已恢复更新，见截图", [("首页.png", png())], app.settings, T + timedelta(days=2))
        assert o.state == "replied" and r.attachments[0]["name"] == "首页.png"
    period = parse_period("2026Q4")
    with app.session() as s:
        fig = order_figures(s, period, date(2026, 12, 7), app.tz)
        # Replied but not yet re-checked when the deadline passed: not rectified in time.
        assert fig["total"] == {"orders": 1, "rectified_in_time": 0, "overdue": 1, "open": 0, "deduction": 10}
        o = s.scalar(select(RectificationOrder))
        from monitor.orders import close_order
        close_order(o, T + timedelta(days=13), "张检查")  # closed late, on a reply sent in time
    with app.session() as s:
        fig = order_figures(s, period, date(2026, 12, 9), app.tz)
        assert fig["by_host_unit"] == [{"host_unit": "中共南通市委宣传部", "orders": 1, "rectified_in_time": 1,
                                        "overdue": 0, "open": 0, "deduction": 0}]


def test_overdue_orders_are_in_the_reports_annex3_section(app, tmp_path):
    """The nightly report's 附件3 part counts an order past its deadline as 通报整改, 扣10分,
    against the 考核对象 (the account's 属地 南通市), at most 10 however many orders."""
    from monitor.reports import write_report

    h, _, _ = _silent_and_ads(app)
    _issue(app, on=date(2026, 11, 10))  # deadline 2026-11-20, before T: overdue at T
    # A second Weibo account of the same 主办单位: 集约整合, 5 points, against the same 考核对象.
    h.account(name="南通发布服务", host_unit="中共南通市委宣传部", platform_id="2803301702")
    paths = write_report(app, T, tmp_path / "report")
    html = paths["html"].read_text(encoding="utf-8")
    assert "通报整改" in html and "整改期限2026年11月20日，逾期未整改或整改不到位（逾期）" in html
    assert "南通市 集约整合−5 通报整改−10，合计扣15分" in html
    from openpyxl import load_workbook
    cells = [c.value for row in load_workbook(paths["xlsx"])["附件3监管"].iter_rows() for c in row]
    assert "通报整改" in cells
