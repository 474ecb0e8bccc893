"""What every command shares: the lazily built App, output helpers, clean errors."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console, ConsoleDimensions

from monitor.app import App
from monitor.config import ConfigError, load_settings


@dataclass
class _State:
    config_path: str | None = None
    _app: App | None = None

    def app(self) -> App:
        if self._app is None:
            try:
                self._app = App(load_settings(self.config_path))
            except ConfigError as exc:
                fail(str(exc), code=2)
        return self._app


state = _State()


class _CliConsole(Console):
    """Piped or captured output (scripts, cron mail, CI logs) is read with grep, not by eye, and
    rich's 80-column fallback would wrap every Chinese cell mid-word: off a terminal, and
    unless COLUMNS says otherwise, tables get room. Decided at each print, since the same
    console serves a terminal and a pipe within one process (tests, the web's CLI reuse)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # rich fixes COLUMNS at construction (this module's import); read it at print time.
        if "width" not in kwargs:
            self._width = None

    def _size(self) -> ConsoleDimensions:
        dims = Console.size.fget(self)
        if self._width is None and not self.is_terminal and not self._environ.get("COLUMNS"):
            return ConsoleDimensions(200, dims.height)
        return dims

    size = property(_size, Console.size.fset)


console = _CliConsole()
err_console = _CliConsole(stderr=True)


def get_app() -> App:
    return state.app()


def ready_app(*, readonly: bool = False) -> App:
    """The App with its database at the newest schema. A command that only reads never
    creates a database: a missing SQLite file or an empty database is one line and exit 2."""
    a = get_app()
    if readonly:
        from sqlalchemy import inspect
        from sqlalchemy.engine import make_url

        url = make_url(a.settings.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
                and not Path(url.database).exists():
            fail(f"no database at {url.database}: run `monitor init` first (or give --config / MONITOR_DATABASE_URL)", code=2)
        if not inspect(a.engine).has_table("accounts"):
            fail(f"the database {safe_url(a.settings.database_url)} has no tables yet: run `monitor init` first", code=2)
    a.init_db()
    return a


def warn_mixed_targets(a: App) -> None:
    """A platform left at the real site while the others point at a sandbox, on stderr."""
    from monitor.targets import mixed_targets

    for w in mixed_targets(a.settings):
        err_console.print(f"[bold yellow]monitor: warning:[/] {w}", highlight=False, soft_wrap=True)


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown as the config gave it
        return url


def app_at(at: str | None, *, newest_detected: bool = False, cycle_required: bool = False) -> tuple[App, datetime]:
    """The App with its database ready, and T: ``--at`` if given, else now, or (for the
    commands that show results) the newest T that detection ran for. ``cycle_required``: the
    command only shows what a cycle found, so a T no cycle ran for is refused (exit 1) rather
    than scored as if every account were unverifiable."""
    a = ready_app(readonly=cycle_required)
    try:
        if newest_detected:
            from monitor.scoring.selection import shown_at

            t = shown_at(a, at)
        else:
            t = a.at(at)
    except ValueError as exc:
        fail(str(exc), code=2)
    if cycle_required:
        from monitor.scoring.selection import cycle_ran

        with a.session() as s:
            if not at and not cycle_ran(s, t):
                fail("no monitoring cycle has run on this database yet: nothing to show. "
                     "Run one first: monitor run", code=1)
            if not cycle_ran(s, t):
                from monitor.reports.wording import fmt_time

                hint = f"monitor run --at {t.isoformat()}"
                fail(f"no monitoring cycle ran for T = {fmt_time(t, a.tz)} ({t.isoformat()}): nothing to show. "
                     f"Give the --at of a cycle that ran, or run it first: {hint}", code=1)
    return a, t


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]monitor:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
