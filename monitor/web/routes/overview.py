"""/ — the overview at the latest T."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from markupsafe import Markup

from monitor.reports.trend import trend_svg
from monitor.rules import load_ruleset
from monitor.web import queries
from monitor.web.auth import Viewer, current_user
from monitor.web.pages import page_at, render

router = APIRouter()


@router.get("/")
def overview(request: Request, at: str | None = None, viewer: Viewer = Depends(current_user)):
    app = request.app.state.monitor
    t = page_at(request, at)
    names = {r.id: r.name_zh for r in load_ruleset(app.settings)}
    with app.session() as s:
        counts = queries.verdict_counts(s, viewer, t)
        before = queries.previous_at(s, t)
        new_vetoes, recovered = queries.changes(s, viewer, t, before) if before else ([], [])
        unchecked, unchecked_total = queries.unverifiable(app, s, viewer, t)
        points = queries.trend(s, viewer, t)
    return render(request, "overview.html", at=t, before=before, counts=counts, total=sum(counts.values()),
                  rate=queries.pass_rate(counts), new_vetoes=new_vetoes, recovered=recovered,
                  unchecked=unchecked, unchecked_total=unchecked_total, rule_names=names,
                  chart=Markup(trend_svg(points, app.tz)))
