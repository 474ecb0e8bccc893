"""The periodic report as a document — 标题, 主送, 正文 (numbered sections), 附件 tables,
落款 — worded once for the HTML page and the .docx."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from monitor.reports.period import Period
from monitor.reports.periodic import PeriodicData
from monitor.reports.periodic_tables import (
    Table,
    annex3_table,
    cell_text,
    figures_table,
    month_label,
    order_tallies,
    rules_table,
    unverified_table,
)
from monitor.reports.wording import fmt_date, fmt_day, regulation_name

ADDRESSEE = "市人民政府办公室"
ISSUER = "南通市政务公开办"
CHART_CAPTIONS = {"trend": "每晚合格率与核验率", "monthly": "各属地月度合格率"}
RECTIFIED_BASIS = {
    "orders": "“已整改”指通报整改单经复核通过的问题。",
    "later_nights": "“已整改”指期内此后的监测中已核验且未再发现的问题（尚未下发通报整改单）；人工录入的问题须复核后方计为已整改。",
}


@dataclass
class Section:
    heading: str
    paragraphs: list[str]
    charts: list[tuple[str, str]] = field(default_factory=list)  # (chart name, caption "图1　…")


@dataclass
class PeriodicDocument:
    title: str
    addressee: str
    opening: str
    sections: list[Section]
    attachments: list[Table]
    issuer: str
    dated: date
    notes: list[str]

    @property
    def date_text(self) -> str:
        return fmt_date(self.dated)


def pct(value: float | None) -> str:
    return cell_text(value, "pct")


def report_deadline(period: Period) -> date | None:
    """附件3: 每季度的检查整改情况应于下一季度首月5日前报送 (quarters only)."""
    if period.kind != "quarter":
        return None
    nxt = period.last + timedelta(days=1)
    return date(nxt.year, nxt.month, 5)


def build_document(data: PeriodicData, orders: dict | None, *, dated: date, addressee: str = ADDRESSEE,
                   issuer: str = ISSUER, regulation: str = "") -> PeriodicDocument:
    """``orders``: what monitor.orders.figures.order_figures() says about the period (None
    or empty when no 通报 was issued in it)."""
    t, tz, period = data.total, data.tz, data.period
    regulation = regulation or regulation_name(data.rules)
    span = f"{fmt_day(data.first_night, tz)}至{fmt_day(data.last_night, tz)}" if data.first_night else "—"
    opening = (f"根据《{regulation}》，现对{period.title_zh}全市政务新媒体开展常态化监测检查的情况"
               f"（监测时间{span}，共{len(data.trend)}个监测夜次）报告如下：")
    months = "，".join(f"{month_label(data, ym)}{pct(t.month_rate(ym))}" if t.month_rate(ym) is not None
                      else f"{month_label(data, ym)}暂无核验数据" for ym in data.months)
    overall = [
        f"期内纳入监测的政务新媒体共{t.accounts}个，其中{t.checked_accounts}个至少完成一次核验，"
        f"检查比例{pct(t.check_ratio)}。按每晚评分计，合格率{pct(t.pass_rate)}（合格{t.passed_nights}个账号·夜次，"
        f"已核验{t.checked_nights}个账号·夜次）；各月合格率：{months}。",
        f"{t.never_verifiable}个账号在期内始终未能核验（采集被限流、要求验证或失败，见附件5），"
        "不作合格或不合格判定，系统将继续重试。" if t.never_verifiable else "期内每个账号均至少完成一次核验。",
    ]
    worst = [f for f in data.by_district if f.pass_rate is not None]
    if worst:
        low = min(worst, key=lambda f: f.pass_rate)
        high = max(worst, key=lambda f: f.pass_rate)
        if low.key != high.key:
            overall.append(f"分属地看，{high.key}合格率最高（{pct(high.pass_rate)}），"
                           f"{low.key}最低（{pct(low.pass_rate)}），详见附件1、附件2。")
    problems = [
        f"期内发现出现单项否决情形的问题{t.vetoes}个（涉及{t.veto_accounts}个账号），已整改{t.vetoes_rectified}个；"
        f"出现扣分情形的问题{t.deductions}个，已整改{t.deductions_rectified}个。"
    ]
    if data.by_rule:
        listed = "；".join(f"{r.name}（{r.detail.rstrip('。').split('，')[0]}）{r.found}个账号"
                          for r in sorted(data.by_rule, key=lambda r: (r.group != "veto", -r.found))[:6])
        problems.append(f"主要问题：{listed}。各类问题见附件4。")
    problems.append(RECTIFIED_BASIS[data.rectified_by])
    total_orders = (orders or {}).get("total", {})
    annex3 = [f"检查比例{pct(t.check_ratio)}（附件3：每季度检查比例均达100%的加10分，均达到70%的加5分）。"]
    if total_orders.get("orders"):
        annex3.append(f"期内下发通报整改单{total_orders['orders']}份，按期整改{total_orders.get('rectified_in_time', 0)}份，"
                      f"逾期未整改{total_orders.get('overdue', 0)}份，尚在整改期限内{total_orders.get('open', 0)}份"
                      "（附件3：通报公开之日起10日内对问题仍未整改或整改不到位的，扣10分）。")
    else:
        annex3.append("期内未下发通报整改单。")
    annex3.append(f"已报关停却未发布停更公告的账号{t.closed_without_notice}个（附件3：每发现一个扣5分，上限10分）。"
                  "各属地、各单位情况见附件3。")
    due = report_deadline(period)
    if due:
        annex3.append(f"按照附件3要求，本季度检查整改情况应于{fmt_date(due)}前报送市政府办公室"
                      + ("，第四季度报送内容应包括全年情况。" if period.first.month == 10 else "。"))
    charts = [(name, f"图{i}　{CHART_CAPTIONS[name]}") for i, name in enumerate(("trend", "monthly"), 1)]
    sections = [Section("一、总体情况", overall, charts),
                Section("二、发现的问题及整改情况", problems),
                Section("三、年度考核有关指标", annex3)]
    attachments = [
        figures_table(data, "属地", data.by_district, "各属地政务新媒体检查情况统计表"),
        figures_table(data, "主办单位", data.by_host_unit, "各主办单位政务新媒体检查情况统计表"),
        annex3_table(data, "属地", data.by_district, order_tallies(orders, "district"), "年度考核有关指标（按属地）"),
        rules_table(data),
        unverified_table(data),
    ]
    notes = ["合格率按每晚评分计：合格账号·夜次 ÷ 已核验账号·夜次；“未能核验”的夜次不计入。",
             "检查比例：期内至少完成一次核验的账号 ÷ 纳入监测的账号。",
             "账号·夜次：一个账号在一个监测夜的检查，期内每晚每个账号计一次。",
             RECTIFIED_BASIS[data.rectified_by]]
    return PeriodicDocument(f"关于{period.title_zh}全市政务新媒体检查情况的报告", addressee, opening, sections,
                            attachments, issuer, dated, notes)
