"""/discovery: Annex 3 监管范围 and 集约整合 — the registry's duplicates and name differences,
and the accounts the weekly discovery found (register into the registry, or dismiss with a
note; the same monitor.discovery calls as ``monitor discover register|dismiss``)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse

from monitor.discovery import CandidateError, dismiss_candidate, register_candidate
from monitor.discovery.section import annex3_section
from monitor.rules import load_ruleset
from monitor.web import audit
from monitor.web.auth import Viewer, address, current_user, reviewer
from monitor.web.pages import render

router = APIRouter()


def _page(request: Request, viewer: Viewer, error: str | None = None, status: int = 200):
    app = request.app.state.monitor
    with app.session() as s:
        section = annex3_section(s, load_ruleset(app.settings).lexicon, app.tz,
                                 unit=viewer.unit if viewer.role == "unit" else None)
    return render(request, "discovery.html", status_code=status, annex3=section, error=error,
                  can_decide=viewer.can_review)


@router.get("/discovery")
def discovery(request: Request, viewer: Viewer = Depends(current_user)):
    return _page(request, viewer)


@router.post("/discovery/{candidate_id}/register")
def register(request: Request, candidate_id: int, note: str = Form(""), viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    try:
        with app.session() as s:
            account = register_candidate(s, candidate_id, viewer.name, note or None)
            account_id, unit = account.id, account.host_unit
    except CandidateError as exc:
        return _page(request, viewer, error=exc.zh, status=400)
    audit.record(app, viewer.name, address(request), "candidate_register", account_id=account_id,
                 changes={"candidate": [candidate_id, None], "host_unit": [None, unit]}, note=note or None)
    return RedirectResponse("/discovery", status_code=303)


@router.post("/discovery/{candidate_id}/dismiss")
def dismiss(request: Request, candidate_id: int, note: str = Form(""), viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    try:
        with app.session() as s:
            dismiss_candidate(s, candidate_id, viewer.name, note)
    except CandidateError as exc:
        return _page(request, viewer, error=exc.zh, status=400)
    audit.record(app, viewer.name, address(request), "candidate_dismiss",
                 changes={"candidate": [candidate_id, "dismissed"]}, note=note)
    return RedirectResponse("/discovery", status_code=303)
