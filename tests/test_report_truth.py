"""What the report says about an account is true for that account: detection and scoring run
for real on hand-built histories, then the report, the xlsx and the 通报 are read back."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from parsel import Selector

from monitor.detectors import run_detection
from monitor.reports import write_report
from monitor.scoring import score_all
from tests.fixtures.core import T

BLOCKED_FROM = T - timedelta(days=2, hours=1)


@pytest.fixture
def night(app, history):
    h = history
    ids = {}
    # 如东气象: fine three nights ago, rate-limited (HTTP 418) the last two nights.
    ids["rd"] = h.account("如东气象", observe=False, district="如东县")
    h.observe(ids["rd"], observed_at=T - timedelta(days=3), covered_from=T - timedelta(days=60))
    h.daily_posts(ids["rd"], days=40)
    for when in (BLOCKED_FROM, T - timedelta(hours=1)):
        h.observe(ids["rd"], outcome="blocked", observed_at=when, reason="rate_limited: HTTP 418 slow down",
                  http_status=418)
    # 如东政务 (app): its download worked three nights ago, then answered 418 the last two
    # nights; 应用宝 has no adapter and is not judged.
    ids["app"] = h.account("如东政务", platform="app", district="如东县")
    h.app_check(ids["app"], "download", "ok", T - timedelta(days=3))
    for when in (BLOCKED_FROM, T - timedelta(hours=1)):
        h.app_check(ids["app"], "download", "unknown", when, reason="rate_limited",
                    detail="HTTP 418 at https://example.invalid/rudong.apk")
        h.app_check(ids["app"], "yyb", "unknown", when, reason="no_adapter")
    # 南通科技: closed, 停更公告 on 2026-10-20, nothing since.
    ids["kj"] = h.account("南通科技", lifecycle="关停", stop_notice_on=date(2026, 10, 20), district="市级")
    h.post(ids["kj"], T.replace(month=10, day=20, hour=10))
    # 南通数据: opened 2026-11-15, first post a week later.
    ids["sj"] = h.account("南通数据", opened_on=date(2026, 11, 15), district="市级")
    h.post(ids["sj"], T.replace(day=22, hour=10))
    h.post(ids["sj"], T.replace(day=24, hour=10))
    # 崇川公安: 4 posts, all original, the last 20 days ago.
    ids["cc"] = h.account("崇川公安", district="崇川区")
    for d in (27, 25, 22, 20):
        h.post(ids["cc"], T - timedelta(days=d), kind="original")
    # 通州文明: posts every day, only reposts.
    ids["tz"] = h.account("通州文明", district="通州区")
    h.daily_posts(ids["tz"], days=40, kind="repost")
    run_detection(app, T)
    score_all(app, T)
    return ids


def _cards(html: str, ids: dict) -> dict[str, Selector]:
    sel = Selector(text=html)
    return {k: sel.css(f"#acc-{v}") for k, v in ids.items()}


def _text(card: Selector) -> str:
    return "".join(card.css("*::text").getall())


def test_unverifiable_card_says_why_and_since_when(app, night, tmp_path):
    paths = write_report(app, T, tmp_path / "out")
    card = _cards(paths["html"].read_text(encoding="utf-8"), night)["rd"]
    text = _text(card)
    assert "未能核验" in text
    assert "最近一次采集（2026年11月25日 01:00）被平台限流（HTTP 418）" in text
    assert "自2026年11月23日 01:00起连续采集失败" in text
    assert "本次未发现扣分或否决问题" not in text
    assert not card.css("rect.gap")  # a failed crawl shows no silence
    ws = load_workbook(paths["xlsx"])["评分表"]
    headers = [c.value for c in ws[3]]
    row = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[1] == "如东气象")
    assert row[headers.index("结论")] == "未能核验"
    assert "被平台限流（HTTP 418）" in row[headers.index("说明")]


def test_unverifiable_app_card_says_which_channel_why_and_since_when(app, night, tmp_path):
    paths = write_report(app, T, tmp_path / "out")
    text = _text(_cards(paths["html"].read_text(encoding="utf-8"), night)["app"])
    assert "未能核验：最近一次检查（2026年11月25日 01:00）官方下载地址被平台限流（HTTP 418）" in text
    assert "自2026年11月23日 01:00起连续无法确定检查结果" in text
    assert "应用宝" not in text  # not judged, so not a reason
    assert "检查期内没有成功的采集记录" not in text and "本次未发现扣分或否决问题" not in text
    ws = load_workbook(paths["xlsx"])["评分表"]
    headers = [c.value for c in ws[3]]
    row = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[1] == "如东政务")
    assert row[headers.index("结论")] == "未能核验" and "官方下载地址被平台限流（HTTP 418）" in row[headers.index("说明")]


def test_app_with_no_judgeable_channel_says_so(app, history):
    from monitor.detectors.coverage import account_status
    from monitor.reports.wording import unverifiable_text
    from tests.fixtures.core import TZ

    aid = history.account("海安政务", platform="app")
    history.app_check(aid, "yyb", "unknown", T - timedelta(hours=1), reason="no_adapter")
    text = unverifiable_text(account_status(app, aid, T), TZ)
    assert text.startswith("未能核验：最近一次检查（2026年11月25日 01:00）应用宝暂不支持该应用商店。")


def test_closed_account_says_so_and_shows_no_silence(app, night, tmp_path):
    paths = write_report(app, T, tmp_path / "out")
    card = _cards(paths["html"].read_text(encoding="utf-8"), night)["kj"]
    text = _text(card)
    assert "已关停：2026年10月20日发布停更公告" in text
    assert not card.css("rect.gap") and "天无更新" not in text
    assert "最长连续未更新 —（已关停）" in text


def test_new_account_shows_no_silence_before_it_existed(app, night, tmp_path):
    paths = write_report(app, T, tmp_path / "out")
    card = _cards(paths["html"].read_text(encoding="utf-8"), night)["sj"]
    text = _text(card)
    assert "新开设账号：2026年11月15日开设" in text
    assert not card.css("rect.gap") and "天无更新" not in text
    assert "最长连续未更新 7 天" in text  # 11-15 → 11-22, not since the check period began


def test_advisories_are_right_and_said_once(app, night, tmp_path):
    paths = write_report(app, T, tmp_path / "out")
    cards = _cards(paths["html"].read_text(encoding="utf-8"), night)
    # Every post of 崇川公安 is original: its problem is 内容不更新, not 原创信息不足.
    cc = _text(cards["cc"])
    assert "内容不更新" in cc and "原创信息不足" not in cc
    # 通州文明 only reposts: two 14-day windows, one remark.
    tz_ = _text(cards["tz"])
    assert tz_.count("原创信息不足") == 1
    assert "均非原创" in tz_
