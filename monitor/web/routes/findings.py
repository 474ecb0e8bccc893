"""/review (the queue), /findings/{id} (facts, evidence, audit, the review form) and
POST /findings/{id}/review — through monitor.review and monitor.scoring, as the CLI."""
from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from monitor.evidence import verify_package
from monitor.evidence.manifest import MANIFEST
from monitor.review import ReviewError, finding_json, list_findings, review
from monitor.reports.wording import facts_text, rule_title
from monitor.rules import load_ruleset
from monitor.scoring.scorer import compute_cards
from monitor.web import audit
from monitor.web.auth import Viewer, address, current_user, reviewer
from monitor.web.pages import page_at, render
from storage.models import EvidencePackage, Finding, ScoreCard

router = APIRouter()


@router.get("/review")
def queue(request: Request, at: str | None = None, viewer: Viewer = Depends(current_user)):
    app = request.app.state.monitor
    t = page_at(request, at)
    rules = load_ruleset(app.settings)
    rows = [f for f in list_findings(app, t, state="suspected", ruleset=rules) if viewer.sees(f.account)]
    rows.sort(key=lambda f: (f.window_start or f.at, f.id))  # oldest case first
    return render(request, "review.html", at=t, findings=rows, rules=rules,
                  facts={f.id: facts_text(f.facts or {}, app.tz) for f in rows},
                  titles={f.id: rule_title(rules, f.rule) for f in rows})


def visible_finding(s, viewer: Viewer, finding_id: int) -> Finding:
    f = s.get(Finding, finding_id, options=[joinedload(Finding.account)])
    if f is None or not viewer.sees(f.account):
        raise HTTPException(404, "没有这条检查发现。")
    return f


def _evidence(app, s, f: Finding) -> dict | None:
    if not f.evidence_id:
        return None
    pkg = s.get(EvidencePackage, f.evidence_id)
    folder = Path(pkg.path) if pkg else Path(app.settings.evidence_dir) / f.evidence_id
    files: dict = {}
    try:
        files = json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError):
        pass  # the verify result below says what is wrong with the package
    result = verify_package(folder, app.settings.evidence.tsa_ca_file or None)
    return {"id": f.evidence_id, "files": files, "verify": result,
            "screenshot": (folder / "screenshot.png").is_file()}


def _page(request: Request, viewer: Viewer, finding_id: int, error: str | None = None, status: int = 200):
    app = request.app.state.monitor
    rules = load_ruleset(app.settings)
    with app.session() as s:
        f = visible_finding(s, viewer, finding_id)
        card = s.scalar(select(ScoreCard).where(ScoreCard.account_id == f.account_id, ScoreCard.at == f.at))
        entries = audit.for_case(s, f)
        evidence = _evidence(app, s, f)
    return render(request, "finding.html", status_code=status, f=f, data=finding_json(f, rules, app.tz),
                  title=rule_title(rules, f.rule), facts=facts_text(f.facts or {}, app.tz), card=card,
                  evidence=evidence, audit_entries=entries, error=error,
                  facts_json=json.dumps(f.facts or {}, ensure_ascii=False, indent=2))


@router.get("/findings/{finding_id}")
def finding(request: Request, finding_id: int, viewer: Viewer = Depends(current_user)):
    return _page(request, viewer, finding_id)


@router.post("/findings/{finding_id}/review")
def review_finding(request: Request, finding_id: int, decision: str = Form(""), note: str = Form(""),
                   viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    with app.session() as s:
        f = visible_finding(s, viewer, finding_id)
        before = {"state": f.state, "review_note": f.review_note, "reviewer": f.reviewer}
        card_before = _card_state(s, f)
    try:
        done = review(app, finding_id, decision, note, reviewer=viewer.name)
    except ReviewError as exc:
        return _page(request, viewer, finding_id, error=str(exc), status=400)
    # The score card of T changes at once (only this account is re-scored; the nightly
    # score stage would arrive at the same card).
    latest = page_at(request, None)
    for t in sorted({done.at, latest} if done.source == "manual" else {done.at}):
        compute_cards(app, t, account_ids={done.account_id})
    with app.session() as s:
        card_after = _card_state(s, done)
    after = {"state": done.state, "review_note": done.review_note, "reviewer": done.reviewer}
    audit.record(app, viewer.name, address(request), "review", finding_id=done.id, account_id=done.account_id,
                 changes={**audit.changed(before, after), **audit.changed(card_before, card_after)},
                 note=done.review_note)
    return RedirectResponse(f"/findings/{finding_id}", status_code=303)


def _card_state(s, f: Finding) -> dict:
    card = s.scalar(select(ScoreCard).where(ScoreCard.account_id == f.account_id, ScoreCard.at == f.at))
    if card is None:
        return {}
    return {"verdict": card.verdict, "score": card.score, "pending": list(card.pending or [])}
