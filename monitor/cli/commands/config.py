import os
import tomllib  # noqa: F401  (documented format of the output)

import typer

from monitor.cli.common import err_console, get_app, print_json, state, warn_mixed_targets
from monitor.config import config_path, masked_dump


def config_source(explicit: str | None) -> str:
    """Which file the settings came from, and which MONITOR_* variables override it."""
    path = config_path(explicit)
    where = f"config file {path.resolve()}" if path else "no config file (./monitor.toml not found): built-in defaults"
    env = sorted(k for k in os.environ if k.upper().startswith("MONITOR_") and k.upper() != "MONITOR_CONFIG")
    return where + (f", overridden by {', '.join(env)}" if env else "")


def register(app: typer.Typer) -> None:
    cfg = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)
    app.add_typer(cfg, name="config")

    @cfg.command("show")
    def show() -> None:
        """Print the effective config (file + environment) as JSON, secrets masked; stderr
        names the file it was read from."""
        settings = get_app().settings
        err_console.print(f"monitor: {config_source(state.config_path)}", highlight=False, soft_wrap=True)
        warn_mixed_targets(get_app())
        print_json(masked_dump(settings))
