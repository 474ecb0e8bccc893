"""``monitor tongbao issue --period 2026Q4|2026-11|FROM..TO`` and ``monitor tongbao show ID``."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from monitor.cli.commands.findings import Format
from monitor.cli.common import console, fail, print_json, ready_app


def _issued(tongbao_id: int):
    """The App and the frozen content of an issued 通报 (exit 1 when there is none)."""
    from monitor.orders.issue import IssueError, tongbao_content

    a = ready_app(readonly=True)
    try:
        with a.session() as s:
            return a, tongbao_content(s, tongbao_id)
    except IssueError as exc:
        fail(str(exc), code=1)


def register(app: typer.Typer) -> None:
    grp = typer.Typer(help="通报: issue one over a period (opens the rectification orders), show one.",
                      no_args_is_help=True)
    app.add_typer(grp, name="tongbao")

    @grp.command("issue")
    def issue(
        period: str = typer.Option(..., "--period", help="2026Q4, 2026-11 or 2026-10-01..2026-12-31."),
        on: str = typer.Option(None, "--on", help="Issue date YYYY-MM-DD (default: today)."),
        by: str = typer.Option(None, "--by", help="Who issues it (default: the login name)."),
        deadline_days: int = typer.Option(None, "--deadline-days", min=1,
                                          help="Days to rectify (default: [orders] deadline_days, 10 per Annex 3)."),
    ) -> None:
        """Freeze what the 通报 cites (accounts, findings, evidence ids) and open one
        rectification order per account, due DEADLINE-DAYS after the issue date."""
        from monitor.orders import IssueError, issue_tongbao
        from monitor.reports.period import PeriodError, parse_period
        from monitor.review import _reviewer
        from monitor.rules import load_ruleset

        try:
            p = parse_period(period)
        except PeriodError as exc:
            fail(str(exc), code=2)
        a = ready_app()
        now = a.at(None)
        try:
            issued_on = date.fromisoformat(on) if on else now.date()
        except ValueError:
            fail(f"--on {on!r} is not a date YYYY-MM-DD", code=2)
        try:
            with a.session() as s:
                tb = issue_tongbao(s, p, load_ruleset(a.settings), a.tz, issued_on=issued_on, issued_by=_reviewer(by),
                                   deadline_days=deadline_days or a.settings.orders.deadline_days, now=now)
                content = tb.content
        except IssueError as exc:
            fail(str(exc), code=1)
        t = content["totals"]
        console.print(f"通报 {tb.id}（{content['period_title_zh']}，{content['doc_number']}）已于{content['issued_on_zh']}下发："
                      f"{t['accounts']}个账号、{t['findings']}项问题，整改期限{content['deadline_zh']}；"
                      f"已生成整改单{t['accounts']}份（monitor orders list）；公文：monitor tongbao docx {tb.id}",
                      highlight=False, soft_wrap=True)

    @grp.command("docx")
    def docx(
        tongbao_id: int = typer.Argument(..., metavar="ID"),
        out: Path = typer.Option(None, "--out", help="The .docx to write (default: <report_dir>/通报_<period>_<ID>.docx)."),
    ) -> None:
        """The issued 通报 as a .docx government document, from its frozen content."""
        from monitor.orders.issue import docx_name
        from monitor.reports.tongbao_docx import write_tongbao_docx

        a, content = _issued(tongbao_id)
        path = out or Path(a.settings.report_dir) / docx_name(content)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_tongbao_docx(content, path)
        except OSError as exc:
            fail(f"cannot write {path}: {exc}", code=2)
        console.print(str(path), highlight=False, soft_wrap=True)

    @grp.command("show")
    def show(
        tongbao_id: int = typer.Argument(..., metavar="ID"),
        fmt: Format = typer.Option(Format.table, "--format", help="table (what an inspector reads) or json (the frozen content)."),
    ) -> None:
        """What an issued 通报 cites, exactly as it was frozen."""
        from collections import Counter

        a, content = _issued(tongbao_id)
        if fmt == Format.json:
            print_json(content)
            return
        console.print(f"通报 {content['id']} {content['period_title_zh']} {content['doc_number']} "
                      f"{content['issued_on_zh']}下发，整改期限{content['deadline_zh']}", highlight=False)
        for r in content["accounts"]:
            # One entry per indicator: four empty weeks are 内容更新不及时（扣分，4起）, not the
            # same words four times.
            counted = Counter((f["rule_name"], f["group_zh"]) for f in r["findings"])
            problems = "；".join(f"{name}（{group}" + (f"，{n}起）" if n > 1 else "）")
                                for (name, group), n in counted.items())
            console.print(f"  {r['host_unit']}｜{r['name']}（{r['platform_zh']}）：{problems}", highlight=False,
                          soft_wrap=True)
