"""The periodic report (``monitor report --period``): its figures over a quarter from stored
score cards and findings, on SQLite and PostgreSQL, and the files an inspector opens — the
HTML in Chromium, the workbook in openpyxl, the .docx read back and rendered by LibreOffice."""
from __future__ import annotations

import hashlib
import re
import subprocess
from datetime import date, datetime, timedelta

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from monitor.reports.period import parse_period
from monitor.reports.periodic import load_periodic
from storage.models import Account, Finding, Observation, Run, ScoreCard
from tests.fixtures.core import TZ, make_app
from tests.fixtures.pages import local_page

Q4 = parse_period("2026Q4")


def night(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 2, 0, tzinfo=TZ)


NIGHTS = [night(10, 10), night(10, 20), night(11, 10), night(11, 24)]
OUTSIDE = [night(9, 30), night(1, 2, 2027)]
V, P, U = "不合格", "合格", "未能核验"


def _account(s, name, district, host, **kw) -> Account:
    a = Account(name=name, platform="weibo", district=district, host_unit=host, platform_id=name, **kw)
    s.add(a)
    s.flush()
    return a


def _cards(s, a, verdicts, nights=NIGHTS):
    for at, verdict in zip(nights, verdicts):
        s.add(ScoreCard(account_id=a.id, at=at, period_start=at - timedelta(days=28), period_end=at,
                        verdict=verdict, score=95 if verdict == P else None))


def _finding(s, a, rule, at, state="auto", source="detector", case_key=""):
    s.add(Finding(account_id=a.id, rule=rule, at=at, state=state, source=source, case_key=case_key,
                  facts={"note": "检查发现"}))


def seed(app) -> dict[str, int]:
    """Four accounts over 2026Q4 (four nights in October and November, none in December)."""
    with app.session() as s:
        a = _account(s, "崇川发布", "崇川区", "崇川区人民政府办公室")
        b = _account(s, "崇川教育", "崇川区", "崇川区教育体育局")
        c = _account(s, "通州文旅", "通州区", "通州区文化广电和旅游局")
        d = _account(s, "=HYPERLINK(\"http://x\")", "通州区", "通州区数据局", lifecycle="关停")
        _cards(s, a, [V, V, P, P])
        _cards(s, a, [V, P], OUTSIDE)  # outside the quarter: never counted
        for at in NIGHTS[:2]:  # vetoed in October, no longer found in November: rectified
            _finding(s, a, "veto.no_update_2w", at)
        _finding(s, a, "veto.no_update_2w", OUTSIDE[0])
        _cards(s, b, [P, P, P, P])
        for at in NIGHTS[2:]:  # still found on the last night: not rectified
            _finding(s, b, "ded.untimely_update", at, case_key="2026-11-02")
        _finding(s, b, "veto.no_interaction", NIGHTS[0], state="suspected")  # awaits a reviewer
        _finding(s, b, "ded.irregular_name", NIGHTS[1], state="dismissed")
        _finding(s, b, "adv.update_reminder", NIGHTS[1])  # advisory: never a problem
        _cards(s, c, [U, V, U, P])
        # A person's finding: rectified only by an order's re-check, never by later nights.
        _finding(s, c, "veto.security", night(10, 15) - timedelta(hours=10), state="confirmed", source="manual")
        _cards(s, d, [U, U, U, U])
        s.add(Observation(account_id=d.id, platform="weibo", kind="timeline", outcome="blocked",
                          observed_at=NIGHTS[-1] - timedelta(hours=1), reason="rate_limited: HTTP 418",
                          http_status=418))
        for at in NIGHTS + OUTSIDE:
            s.add(Run(kind="detect", at=at, outcome="ok"))
        return {"a": a.id, "b": b.id, "c": c.id, "d": d.id}


def test_quarter_figures_per_district_month_and_rule(db_url, tmp_path):
    app = make_app(db_url, tmp_path)
    ids = seed(app)
    data = load_periodic(app, Q4)
    assert (data.first_night, data.last_night) == (NIGHTS[0], NIGHTS[-1])
    assert [(n.accounts, n.checked, n.passed) for n in data.trend] == [(4, 2, 1), (4, 3, 1), (4, 2, 2), (4, 3, 3)]
    t = data.total
    assert (t.accounts, t.checked_accounts, t.never_verifiable, t.closed_without_notice) == (4, 3, 1, 1)
    assert (t.account_nights, t.checked_nights, t.passed_nights) == (16, 10, 7)
    assert t.pass_rate == pytest.approx(0.7) and t.check_ratio == pytest.approx(0.75) and t.check_bonus == 5
    assert [t.month_rate(m) for m in data.months] == [pytest.approx(0.4), 1.0, None]
    assert (t.vetoes, t.veto_accounts, t.vetoes_rectified, t.deductions, t.deductions_rectified) == (2, 2, 1, 1, 0)

    cc, tz_ = data.by_district
    assert (cc.key, cc.accounts, cc.checked_accounts, cc.account_nights, cc.checked_nights, cc.passed_nights) == \
        ("崇川区", 2, 2, 8, 8, 6)
    assert [cc.month_rate(m) for m in data.months] == [0.5, 1.0, None]
    assert (cc.vetoes, cc.vetoes_rectified, cc.deductions, cc.deductions_rectified) == (1, 1, 1, 0)
    assert (tz_.key, tz_.accounts, tz_.checked_accounts, tz_.never_verifiable, tz_.closed_without_notice) == \
        ("通州区", 2, 1, 1, 1)
    assert (tz_.account_nights, tz_.checked_nights, tz_.passed_nights, tz_.check_bonus) == (8, 2, 1, 0)
    assert [tz_.month_rate(m) for m in data.months] == [0.0, 1.0, None]
    assert (tz_.vetoes, tz_.vetoes_rectified) == (1, 0)
    assert [f.key for f in data.by_host_unit] == sorted(["崇川区人民政府办公室", "崇川区教育体育局",
                                                          "通州区文化广电和旅游局", "通州区数据局"])

    assert {r.rule: (r.found, r.rectified) for r in data.by_rule} == {
        "veto.no_update_2w": (1, 1), "veto.security": (1, 0), "ded.untimely_update": (1, 0)}
    assert [r.group for r in data.by_rule] == ["veto", "veto", "deduction"]  # Annex 2 order
    assert data.rectified_by == "later_nights"
    (u,) = data.never_verifiable
    assert (u.id, u.district, u.nights) == (ids["d"], "通州区", 4)
    assert "2026年11月24日 01:00" in u.reason and "被平台限流" in u.reason and "HTTP 418" in u.reason

    month = load_periodic(app, parse_period("2026-11"))
    assert (month.total.account_nights, month.total.passed_nights, month.total.vetoes, month.total.deductions) == \
        (8, 5, 0, 1)
    assert load_periodic(app, parse_period("2026-12")).empty


def _docx_runs(path):
    doc = Document(str(path))
    paragraphs = list(doc.paragraphs) + [p for t in doc.tables for row in t.rows for c in row.cells
                                         for p in c.paragraphs]
    return doc, [r for p in paragraphs for r in p.runs if r.text.strip()]


def test_periodic_files_html_xlsx_docx(app, tmp_path, run_cli):
    seed(app)
    db_file = app.settings.database_url.removeprefix("sqlite:///")
    before = hashlib.sha256(open(db_file, "rb").read()).hexdigest()
    env = {"MONITOR_DATABASE_URL": app.settings.database_url}
    r = run_cli("report", "--period", "2026Q4", "--out", tmp_path / "q4", "--date", "2026-12-03", env=env)
    assert r.exit_code == 0, r.stderr
    assert hashlib.sha256(open(db_file, "rb").read()).hexdigest() == before  # reading never writes
    out = tmp_path / "q4"
    assert sorted(p.name for p in out.iterdir()) == ["periodic.docx", "periodic.html", "periodic.xlsx"]

    html = (out / "periodic.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']https?://""", html)
    shot = tmp_path / "periodic.png"
    with local_page(out / "periodic.html") as (page, remote):
        text = page.inner_text("body")
        charts = page.locator("figure.chart svg").count()
        rows = page.locator("#attachment-1 + .table-wrap tbody tr").count()
        page.screenshot(path=str(shot), full_page=True)
        # On paper: the letter is A4 portrait, the 附件 tables get landscape pages, and at that
        # page's width no table runs past its edge (a screen can scroll, paper cannot).
        pdf = tmp_path / "periodic.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True)
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 1030, "height": 700})  # A4 landscape less 12 mm margins, at 96 dpi
        overflowing = page.evaluate("""[...document.querySelectorAll('section.attachment-page table')]
            .filter(t => t.scrollWidth > t.closest('section').clientWidth + 1).length""")
    assert remote == [] and charts == 2 and rows == 3  # two 属地 and 合计
    assert overflowing == 0
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True).stdout
    sizes = [tuple(round(float(x)) for x in m) for m in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
    assert sizes[0] == (595, 842) and (842, 595) in sizes  # A4 portrait first, landscape pages for the 附件
    for words in ("关于2026年第四季度全市政务新媒体检查情况的报告", "市人民政府办公室：", "一、总体情况",
                  "检查比例75.0%", "合格率70.0%", "10月40.0%，11月100.0%，12月暂无核验数据",
                  "单项否决情形的问题2个（涉及2个账号），已整改1个", "2027年1月5日前报送",
                  "附件1　各属地政务新媒体检查情况统计表", "附件5　检查期内始终未能核验的账号", "被平台限流",
                  "2026年12月3日"):
        assert words in text, words
    from PIL import Image

    with Image.open(shot) as im:
        assert im.height > 1500 and len(im.convert("RGB").getcolors(maxcolors=1 << 20)) > 50

    wb = load_workbook(out / "periodic.xlsx")
    assert wb.sheetnames == ["按属地", "按主办单位", "年度考核指标", "问题类型", "始终未能核验",
                             "年度考核有关指标（按主办单位）", "每晚趋势"]
    ws = wb["按属地"]
    head = [c.value for c in ws[2]]
    assert head[:5] == ["属地", "账号数", "监测账号·夜次", "已核验账号·夜次", "10月合格率"]
    cc = [c for c in ws[3]]
    assert cc[0].value == "崇川区" and cc[1].value == 2 and cc[4].value == 0.5 and cc[4].number_format == "0.0%"
    assert [c.value for c in ws[5]][0] == "合计"
    unverified = wb["始终未能核验"]
    name = unverified.cell(3, 4)
    assert name.value == '=HYPERLINK("http://x")' and name.data_type == "s"  # text, never a live formula
    assert wb["每晚趋势"].max_row == 1 + 4

    doc, runs = _docx_runs(out / "periodic.docx")
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.top_margin.mm) == 37 and round(section.left_margin.mm) == 28
    styles = {p.style.name for p in doc.paragraphs}
    assert {"公文标题", "公文主送", "公文正文", "一级标题", "公文落款", "附件标识", "附件标题"} <= styles
    assert doc.paragraphs[0].text == "关于2026年第四季度全市政务新媒体检查情况的报告"
    assert doc.paragraphs[0].style.name == "公文标题"
    assert all(r._r.rPr.rFonts.get(qn("w:eastAsia")) for r in runs), "every run names its CJK font"
    assert {r._r.rPr.rFonts.get(qn("w:eastAsia")) for r in runs} >= {"仿宋_GB2312", "方正小标宋简体", "黑体"}
    assert len(doc.tables) == 5 and len(doc.inline_shapes) == 2
    font_table = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml").blob
    assert "仿宋_GB2312".encode() in font_table and 'w:altName w:val="仿宋"'.encode() in font_table


def test_a_period_without_cycles_or_a_bad_period_is_one_line(app, run_cli):
    seed(app)
    env = {"MONITOR_DATABASE_URL": app.settings.database_url}
    r = run_cli("report", "--period", "2026Q2", env=env)
    assert r.exit_code == 1 and "no monitoring cycle ran in 2026年第二季度" in r.stderr
    r = run_cli("report", "--period", "2026-13", env=env)
    assert r.exit_code == 2 and "month 13 does not exist" in r.stderr
    r = run_cli("report", "--period", "2026Q4", "--at", "2026-11-24T02:00", env=env)
    assert r.exit_code == 2 and "not both" in r.stderr


def test_quarterly_deadline_only_for_quarters():
    from monitor.reports.periodic_text import report_deadline

    assert report_deadline(parse_period("2026Q4")) == date(2027, 1, 5)
    assert report_deadline(parse_period("2026Q1")) == date(2026, 4, 5)
    assert report_deadline(parse_period("2026-11")) is None


def issue_q4(app, close: tuple[int, ...] = ()) -> int:
    """Issue the 2026Q4 通报 on 26 November and close the orders of ``close`` (account ids)."""
    from monitor.orders import close_order, issue_tongbao
    from monitor.rules import load_ruleset

    with app.session() as s:
        tb = issue_tongbao(s, Q4, load_ruleset(app.settings), TZ, issued_on=date(2026, 11, 26), issued_by="zhang",
                           deadline_days=10, now=night(11, 26) + timedelta(hours=8))
        for order in tb.orders:
            if order.account_id in close:
                close_order(order, night(12, 1) + timedelta(hours=8), "zhang")
        return tb.id


def test_once_a_tongbao_is_issued_rectified_means_its_orders_passed(db_url, tmp_path):
    from monitor.orders.figures import order_figures
    from monitor.reports.periodic_text import build_document

    app = make_app(db_url, tmp_path)
    ids = seed(app)
    issue_q4(app, close=(ids["a"],))
    data = load_periodic(app, Q4)
    assert data.rectified_by == "orders"
    t = data.total
    assert (t.vetoes, t.vetoes_rectified, t.deductions, t.deductions_rectified) == (2, 1, 1, 0)
    assert {r.rule: (r.found, r.rectified) for r in data.by_rule} == {
        "veto.no_update_2w": (1, 1), "veto.security": (1, 0), "ded.untimely_update": (1, 0)}
    with app.session() as s:
        orders = order_figures(s, Q4, date(2026, 12, 3), TZ)
    doc = build_document(data, orders, dated=date(2026, 12, 3))
    annex3 = " ".join(doc.sections[2].paragraphs)
    assert "期内下发通报整改单3份，按期整改1份，逾期未整改0份，尚在整改期限内2份" in annex3
    assert "通报整改单经复核通过" in " ".join(doc.sections[1].paragraphs)
    by_place = {row.figures.key: row.orders.get("rectified_in_time") for row in doc.attachments[2].rows}
    assert by_place == {"崇川区": 1, "通州区": 0}


def test_workspace_downloads_the_periodic_report(web_client, workspace):
    import io

    c = web_client("inspector")
    page = c.get("/downloads").text
    assert "2026年第四季度检查情况报告" in page and "/downloads/periodic.docx?period=2026Q4" in page
    assert "/downloads/periodic.xlsx?period=2026-11" in page
    r = c.get("/downloads/periodic.docx", params={"period": "2026Q4"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    doc = Document(io.BytesIO(r.content))
    assert doc.paragraphs[0].text == "关于2026年第四季度全市政务新媒体检查情况的报告"
    assert "中共南通市委宣传部" in [row.cells[0].text for t in doc.tables for row in t.rows]
    wb = load_workbook(io.BytesIO(c.get("/downloads/periodic.xlsx", params={"period": "2026-11"}).content))
    assert wb["按属地"]["A1"].value.startswith("各属地政务新媒体检查情况统计表")
    assert c.get("/downloads/periodic.docx", params={"period": "2026Q2"}).status_code == 404
    assert c.get("/downloads/periodic.docx", params={"period": "next quarter"}).status_code == 400
    assert c.get("/downloads/periodic.pdf", params={"period": "2026Q4"}).status_code == 404
    assert web_client("shangwu").get("/downloads/periodic.docx", params={"period": "2026Q4"}).status_code == 403
