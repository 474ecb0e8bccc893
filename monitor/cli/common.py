"""What every command shares: the lazily built App, output helpers, clean errors."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
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


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]monitor:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
