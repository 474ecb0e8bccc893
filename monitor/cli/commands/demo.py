from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(workdir: Path = typer.Option(Path("var/demo"), help="Where the demo's database, evidence and report go (recreated).")) -> None:
        """Run the product end to end against the sandbox and show the result."""
        from monitor.demo.run import run_demo

        raise typer.Exit(run_demo(workdir))
