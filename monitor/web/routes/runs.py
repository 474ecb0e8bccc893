"""/runs: the nightly cycles with their stages' outcomes, durations and errors."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from monitor.web import queries
from monitor.web.auth import Viewer, reviewer
from monitor.web.pages import render

router = APIRouter()


@router.get("/runs")
def runs(request: Request, viewer: Viewer = Depends(reviewer)):
    with request.app.state.monitor.session() as s:
        cycles = queries.cycles(s)
    return render(request, "runs.html", cycles=cycles)
