"""/runs: the nightly cycles with their stages' outcomes, durations and errors."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from monitor.web import queries
from monitor.web.auth import Viewer, reviewer
from monitor.web.pages import render
from storage.models import Run

router = APIRouter()


def stage_summary(stage: Run) -> str | None:
    """The stage's line in the operator's words, as the cycle prints it ('采集27次（成功23，
    被拦截1，出错3）'); the raw counts (nested plan dicts and all) stay behind 详细计数."""
    from monitor.cycle.stages import STAGES

    for cls in STAGES:
        if cls.name == stage.kind and stage.counts and stage.outcome == "ok":
            return cls().summary(stage.counts)
    return None


@router.get("/runs")
def runs(request: Request, viewer: Viewer = Depends(reviewer)):
    with request.app.state.monitor.session() as s:
        cycles = queries.cycles(s)
    summaries = {st.id: stage_summary(st) for _, stages in cycles for st in stages}
    return render(request, "runs.html", cycles=cycles, summaries=summaries)
