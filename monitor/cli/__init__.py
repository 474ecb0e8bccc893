"""The ``monitor`` command line.

Every module in ``monitor.cli.commands`` defines ``register(app)``; they are discovered, so
adding a command means adding one file.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from monitor.cli import commands
from monitor.cli.common import state

app = typer.Typer(
    name="monitor",
    help="Nightly inspection of government new-media accounts (政务新媒体) against Annex 2.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    config: str = typer.Option(None, "--config", "-c", help="Path of monitor.toml (default: $MONITOR_CONFIG or ./monitor.toml)."),
) -> None:
    state.config_path = config


for _mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
    importlib.import_module(f"{commands.__name__}.{_mod.name}").register(app)


def main() -> None:
    from monitor.cli.errors import run_guarded

    sys.exit(run_guarded(app, "monitor"))
