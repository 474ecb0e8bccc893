"""report.html and tongbao.html, rendered from templates with every asset inline."""
from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.reports.data import ReportData
from monitor.reports.timeline import GAP, ORIGINAL, OTHER
from monitor.reports.view import AccountView, rule_label
from monitor.reports.wording import (
    RECTIFY_DAYS,
    TONGBAO_ADDRESSEE,
    TONGBAO_ISSUER,
    account_platform,
    facts_text,
    fmt_date,
    fmt_period,
    fmt_time,
    rectify_deadline,
    regulation_name,
    tongbao_title,
)

_env = Environment(loader=PackageLoader("monitor.reports", "templates"),
                   autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _common(data: ReportData) -> dict:
    period = data.period
    return {
        "at_text": fmt_time(data.at, data.tz),
        "period_text": fmt_period(period[0], period[1], data.tz) if period else "—",
        "total": data.aggregates["total"],
        "pct": pct,
    }


def render_report(data: ReportData, views: list[AccountView]) -> str:
    css = (Path(__file__).with_name("templates") / "base.css").read_text(encoding="utf-8")
    return _env.get_template("report.html").render(
        title=f"政务新媒体检查报告（{fmt_date(data.at.astimezone(data.tz))}）",
        rules_source=data.rules.source or data.rules.name,
        by_district=data.aggregates["by_district"], by_host_unit=data.aggregates["by_host_unit"],
        accounts=views, css=css, veto_days=data.rules.params.veto_days, annex3=data.annex3,
        colours={"original": ORIGINAL, "other": OTHER, "gap": GAP},
        **_common(data))


def tongbao_rows(data: ReportData) -> tuple[list[dict], list[dict]]:
    """(出现单项否决情形的名单, 出现扣分情形的名单), by 主办单位 then account name."""
    vetoed, deducted = [], []
    for r in sorted(data.accounts, key=lambda r: (r.account.host_unit, r.account.name)):
        c, a = r.card, r.account
        facts: dict[str, str] = {}
        for f in r.findings:  # a rule found in several cases (weeks, channels) lists them all
            text = facts_text(f.facts or {}, data.tz)
            if text:
                facts[f.rule] = f"{facts[f.rule]}；{text}" if f.rule in facts else text
        base = {"host_unit": a.host_unit, "name": a.name, "platform": account_platform(a), "score": c.score}
        if c.vetoes:
            problems = []
            for rule_id in c.vetoes:
                name, detail, _ = rule_label(data, rule_id)
                problems.append(f"{name}（{detail.rstrip('。')}）" + (f"：{facts[rule_id]}" if facts.get(rule_id) else ""))
            vetoed.append({**base, "problems": problems})
        elif any(v for v in c.deductions.values()):
            problems = []
            for rule_id, pts in sorted(c.deductions.items()):
                if pts:
                    name, detail, _ = rule_label(data, rule_id)
                    problems.append(f"{name}，扣{pts}分" + (f"（{facts[rule_id]}）" if facts.get(rule_id) else ""))
            deducted.append({**base, "problems": problems})
    return vetoed, deducted


def render_tongbao(data: ReportData, issuer: str = TONGBAO_ISSUER) -> str:
    vetoed, deducted = tongbao_rows(data)
    local = data.at.astimezone(data.tz)
    quarter = (local.month - 1) // 3 + 1
    return _env.get_template("tongbao.html").render(
        title=tongbao_title(f"{local.year}年第{'一二三四'[quarter - 1]}季度"),
        addressee=TONGBAO_ADDRESSEE,
        regulation=regulation_name(data.rules),
        vetoed=vetoed, deducted=deducted, rectify_days=RECTIFY_DAYS,
        deadline_text=fmt_date(rectify_deadline(data.at, data.tz)), date_text=fmt_date(local.date()),
        issuer=issuer, **_common(data))
