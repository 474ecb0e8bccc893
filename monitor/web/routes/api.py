"""The JSON API for other tools: the same objects as the CLI's ``--format json``
(``monitor findings``, ``monitor score``, ``monitor accounts list``), limited to what the
signed-in user may see. Without a login every /api/ path answers 401."""
from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request

from monitor.registry import account_dict, list_accounts
from monitor.review import finding_json, list_findings
from monitor.rules import load_ruleset
from monitor.scoring import score_json
from monitor.web.auth import Viewer, current_user
from monitor.web.pages import page_at, scored_at
from storage.models import FINDING_STATES

router = APIRouter(prefix="/api")


@router.get("/findings")
def findings(request: Request, at: str | None = None, rule: str | None = None, state: str | None = None,
             district: str | None = None, viewer: Viewer = Depends(current_user)) -> list[dict]:
    app = request.app.state.monitor
    if state and state not in FINDING_STATES:
        raise HTTPException(400, f"state must be one of {', '.join(FINDING_STATES)}, not {state!r}")
    t = page_at(request, at, cycle_required=True)
    rules = load_ruleset(app.settings)
    return [finding_json(f, rules, app.tz)
            for f in list_findings(app, t, rule=rule, state=state, district=district, ruleset=rules)
            if viewer.sees(f.account)]


@router.get("/score")
def score(request: Request, at: str | None = None, viewer: Viewer = Depends(current_user)) -> list[dict]:
    app = request.app.state.monitor
    cards = score_json(app, scored_at(request, at), store=False)  # what the night stored
    return [c for c in cards if not viewer.is_unit or c["host_unit"] == viewer.unit]


@router.get("/accounts")
def accounts(request: Request, platform: str | None = None, district: str | None = None,
             viewer: Viewer = Depends(current_user)) -> list[dict]:
    with request.app.state.monitor.session() as s:
        return [account_dict(a) for a in list_accounts(s, platform, district) if viewer.sees(a)]
