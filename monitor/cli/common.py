"""What every command shares: the lazily built App, output helpers, clean errors."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

import typer
from rich.console import Console

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
console = Console()
err_console = Console(stderr=True)


def get_app() -> App:
    return state.app()


def app_at(at: str | None, *, newest_detected: bool = False) -> tuple[App, datetime]:
    """The App with its database ready, and T: ``--at`` if given, else now, or (for the
    commands that show results) the newest T that detection ran for."""
    a = get_app()
    a.init_db()
    try:
        if newest_detected:
            from monitor.scoring.selection import shown_at

            return a, shown_at(a, at)
        return a, a.at(at)
    except ValueError as exc:
        fail(str(exc), code=2)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]monitor:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
