"""``monitor findings [--format table|json] [--at] [--rule] [--state] [--district]`` and
``monitor findings add --account … --rule … --note … [--evidence FILE]``."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.table import Table

from monitor.cli.common import app_at, console, fail, get_app, print_json

STATES = ("auto", "suspected", "confirmed", "dismissed")


class Format(str, Enum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    grp = typer.Typer(help="Findings at T: list them, or add one only a person can judge.",
                      invoke_without_command=True)
    app.add_typer(grp, name="findings")

    @grp.callback()
    def findings(
        ctx: typer.Context,
        fmt: Format = typer.Option(Format.table, "--format", help="table or json."),
        at: str = typer.Option(None, "--at", help="Monitoring time point T (default: the newest T detection ran for)."),
        rule: str = typer.Option(None, "--rule", help="Only this rule id, or a group prefix (veto, ded, adv)."),
        state: str = typer.Option(None, "--state", help="Only this state: auto, suspected, confirmed, dismissed."),
        district: str = typer.Option(None, "--district", help="Only accounts of this 属地."),
    ) -> None:
        """List the findings that bear on T (advisory ones included; they never change a score)."""
        if ctx.invoked_subcommand is not None:
            return
        from monitor.review import finding_json, list_findings
        from monitor.rules import load_ruleset

        if state and state not in STATES:
            fail(f"--state must be one of {', '.join(STATES)}, not {state!r}", code=2)
        a, t = app_at(at, newest_detected=True, cycle_required=True)
        ruleset = load_ruleset(a.settings)
        found = list_findings(a, t, rule=rule, state=state, district=district, ruleset=ruleset)
        rows = [finding_json(f, ruleset, a.tz) for f in found]
        if fmt == Format.json:
            print_json(rows)
            return
        from monitor.reports.wording import STATE_ZH, account_platform, facts_text, fmt_time

        table = Table(title=f"检查发现  监测时间点 {fmt_time(t, a.tz)}（{len(rows)}项）")
        for col in ("ID", "账号", "平台", "属地", "检查指标", "规则", "状态", "事实"):
            table.add_column(col, overflow="fold")
        for f, r in zip(found, rows):
            table.add_row(str(r["id"]), r["account_name"], account_platform(f.account),
                          r["district"] or "", r["rule_name"] or "", r["rule"], STATE_ZH.get(r["state"], r["state"]),
                          facts_text(r["facts"], a.tz))
        console.print(table)

    @grp.command("add")
    def add(
        account: str = typer.Option(..., "--account", help="The account: its id, 账号ID or 名称."),
        rule: str = typer.Option(..., "--rule", help="Rule id, e.g. veto.security, ded.comment_moderation."),
        note: str = typer.Option(..., "--note", help="What was found (goes into the finding and the report)."),
        evidence: Path = typer.Option(None, "--evidence", help="A file to keep with the finding (screenshot, PDF …)."),
        at: str = typer.Option(None, "--at", help="When it was found (default now); it counts in check periods containing it."),
        reviewer: str = typer.Option(None, "--reviewer", help="Who found it (default: the login name)."),
        as_json: bool = typer.Option(False, "--json", help="Print the new finding as JSON."),
    ) -> None:
        """Record a finding only a person can judge (严重表述错误, 购买粉丝, 留言审看 …), confirmed."""
        from monitor.review import ReviewError, add_finding, finding_json
        from monitor.rules import load_ruleset

        a = get_app()
        a.init_db()
        try:
            t = a.at(at)
            f = add_finding(a, account, rule, note, evidence=evidence, at=t, reviewer=reviewer)
        except (ReviewError, ValueError) as exc:
            fail(str(exc), code=2)
        if as_json:
            print_json(finding_json(f, load_ruleset(a.settings), a.tz))
        else:
            console.print(f"finding {f.id} added: {f.account.name} {rule} confirmed by {f.reviewer}",
                          highlight=False)
