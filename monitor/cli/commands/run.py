from typing import List

import typer

from monitor.cli.common import app_at, fail, warn_mixed_targets


def _run(stages: list[str] | None, at: str | None) -> None:
    from monitor.cycle import CycleBusy, run_cycle

    a, t = app_at(at)
    if not stages or "crawl" in stages:
        warn_mixed_targets(a)
        from sqlalchemy import func, select

        from storage.models import Account

        with a.session() as s:
            active = s.scalar(select(func.count()).select_from(Account).where(Account.lifecycle != "注销"))
        if not active:
            fail("no accounts are registered in this database, so there is nothing to check: "
                 "import the registry first (monitor accounts import FILE.xlsx)", code=1)
    try:
        result = run_cycle(a, t, stages)
    except CycleBusy as exc:
        fail(f"{exc}; try again when it has finished", code=3)
    except ValueError as exc:
        fail(str(exc), code=2)
    if result.outcome == "interrupted":
        stopped = next((s for s in result.stages if s.outcome == "interrupted"), None)
        what = f"stage {stopped.name} {stopped.message}" if stopped else "stopped between stages"
        not_run = ", ".join(result.not_run) or "none"
        fail(f"cycle {result.run_id} at {t.isoformat()} interrupted — {what}; stages not run: {not_run}. "
             f"Everything stored so far is kept and every stage is safe to repeat for this T: "
             f"resume with `{result.resume_command()}`", code=130)
    if not result.ok:
        failed = [s for s in result.stages if s.outcome == "failed"]
        detail = "; ".join(f"{s.name}: {s.message}" for s in failed) or result.outcome
        fail(f"cycle {result.run_id} at {t.isoformat()} {result.outcome}: {detail}", code=1)


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        at: str = typer.Option(None, "--at", help="Monitoring time point T (ISO 8601; default now, Asia/Shanghai)."),
        stage: List[str] = typer.Option(None, "--stage", help="Run only these stages (repeatable): crawl, detect, evidence, score, alert, report."),
    ) -> None:
        """Run one whole nightly cycle for T. Exits 0 when the cycle completed, even if some
        accounts could not be checked (未能核验 is a result, not an error)."""
        _run(list(stage) if stage else None, at)

    @app.command("crawl")
    def crawl(at: str = typer.Option(None, "--at", help="Monitoring time point T.")) -> None:
        """Crawl every active account once (one stage of the cycle)."""
        _run(["crawl"], at)
