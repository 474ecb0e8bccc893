"""``monitor inspect FILE [--as KIND] [--format table|json] [--at T]``: what our parsers read
from one saved payload (the kinds are in ``monitor/inspect/kinds``)."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.table import Table

from monitor.cli.common import console, fail, print_json


class Format(str, Enum):
    table = "table"
    json = "json"


def _show(report: dict) -> None:
    how = "detected" if report.get("detected") else "given"
    console.print(f"{report['file']}: {report['kind']} ({how})", highlight=False)
    console.print(f"classification: [bold]{report['classification']}[/]"
                  + (f" — {report['reason']}" if report.get("reason") else ""), highlight=False)
    if "cursor" in report:
        cursor = report["cursor"]
        console.print("cursor: " + (", ".join(f"{k}={v}" for k, v in cursor.items()) if cursor else "none (end)"),
                      highlight=False)
    for key, value in (report.get("facts") or {}).items():
        console.print(f"{key}: {value}", highlight=False, soft_wrap=True)
    posts = report.get("posts")
    if posts:
        table = Table(show_header=True, header_style="bold")
        columns = list(posts[0])
        for col in columns:
            table.add_column(col)
        for row in posts:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        console.print(table)


def register(app: typer.Typer) -> None:
    @app.command("inspect")
    def inspect(
        file: Path = typer.Argument(None, help="A saved payload (JSON answer, HTML page, feed …)."),
        kind: str = typer.Option(None, "--as", help="Payload kind (default: detected; see --kinds)."),
        fmt: Format = typer.Option(Format.table, "--format", help="table or json."),
        at: str = typer.Option(None, "--at", help="Clock for relative dates such as 3小时前 (default: now)."),
        list_kinds: bool = typer.Option(False, "--kinds", help="List the payload kinds and exit."),
    ) -> None:
        """Print what the parsers read from one saved payload: posts (id, time, kind, pinned),
        cursor, classification (ok / blocked / empty / rate-limited …)."""
        from monitor.inspect import InspectError, inspect_file, registry
        from monitor.timeutil import resolve_at

        if list_kinds:
            for name, k in registry().items():
                console.print(f"{name}\t{k.description}", highlight=False)
            return
        if file is None:
            fail("inspect needs a FILE (or --kinds)", code=2)
        try:
            when = resolve_at(at)
        except ValueError as exc:
            fail(f"--at {at!r}: {exc}", code=2)
        try:
            report = inspect_file(file, when, kind)
        except InspectError as exc:
            fail(str(exc), code=2)
        if fmt == Format.json:
            print_json(report)
        else:
            _show(report)
