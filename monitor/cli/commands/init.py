import typer

from monitor.cli.common import console, get_app


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init() -> None:
        """Create or upgrade the database to the newest schema (safe to run again)."""
        a = get_app()
        a.init_db()
        console.print(f"database ready: {a.settings.database_url}", highlight=False)
