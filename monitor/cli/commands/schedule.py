import os
import sys

import typer

from monitor.cli.common import state


def _exec(*args: str) -> None:
    # A separate process, not an import: schedules depends on monitor, never the reverse.
    config = state.config_path or os.environ.get("MONITOR_CONFIG") or ""
    os.execv(sys.executable, [sys.executable, "-m", "schedules", *args, config])


def register(app: typer.Typer) -> None:
    sched = typer.Typer(help="The nightly daemon (APScheduler).", invoke_without_command=True)
    app.add_typer(sched, name="schedule")

    @sched.callback()
    def schedule(ctx: typer.Context) -> None:
        """Run the nightly daemon in the foreground (cron from [schedule] cron, default 02:00)."""
        if ctx.invoked_subcommand is None:
            _exec("run")

    @sched.command("status")
    def status() -> None:
        """Show the next scheduled run and the last cycles (JSON)."""
        _exec("status")
