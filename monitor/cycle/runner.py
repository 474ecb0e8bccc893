"""Run the nightly cycle (or chosen stages) for one monitoring time point T.

Every stage is recorded as a Run row under the cycle's Run row. A stage that fails as a
whole stops the cycle, marks it failed and alerts the operator: detecting on a night whose
crawl failed would judge accounts on stale observations. Per-account failures are results
(未能核验), handled inside the stages. Re-running for the same T is harmless because every
stage is idempotent for T.
"""
from __future__ import annotations

import logging
import sys
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from threading import Event
from typing import Any, Callable

from sqlalchemy import select, update

from monitor.app import App
from monitor.cycle.display import CycleDisplay
from monitor.cycle.lock import DatabaseLock, LockHeld
from monitor.cycle.stages import STAGES, WARNING, Stage, StageContext
from storage.models import Run
from storage.types import utcnow

log = logging.getLogger("monitor.cycle")


class CycleBusy(Exception):
    """Another cycle holds this database's cycle lock."""


@dataclass
class StageResult:
    name: str
    outcome: str
    counts: dict[str, Any] = field(default_factory=dict)
    message: str | None = None


@dataclass
class CycleResult:
    run_id: int
    at: datetime
    outcome: str  # ok, failed, interrupted
    stages: list[StageResult]
    report_dir: Path | None = None
    not_run: list[str] = field(default_factory=list)  # stages never started (stopped, failed or interrupted)

    def resume_command(self) -> str:
        """What to type to finish this T: every stage is idempotent for T, so the remaining
        stages (or the whole cycle) can simply run again."""
        at = self.at.isoformat()
        rest = [s.name for s in self.stages if s.outcome == "interrupted"] + self.not_run
        if not rest or rest[0] == "crawl":
            return f"monitor run --at {at}"
        return f"monitor run --at {at} " + " ".join(f"--stage {name}" for name in rest)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def _select(names: list[str] | None) -> list[Stage]:
    if not names:
        return [cls() for cls in STAGES]
    known = {cls.name: cls for cls in STAGES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; stages are {list(known)}")
    return [known[n]() for n in names]


def mark_interrupted(app: App) -> int:
    """Runs still 'running' while we hold the cycle lock were killed: say so."""
    with app.session() as s:
        res = s.execute(update(Run).where(Run.outcome == "running")
                        .values(outcome="interrupted", finished_at=utcnow(),
                                message="process ended before the stage finished"))
        return res.rowcount or 0


def run_cycle(app: App, at: datetime, stages: list[str] | None = None, *, stop: Event | None = None,
              progress: bool | None = None, report_dir: Path | None = None,
              on_stage: Callable[[StageResult], None] | None = None) -> CycleResult:
    selected = _select(stages)
    lock = DatabaseLock(app.engine, "cycle")
    try:
        lock.acquire()
    except LockHeld:
        raise CycleBusy("another cycle is running against this database") from None
    try:
        mark_interrupted(app)
        kind = "cycle" if stages is None else "stages:" + ",".join(s.name for s in selected)
        with app.session() as s:
            cycle = Run(kind=kind[:30], at=at, started_at=utcnow(), outcome="running")
            s.add(cycle)
            s.flush()
            cycle_id = cycle.id
        ctx = StageContext(app, at, cycle_id, stop=stop or Event(), report_dir=report_dir)
        results: list[StageResult] = []
        outcome = "ok"
        show = sys.stderr.isatty() if progress is None else progress
        with CycleDisplay(show, len(selected)) as display:
            for stage in selected:
                if ctx.stop.is_set():
                    outcome = "interrupted"
                    break
                display.started(stage)
                ctx.on_accounts = display.accounts(stage)
                try:
                    result = _run_stage(app, ctx, stage)
                except KeyboardInterrupt as exc:  # Ctrl-C: record what was stopped, then stop
                    result = _interrupted(app, ctx, stage, str(exc) or "interrupted (Ctrl-C)")
                    outcome = "interrupted"
                    results.append(result)
                    display.finished(stage, result)
                    break
                results.append(result)
                display.finished(stage, result)
                if on_stage:
                    on_stage(result)
                if result.outcome == "failed":
                    outcome = "failed"
                    _alert_operator(app, at, result)
                    break
        with app.session() as s:
            row = s.get(Run, cycle_id)
            row.outcome = outcome
            row.finished_at = utcnow()
            row.counts = {r.name: r.outcome for r in results}
        report = next((Path(r.counts["html"]).parent for r in results if r.name == "report" and "html" in r.counts), None)
        started = {r.name for r in results}
        return CycleResult(cycle_id, at, outcome, results, report, [s.name for s in selected if s.name not in started])
    finally:
        lock.release()


def _run_stage(app: App, ctx: StageContext, stage: Stage) -> StageResult:
    with app.session() as s:
        row = Run(kind=stage.name, parent_id=ctx.cycle_run_id, at=ctx.at, started_at=utcnow(), outcome="running")
        s.add(row)
        s.flush()
        ctx.run_id = row.id
    log.debug("stage %s started (T=%s)", stage.name, ctx.at.isoformat())
    try:
        counts = stage.run(ctx) or {}
        outcome, message = "ok", counts.get(WARNING)
    except Exception as exc:  # a stage failing as a whole is recorded, never raised past the cycle
        counts, outcome = {}, "failed"
        message = f"{type(exc).__name__}: {exc}"
        log.error("stage %s failed: %s\n%s", stage.name, message, traceback.format_exc())
    with app.session() as s:
        row = s.get(Run, ctx.run_id)
        row.outcome, row.counts, row.message, row.finished_at = outcome, _jsonable(counts), message, utcnow()
    log.debug("stage %s %s %s", stage.name, outcome, counts)
    return StageResult(stage.name, outcome, counts, message)


def _interrupted(app: App, ctx: StageContext, stage: Stage, what: str) -> StageResult:
    message = f"interrupted: {what}"
    with app.session() as s:
        row = s.get(Run, ctx.run_id)
        if row is not None and row.outcome == "running":
            row.outcome, row.message, row.finished_at = "interrupted", message[:2000], utcnow()
    log.warning("stage %s %s", stage.name, message)
    return StageResult(stage.name, "interrupted", {}, message)


def _jsonable(counts: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in counts.items():
        out[str(k)] = v if isinstance(v, (int, float, str, bool, type(None), list, dict)) else str(v)
    return out


def _alert_operator(app: App, at: datetime, result: StageResult) -> None:
    from monitor.alerts import notify_operator

    try:
        notify_operator(app, at, result.name, result.message or "原因见日志")
    except Exception:  # alerting must never turn a failed night into a crash
        log.exception("operator alert failed")


def last_runs(app: App, limit: int = 10) -> list[Run]:
    with app.session() as s:
        return list(s.scalars(select(Run).where(Run.parent_id.is_(None)).order_by(Run.id.desc()).limit(limit)))
