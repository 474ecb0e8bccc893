"""``monitor report [--at] [--out DIR]``: the HTML report, the xlsx workbook, the 通报 draft."""
from __future__ import annotations

from pathlib import Path

import typer

from monitor.cli.common import app_at, console, fail


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        at: str = typer.Option(None, "--at", help="Monitoring time point T (default: the newest T detection ran for)."),
        out: Path = typer.Option(None, "--out", help="Output folder (default: <report_dir>/<T>)."),
    ) -> None:
        """Write report.html (self-contained), report.xlsx (Annex 2 layout) and tongbao.html."""
        from monitor.reports import write_report

        a, t = app_at(at, newest_detected=True, cycle_required=True)
        folder = out or Path(a.settings.report_dir) / t.strftime("%Y%m%dT%H%M")
        try:
            paths = write_report(a, t, folder)
        except OSError as exc:
            fail(f"cannot write the report to {folder}: {exc}")
        for kind, path in paths.items():
            console.print(f"{kind:8} {path}", highlight=False, soft_wrap=True)
