"""The reports inspectors use: ``write_report(app, at, out_dir)`` writes

- ``report.html`` — score cards, deductions per Annex 2 item, vetoes, pending reviews,
  per-account posting timelines (inline SVG), evidence thumbnails linking to the packages,
  aggregates per 主办单位 and 属地; one self-contained file (inline CSS, SVG and images);
- ``report.xlsx`` — the score cards in the Annex 2 layout, and the findings;
- ``tongbao.html`` — a 通报 draft: 出现单项否决情形的名单 / 出现扣分情形的名单 and the 10-day
  rectification deadline.
"""
from __future__ import annotations

from datetime import datetime
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


__all__ = ["write_report"]
