"""One complete demo: the sandbox with the demo scenario on loopback, the demo registry,
two nightly cycles (the night before T, then T), and the summary.

Two nights because Annex 2's app veto must be confirmed by two failed checks at least an
hour apart, and because the second night shows the steady-state request budget.
"""
from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from monitor.app import App
from monitor.config import Settings
from monitor.cycle import run_cycle
from monitor.cycle.summary import print_summary
from monitor.registry import UrlBases, read_registry, upsert_accounts
from monitor.sandbox import DEMO_AT, DEMO_PORT, SandboxServer, World, load_scenario
from monitor.sandbox.registry import write_demo_registry
from monitor.timeutil import resolve_at


def demo_settings(workdir: Path, sandbox_url: str) -> Settings:
    from monitor.sandbox import platform_config

    return Settings(
        database_url=f"sqlite:///{workdir / 'monitor.db'}",
        evidence_dir=str(workdir / "evidence"),
        report_dir=str(workdir / "report"),
        warc_dir=str(workdir / "warc"),
        alerts={"outbox": str(workdir / "outbox.jsonl"), "inspectors": {}, "operator": []},
        # The sandbox is on loopback: no politeness delay needed (the real sites get 1 s).
        crawl={"delay": 0, "autothrottle": False, "child_timeout": 600},
        **platform_config(sandbox_url),
    )


def run_demo(workdir: Path = Path("var/demo"), console: Console | None = None, at: str = DEMO_AT) -> int:
    console = console or Console()
    if not console.is_terminal:
        console = Console(width=150)  # logs and CI: room for the Chinese indicator names
    T = resolve_at(at)
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    world = World(load_scenario("demo"))
    try:
        server = SandboxServer(world, port=DEMO_PORT).start()
    except OSError:
        server = SandboxServer(world, port=0).start()
    try:
        console.print(f"[bold]sandbox[/] {server.url} (demo scenario, T={T.isoformat()})", highlight=False)
        app = App(demo_settings(workdir.resolve(), server.url))
        app.init_db()
        registry = write_demo_registry(workdir / "registry.csv", server.url)
        parsed = read_registry(registry, UrlBases.from_settings(app.settings))
        if not parsed.ok:
            for p in parsed.invalid:
                console.print(f"[red]{p}[/]")
            return 1
        with app.session() as s:
            upsert_accounts(s, parsed.records)
        console.print(f"registry: {len(parsed.records)} accounts imported from {registry}", highlight=False)
        result = None
        for night in (T - timedelta(days=1), T):
            world.set_clock(night)
            before = len(world.requests)
            console.rule(f"nightly cycle  T={night.isoformat()}")
            result = run_cycle(app, night, progress=console.is_terminal)
            console.print(f"cycle {result.outcome}; {len(world.requests) - before} sandbox requests", highlight=False)
            if not result.ok:
                for st in result.stages:
                    if st.outcome != "ok":
                        console.print(f"[red]stage {st.name}: {st.message}[/]")
                return 1
        print_summary(app, T, console, result.report_dir if result else None)
        console.print(f"\ndatabase: {app.settings.database_url}", highlight=False)
        return 0
    finally:
        server.stop()
