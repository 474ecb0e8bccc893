"""The reports inspectors use: ``write_report(app, at, out_dir)`` writes

- ``report.html`` — score cards, deductions per Annex 2 item, vetoes, pending reviews,
  per-account posting timelines (inline SVG), evidence thumbnails linking to the packages,
  aggregates per 主办单位 and 属地; one self-contained file (inline CSS, SVG and images);
- ``report.xlsx`` — the score cards in the Annex 2 layout, and the findings;
- ``tongbao.html`` — a 通报 draft: 出现单项否决情形的名单 / 出现扣分情形的名单 and the 10-day
  rectification deadline.

``write_periodic_report(app, period, out_dir)`` writes the report over a month, a quarter or a
range of days (``monitor report --period``): ``periodic.html``, ``periodic.xlsx`` and
``periodic.docx`` (a government document: 标题, 主送, 正文, 附件 tables), from
``monitor.reports.periodic``'s SQL aggregates.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from monitor.app import App


def write_report(app: App, at: datetime, out_dir: str | Path) -> dict[str, Path]:
    from monitor.reports.data import load
    from monitor.reports.html import render_report, render_tongbao
    from monitor.reports.view import account_view
    from monitor.reports.workbook import write_workbook

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = load(app, at)
    views = [account_view(data, r, out.resolve()) for r in data.accounts]
    paths = {"html": out / "report.html", "xlsx": out / "report.xlsx", "tongbao": out / "tongbao.html"}
    paths["html"].write_text(render_report(data, views), encoding="utf-8")
    write_workbook(data, paths["xlsx"])
    paths["tongbao"].write_text(render_tongbao(data), encoding="utf-8")
    return paths


def write_periodic_report(app: App, period, out_dir: str | Path, *, dated: date | None = None,
                          formats: tuple[str, ...] = ("html", "xlsx", "docx")) -> dict[str, Path]:
    """``period``: a monitor.reports.period.Period; ``dated``: the 成文日期 (default today).
    Raises LookupError when no night of the period was scored (nothing to report)."""
    from monitor.reports import charts
    from monitor.reports.periodic import load_periodic
    from monitor.reports.periodic_tables import annex3_table, month_label, order_tallies
    from monitor.reports.periodic_text import build_document

    data = load_periodic(app, period)
    if data.empty:
        raise LookupError(period.text)
    dated = dated or app.at(None).date()
    orders = _order_figures(app, period, dated)
    doc = build_document(data, orders, dated=dated, regulation="")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    figures = {"trend": charts.trend_chart([(n.at, n.pass_rate, n.check_ratio) for n in data.trend], data.tz),
               "monthly": charts.monthly_chart([(f.key, [f.month_rate(ym) for ym in data.months])
                                                for f in data.by_district],
                                               [month_label(data, ym) for ym in data.months])}

    paths: dict[str, Path] = {}
    if "html" in formats:
        from monitor.reports.periodic_html import render_periodic

        paths["html"] = out / "periodic.html"
        paths["html"].write_text(render_periodic(data, doc, {k: charts.svg(f) for k, f in figures.items()}), encoding="utf-8")
    if "xlsx" in formats:
        from monitor.reports.periodic_workbook import write_periodic_workbook

        by_unit = annex3_table(data, "主办单位", data.by_host_unit, order_tallies(orders, "host_unit"),
                               "年度考核有关指标（按主办单位）")
        paths["xlsx"] = write_periodic_workbook(data, doc, [by_unit], out / "periodic.xlsx")
    if "docx" in formats:
        from monitor.reports.periodic_docx import write_periodic_docx

        paths["docx"] = write_periodic_docx(doc, {k: charts.png(f) for k, f in figures.items()}, out / "periodic.docx")
    return paths


def _order_figures(app: App, period, today: date) -> dict | None:
    """Annex 3's 通报整改 figures from the rectification orders issued in the period."""
    from monitor.orders.figures import order_figures

    with app.session() as s:
        return order_figures(s, period, today, app.tz)


__all__ = ["write_report", "write_periodic_report"]
