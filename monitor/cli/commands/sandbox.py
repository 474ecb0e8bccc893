import time

import typer

from monitor.cli.common import console, fail


def register(app: typer.Typer) -> None:
    @app.command("sandbox")
    def sandbox(
        port: int = typer.Option(18765, help="Loopback port (0 = any free port)."),
        host: str = typer.Option("127.0.0.1", help="Listen address (loopback only)."),
        scenario: str = typer.Option("demo", help="Scenario name or path (YAML file or folder)."),
        at: str = typer.Option(None, help="Monitoring time point T the scenario is relative to."),
        accounts: int = typer.Option(0, help="Scale mode: generate this many accounts instead."),
        seed: int = typer.Option(1, help="Seed for generated content."),
        faults: str = typer.Option("", help="Fault injection RATE:KINDS[:STALL_S], kinds 418,432,500,timeout,captcha,truncated,layout; e.g. '0.1:418,500,timeout:5'."),
        log: str = typer.Option("", help="Append every request as a JSON line to this file."),
    ) -> None:
        """Run the platform sandbox (Weibo, WeChat, apps, stores) in the foreground."""
        from pathlib import Path

        from monitor.sandbox import Faults, SandboxServer, ScaleScenario, World, load_scenario
        from monitor.timeutil import resolve_at

        if not host.startswith("127.") and host not in ("localhost", "::1"):
            fail(f"--host {host}: the sandbox only listens on loopback")
        try:
            sc = ScaleScenario(accounts, resolve_at(at or "2026-11-25T02:00:00+08:00"), seed) if accounts \
                else load_scenario(scenario, at=at, seed=seed)
            world = World(sc, Faults.parse(faults), log_file=Path(log) if log else None, keep_log=not accounts)
        except ValueError as exc:
            fail(str(exc), code=2)
        from monitor.sandbox.settings_toml import sandbox_toml

        srv = SandboxServer(world, host, port).start()
        console.print(f"sandbox: {srv.url}  scenario={sc.name} accounts={len(sc)} at={sc.at.isoformat()}", highlight=False)
        console.print("\nTo point the product at it, put these lines in monitor.toml (or pass them with --config):\n",
                      highlight=False)
        console.print(sandbox_toml(srv.url), highlight=False, markup=False, soft_wrap=True)
        console.print("Ctrl-C stops the sandbox.", highlight=False)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            srv.stop()
