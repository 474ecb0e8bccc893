"""``monitor detect [--at]`` — the detection stage alone, recorded as a Run like in a cycle."""
from __future__ import annotations

import typer

from monitor.cli.common import app_at, console, fail, print_json


def register(app: typer.Typer) -> None:
    @app.command("detect")
    def detect(
        at: str = typer.Option(None, "--at", help="Monitoring time point T (ISO 8601; default now, Asia/Shanghai)."),
        as_json: bool = typer.Option(False, "--json", help="Print the counts as JSON."),
    ) -> None:
        """Turn the stored observations into findings for T (idempotent; reviews are kept)."""
        from monitor.cycle import CycleBusy, run_cycle
        from monitor.rules import RuleSetError

        a, t = app_at(at)
        try:
            result = run_cycle(a, t, ["detect"], progress=False)
        except CycleBusy as exc:
            fail(f"{exc}; try again when it has finished", code=3)
        except RuleSetError as exc:
            fail(str(exc), code=2)
        stage = result.stages[0] if result.stages else None
        if not result.ok or stage is None:
            fail(f"detection at {t.isoformat()} failed: {stage.message if stage else result.outcome}")
        if as_json:
            print_json(stage.counts)
            return
        c = stage.counts
        console.print(f"detect at {t.isoformat()}: {c.get('accounts', 0)} accounts, "
                      f"{c.get('unverifiable', 0)} 未能核验, {c.get('findings', 0)} findings "
                      f"({c.get('new', 0)} new, {c.get('updated', 0)} updated, {c.get('removed', 0)} removed, "
                      f"{c.get('reviewed_kept', 0)} reviewed kept)", highlight=False)
        for rule, n in (c.get("by_rule") or {}).items():
            console.print(f"  {rule}: {n}", highlight=False)
