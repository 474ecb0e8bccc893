import tomllib  # noqa: F401  (documented format of the output)

import typer

from monitor.cli.common import get_app, print_json
from monitor.config import masked_dump


def register(app: typer.Typer) -> None:
    cfg = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)
    app.add_typer(cfg, name="config")

    @cfg.command("show")
    def show() -> None:
        """Print the effective config (file + environment), secrets masked."""
        print_json(masked_dump(get_app().settings))
