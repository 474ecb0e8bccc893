"""periodic.html: the periodic report as one self-contained page (inline CSS and SVG charts)."""
from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from monitor.reports.html import _env
from monitor.reports.periodic import PeriodicData
from monitor.reports.periodic_text import PeriodicDocument
from monitor.reports.wording import fmt_date


def render_periodic(data: PeriodicData, doc: PeriodicDocument, charts: dict[str, str]) -> str:
    """``charts``: chart name → SVG text (monitor.reports.charts)."""
    css = (Path(__file__).with_name("templates") / "base.css").read_text(encoding="utf-8")
    p = data.period
    return _env.get_template("periodic.html").render(
        doc=doc, css=css, charts={k: Markup(v) for k, v in charts.items()},
        period_text=f"{p.title_zh}（{fmt_date(p.first)}至{fmt_date(p.last)}）", nights=len(data.trend),
        rules_source=data.rules.source or data.rules.name)
