"""``monitor web [--host 127.0.0.1] [--port 8080]``: serve the web workspace."""
from __future__ import annotations

import typer

from monitor.cli.common import app_at, console


def register(app: typer.Typer) -> None:
    @app.command("web")
    def web(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
        port: int = typer.Option(8080, "--port", help="Port to listen on."),
    ) -> None:
        """Serve the workspace: overview, accounts, review queue, runs, registry, downloads, JSON API."""
        import uvicorn

        from monitor.web.app import create_app

        a, _ = app_at(None)
        if a.settings.web.secret_key is None:
            console.print("[yellow]warning:[/] [web] secret_key is not set: a random key is used, "
                          "so restarting signs everyone out", highlight=False)
        console.print(f"workspace on http://{host}:{port}/", highlight=False)
        # proxy_headers: behind a reverse proxy on this host the audit log records the
        # visitor's address, not the proxy's.
        uvicorn.run(create_app(a), host=host, port=port, proxy_headers=True, log_level="info")
