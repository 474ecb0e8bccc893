"""The reports an inspector opens: the xlsx in openpyxl, the HTML in headless Chromium."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image, ImageDraw

from monitor.reports import write_report
from monitor.timeutil import complete_weeks_before
from storage.models import Account, EvidencePackage, Finding, Post, ScoreCard
from tests.fixtures.core import T, TZ
from tests.fixtures.pages import local_page

PERIOD_START = complete_weeks_before(T, 4, TZ)[0][0]
EVIDENCE_ID = "cd" * 32


def _account(s, name, platform, district, host, **kw):
    a = Account(name=name, platform=platform, district=district, host_unit=host, platform_id=name, **kw)
    s.add(a)
    s.flush()
    return a


def _card(s, a, verdict, score, vetoes=(), deductions=None, pending=()):
    s.add(ScoreCard(account_id=a.id, at=T, period_start=PERIOD_START, period_end=T, verdict=verdict,
                    score=score, vetoes=list(vetoes), deductions=deductions or {}, pending=list(pending)))


def _posts(s, a, days_ago_kinds):
    for i, (days, kind) in enumerate(days_ago_kinds):
        s.add(Post(account_id=a.id, platform_post_id=f"{a.id}-{i}", published_at=T - timedelta(days=days), kind=kind))


def _screenshot(folder):
    folder.mkdir(parents=True)
    img = Image.new("RGB", (414, 1400), "white")
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 414, 90), fill=(255, 130, 0))
    for y in range(120, 1400, 60):
        d.rectangle((20, y, 394, y + 30), fill=(220, 220, 220))
    img.save(folder / "screenshot.png")


@pytest.fixture
def seeded(app, tmp_path):
    with app.session() as s:
        cc = _account(s, "崇川发布", "weibo", "崇川区", "崇川区人民政府办公室")
        tz_ = _account(s, "通州教育", "weibo", "通州区", "南通市通州区教育局")
        hm = _account(s, "海门政务", "wechat", "海门区", "海门区人民政府办公室", wechat_kind="订阅号")
        qd = _account(s, "启东文旅", "wechat", "启东市", "启东市文化广电和旅游局", wechat_kind="订阅号")
        app_ = _account(s, "南通百通", "app", "市本级", "南通市大数据管理局")
        _posts(s, cc, [(27, "original"), (25, "repost"), (22, "original"), (20, "original")])
        _posts(s, tz_, [(d, "original" if d % 2 else "repost") for d in range(1, 29, 3)])
        _posts(s, hm, [(26, "original"), (17, "original"), (3, "repost")])
        veto = Finding(account_id=cc.id, rule="veto.no_update_2w", at=T, state="auto", evidence_id=EVIDENCE_ID,
                       facts={"latest_post_at": (T - timedelta(days=20)).isoformat(), "days_silent": 20})
        s.add(veto)
        s.flush()
        pkg = tmp_path / "evidence" / EVIDENCE_ID
        _screenshot(pkg)
        s.add(EvidencePackage(id=EVIDENCE_ID, finding_id=veto.id, path=str(pkg)))
        s.add(Finding(account_id=tz_.id, rule="ded.irregular_verification", at=T, state="auto",
                      facts={"problem": "认证信息未标明主办单位名称", "verified_reason": "通州教育官方微博"}))
        s.add(Finding(account_id=hm.id, rule="ded.untimely_update", at=T, case_key="2026-11-09", state="auto",
                      facts={"week": [T.replace(day=9, hour=0).isoformat(), T.replace(day=16, hour=0).isoformat()], "posts": 0}))
        s.add(Finding(account_id=hm.id, rule="ded.irregular_name", at=T, state="confirmed", facts={}))
        s.add(Finding(account_id=hm.id, rule="veto.no_interaction", at=T, state="suspected", facts={"interaction_closed": True}))
        _card(s, cc, "不合格", None, vetoes=["veto.no_update_2w"])
        _card(s, tz_, "合格", 90, deductions={"ded.irregular_verification": 10})
        _card(s, hm, "合格", 85, deductions={"ded.untimely_update": 5, "ded.irregular_name": 10},
              pending=["veto.no_interaction"])
        _card(s, qd, "未能核验", None)
        _card(s, app_, "合格", 100)
        ids = {"cc": cc.id, "tz": tz_.id, "hm": hm.id, "qd": qd.id, "app": app_.id}
    return ids


def _row(ws, name):
    for row in ws.iter_rows(min_row=4, values_only=True):
        if row[1] == name:
            return row
    raise AssertionError(f"{name} not in sheet {ws.title}")


def test_workbook_has_annex2_score_cards_and_findings(app, seeded, tmp_path):
    paths = write_report(app, T, tmp_path / "out")
    wb = load_workbook(paths["xlsx"])
    assert wb.sheetnames == ["评分表", "问题清单", "附件3监管"]
    ws = wb["评分表"]
    groups = [c for c in next(ws.iter_rows(min_row=2, max_row=2, values_only=True)) if c]
    assert groups == ["基本信息", "单项否决指标", "扣分指标（100分）", "评分结果"]
    headers = list(next(ws.iter_rows(min_row=3, max_row=3, values_only=True)))
    assert headers[:5] == ["序号", "账号名称", "平台", "主办单位", "属地"]
    assert headers[-4:] == ["得分", "结论", "待复核", "说明"]
    assert "内容不更新\n监测时间点前2周内无更新。" in headers
    assert "认证信息不规范（10分）" in headers and "内容更新不及时（10分）" in headers
    assert len(headers) == 5 + 5 + 10 + 4  # Annex 2: 5 veto cases, 10 deduction items
    col = {h: i for i, h in enumerate(headers)}
    cc = _row(ws, "崇川发布")
    assert cc[col["内容不更新\n监测时间点前2周内无更新。"]] == "否决"
    assert (cc[col["得分"]], cc[col["结论"]]) == (None, "不合格")
    tz_ = _row(ws, "通州教育")
    assert tz_[col["认证信息不规范（10分）"]] == 10 and tz_[col["得分"]] == 90 and tz_[col["平台"]] == "新浪微博"
    hm = _row(ws, "海门政务")
    assert hm[col["内容更新不及时（10分）"]] == 5 and hm[col["名称不规范（10分）"]] == 10
    assert hm[col["得分"]] == 85 and hm[col["待复核"]] == "互动回应差"
    assert _row(ws, "启东文旅")[col["结论"]] == "未能核验"
    assert ws.max_row == 3 + 5

    fs = wb["问题清单"]
    rows = list(fs.iter_rows(values_only=True))
    assert rows[0][:7] == ("序号", "账号名称", "平台", "主办单位", "属地", "类别", "检查指标")
    by_rule = {r[8]: r for r in rows[1:]}
    assert len(rows) == 1 + 5
    assert by_rule["veto.no_update_2w"][1] == "崇川发布" and by_rule["veto.no_update_2w"][6] == "内容不更新"
    assert by_rule["veto.no_update_2w"][12] == EVIDENCE_ID and "已连续20天未更新" in by_rule["veto.no_update_2w"][11]
    assert by_rule["veto.no_interaction"][9] == "待复核"
    assert "2026年11月9日至2026年11月15日当周无更新" in by_rule["ded.untimely_update"][11]


def test_tongbao_lists_vetoes_and_deductions_with_deadline(app, seeded, tmp_path):
    paths = write_report(app, T, tmp_path / "out")
    text = paths["tongbao"].read_text(encoding="utf-8")
    veto_part, rest = text.split("一、出现单项否决情形的名单")[1].split("二、出现扣分情形的名单")
    ded_part, demand = rest.split("三、整改要求")
    assert "崇川发布" in veto_part and "内容不更新（监测时间点前2周内无更新）" in veto_part
    assert "通州教育" not in veto_part and "海门政务" not in veto_part
    assert "通州教育" in ded_part and "认证信息不规范，扣10分" in ded_part
    assert "海门政务" in ded_part and "内容更新不及时，扣5分" in ded_part
    assert "崇川发布" not in ded_part and "启东文旅" not in ded_part
    assert "2026年12月5日前" in demand and "10日内" in demand
    assert "共检查政务新媒体5个" in text and "1个账号因采集失败未能核验" in text


def test_html_report_renders_in_chromium(app, seeded, tmp_path):
    paths = write_report(app, T, tmp_path / "out")
    html = paths["html"].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']https?://""", html), "the report must not load external assets"
    shot = tmp_path / "report.png"
    with local_page(paths["html"]) as (page, remote):
        text = page.inner_text("body")
        svg_counts = {k: page.locator(f"#acc-{v} svg.timeline").count() for k, v in seeded.items()}
        gaps = {k: page.locator(f"#acc-{v} svg rect.gap").count() for k, v in seeded.items()}
        bars = page.locator(f"#acc-{seeded['tz']} svg rect.bar").count()
        img_ok = page.eval_on_selector(f"#acc-{seeded['cc']} .evidence img", "i => i.complete && i.naturalWidth > 0")
        link = page.get_attribute(f"#acc-{seeded['cc']} .evidence a", "href")
        page.screenshot(path=str(shot), full_page=True)
    assert remote == []
    for name in ("政务新媒体检查报告", "崇川发布", "通州教育", "海门政务", "启东文旅", "南通百通",
                 "按属地统计", "按主办单位统计", "崇川区人民政府办公室", "认证信息不规范 −10", "未能核验"):
        assert name in text, name
    # One timeline per publishing account, none for the app; 崇川发布's 20-day silence is shaded.
    assert svg_counts == {"cc": 1, "tz": 1, "hm": 1, "qd": 1, "app": 0}
    # An account that could not be checked never shows a silence.
    assert gaps["cc"] == 1 and gaps["tz"] == 0 and gaps["qd"] == 0 and bars >= 4
    assert "20天无更新" in text
    assert img_ok and link == f"../evidence/{EVIDENCE_ID}/"
    assert (tmp_path / "out" / link / "screenshot.png").is_file()
    with Image.open(shot) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
        assert im.height > 1500 and colours and len(colours) > 50  # a real page, not a blank one


def test_verification_fact_names_its_source_without_nested_brackets():
    from monitor.reports.wording import facts_text

    text = facts_text({"verified_reason": "海门发布官方账号", "认证信息来源": "平台主页（抓取）"}, TZ)
    assert text == "认证信息：海门发布官方账号，来源：平台主页（抓取）"  # was …（来源：平台主页（抓取））
