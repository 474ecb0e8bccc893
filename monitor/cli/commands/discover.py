"""``monitor discover [--platform weibo] [--format table|json]`` and its decisions:
``monitor discover list``, ``monitor discover register ID``, ``monitor discover dismiss ID``."""
from __future__ import annotations

from enum import Enum

import typer
from rich.table import Table

from monitor.cli.common import app_at, console, fail, print_json, ready_app

COLUMNS = ("类别", "名称", "平台", "账号ID", "访问链接", "认证信息", "粉丝数", "发布数", "最近发布", "匹配单位", "匹配依据")


class Format(str, Enum):
    table = "table"
    json = "json"


def _print_candidates(rows, title: str) -> None:
    table = Table(title=title)
    table.add_column("ID")
    for col in COLUMNS:
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["id"], *(r[c] for c in COLUMNS))
    console.print(table)


def _decider(name: str | None) -> str:
    from monitor.review import _reviewer

    return _reviewer(name)


def register(app: typer.Typer) -> None:
    grp = typer.Typer(help="Find the government accounts the registry misses (Annex 3 监管范围).",
                      invoke_without_command=True)
    app.add_typer(grp, name="discover")

    @grp.callback()
    def discover(
        ctx: typer.Context,
        platform: str = typer.Option("weibo", "--platform", help="weibo (the only platform with a public "
                                     "user search a visitor may use; the others say why not)."),
        fmt: Format = typer.Option(Format.table, "--format", help="table or json."),
        at: str = typer.Option(None, "--at", help="Time point of the pass (default: now)."),
    ) -> None:
        """Search the platform for every registered 主办单位 and list the accounts that name a
        unit but are not registered. A unit whose search failed is 未能核验, never "none"."""
        if ctx.invoked_subcommand is not None:
            return
        from monitor.discovery import DiscoveryBusy, NotSearchable, check_platform, open_candidates, run_discovery
        from monitor.discovery.view import candidate_json, candidate_row, unverified_rows
        from monitor.reports.wording import fmt_time

        try:
            check_platform(platform)
        except NotSearchable as exc:
            fail(str(exc), code=2)
        from monitor.discovery.runner import registered_units

        a, t = app_at(at)
        if not registered_units(a):
            fail("no accounts registered: no 主办单位 to search for. Import the registry first: "
                 "monitor accounts import FILE", code=1)
        try:
            result = run_discovery(a, t, platform)
        except DiscoveryBusy as exc:
            fail(f"{exc}; try again when it has finished", code=3)
        counts = result.summary.counts()
        with a.session() as s:
            found = [c for c in open_candidates(s, platform) if c.last_run_id == result.run_id]
            if fmt is Format.json:
                print_json({"run_id": result.run_id, "at": t.isoformat(), "platform": platform,
                            "outcome": result.outcome, "message": result.message, "counts": counts,
                            "candidates": [candidate_json(c) for c in found]})
            else:
                _print_candidates([candidate_row(c, a.tz) for c in found],
                                  f"账号发现  {fmt_time(t, a.tz)}  检索{counts['units']}个主办单位，"
                                  f"{counts['requests']}次请求，发现{len(found)}个待核实账号")
                for row in unverified_rows(counts):
                    console.print(f"[yellow]{row['主办单位']}：{row['结果']}（{row['原因']}）[/]", highlight=False)
        if result.outcome != "ok":
            fail(result.message or "the discovery pass failed", code=1)

    @grp.command("list")
    def list_(
        fmt: Format = typer.Option(Format.table, "--format", help="table or json."),
        platform: str = typer.Option(None, "--platform", help="Only this platform."),
        kind: str = typer.Option(None, "--kind", help="unregistered or impostor."),
    ) -> None:
        """The open candidates of all passes (registered and dismissed ones are not listed)."""
        from monitor.discovery import open_candidates
        from monitor.discovery.view import candidate_json, candidate_row

        if kind and kind not in ("unregistered", "impostor"):
            fail(f"--kind must be unregistered or impostor, not {kind!r}", code=2)
        a = ready_app(readonly=True)
        with a.session() as s:
            found = open_candidates(s, platform, kind)
            if fmt is Format.json:
                print_json([candidate_json(c) for c in found])
                return
            _print_candidates([candidate_row(c, a.tz) for c in found], f"待核实账号（{len(found)}个）")

    @grp.command("register")
    def register_(
        candidate_id: int = typer.Argument(..., metavar="ID", help="The candidate id (see `monitor discover list`)."),
        unit: str = typer.Option(None, "--unit", help="主办单位 to register it under (default: the one it matched)."),
        note: str = typer.Option(None, "--note", help="Why (kept with the candidate)."),
        by: str = typer.Option(None, "--by", help="Who decides (default: the login name)."),
    ) -> None:
        """Put the candidate into the registry as an account of its unit."""
        from monitor.discovery import CandidateError, register_candidate

        a = ready_app(readonly=True)
        try:
            with a.session() as s:
                acc = register_candidate(s, candidate_id, _decider(by), note, unit)
                line = f"candidate {candidate_id} registered as account {acc.id} ({acc.name}, {acc.host_unit})"
        except CandidateError as exc:
            fail(str(exc), code=2)
        console.print(line, highlight=False)

    @grp.command("dismiss")
    def dismiss(
        candidate_id: int = typer.Argument(..., metavar="ID", help="The candidate id."),
        note: str = typer.Option(..., "--note", help="Why it is not the unit's account (kept; it is not listed again)."),
        by: str = typer.Option(None, "--by", help="Who decides (default: the login name)."),
    ) -> None:
        """Dismiss the candidate; later passes remember it and do not list it again."""
        from monitor.discovery import CandidateError, dismiss_candidate

        a = ready_app(readonly=True)
        try:
            with a.session() as s:
                c = dismiss_candidate(s, candidate_id, _decider(by), note)
                line = f"candidate {candidate_id} ({c.name}) dismissed by {c.decided_by}"
        except CandidateError as exc:
            fail(str(exc), code=2)
        console.print(line, highlight=False)
