"""``monitor report [--at] [--out DIR]``: the HTML report, the xlsx workbook, the 通报 draft;
``monitor report --period P``: the periodic report over a month, a quarter or a range."""
from __future__ import annotations

from pathlib import Path

import typer

from monitor.cli.common import app_at, console, fail, ready_app


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        at: str = typer.Option(None, "--at", help="Monitoring time point T (default: the newest T detection ran for)."),
        out: Path = typer.Option(None, "--out", help="Output folder (default: <report_dir>/<T> or <report_dir>/<period>)."),
        period: str = typer.Option(None, "--period", help="A periodic report instead: 2026Q4, 2026-11 or FROM..TO "
                                                          "(ISO dates, inclusive)."),
        dated: str = typer.Option(None, "--date", help="With --period: the document's date (成文日期, default today)."),
    ) -> None:
        """Write report.html (self-contained), report.xlsx (Annex 2 layout) and tongbao.html for
        one T; with --period, periodic.html, periodic.xlsx and periodic.docx over the period."""
        if period is not None:
            if at is not None:
                fail("give either --at (one night) or --period (a month, quarter or range), not both", code=2)
            _periodic(period, out, dated)
            return
        if dated is not None:
            fail("--date goes with --period", code=2)
        from monitor.reports import write_report

        a, t = app_at(at, newest_detected=True, cycle_required=True)
        folder = out or Path(a.settings.report_dir) / t.strftime("%Y%m%dT%H%M")
        try:
            paths = write_report(a, t, folder)
        except OSError as exc:
            fail(f"cannot write the report to {folder}: {exc}")
        _print_paths(paths)


def _periodic(text: str, out: Path | None, dated: str | None) -> None:
    from datetime import date

    from monitor.reports import write_periodic_report
    from monitor.reports.period import PeriodError, parse_period

    try:
        period = parse_period(text)
    except PeriodError as exc:
        fail(str(exc), code=2)
    try:
        day = date.fromisoformat(dated) if dated else None
    except ValueError:
        fail(f"--date {dated!r}: not a date YYYY-MM-DD", code=2)
    a = ready_app(readonly=True)
    folder = out or Path(a.settings.report_dir) / period.text.replace("..", "_")
    try:
        paths = write_periodic_report(a, period, folder, dated=day)
    except LookupError:
        fail(f"no monitoring cycle ran in {period.title_zh} ({period.text}): nothing to report. "
             "Give a period in which cycles ran (monitor run)", code=1)
    except OSError as exc:
        fail(f"cannot write the report to {folder}: {exc}")
    _print_paths(paths)


def _print_paths(paths: dict[str, Path]) -> None:
    for kind, path in paths.items():
        console.print(f"{kind:8} {path}", highlight=False, soft_wrap=True)
