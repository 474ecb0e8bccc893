"""Write detector drafts as Finding rows, idempotently for one T.

Same (account, rule, T, case_key) → the row is updated, never duplicated. A reviewer's
decision (confirmed / dismissed) is never undone: such rows keep their state even when the
detector no longer finds the case; unreviewed rows that no longer hold are removed
(their evidence packages and alerts stay). A new
suspected case inherits the latest review of the same case at an earlier T, so a reviewer
is not asked the same question every night.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from monitor.detectors.context import Draft
from monitor.rules import RuleSet
from storage.models import Alert, EvidencePackage, Finding
from storage.types import utcnow

REVIEWED = ("confirmed", "dismissed")


def _previous_reviews(session: Session, at: datetime, rules: set[str]) -> dict[tuple, object]:
    if not rules:
        return {}
    q = (select(Finding.id, Finding.account_id, Finding.rule, Finding.case_key, Finding.state,
                Finding.reviewer, Finding.review_note, Finding.reviewed_at, Finding.at)
         .where(Finding.state.in_(REVIEWED), Finding.at < at, Finding.rule.in_(rules),
                Finding.source == "detector")
         .order_by(Finding.at))
    return {(r.account_id, r.rule, r.case_key): r for r in session.execute(q)}


def _delete_findings(session: Session, ids: list[int]) -> None:
    """Remove findings that no longer hold. An evidence package or an alert made for one
    stays: it records what was found and sent that night (its own text names the case),
    so only its link to the removed row is cleared."""
    for table in (EvidencePackage, Alert):
        session.execute(update(table).where(table.finding_id.in_(ids)).values(finding_id=None))
    session.execute(delete(Finding).where(Finding.id.in_(ids)))


def store_findings(session: Session, at: datetime, drafts: list[Draft], ruleset: RuleSet,
                   account_ids: set[int]) -> dict[str, int]:
    existing = {(r.account_id, r.rule, r.case_key): r for r in session.execute(
        select(Finding.id, Finding.account_id, Finding.rule, Finding.case_key, Finding.state)
        .where(Finding.at == at, Finding.source == "detector"))
        if r.account_id in account_ids}
    suspected_rules = {d.rule for d in drafts if ruleset.get(d.rule).initial_state == "suspected"}
    previous = _previous_reviews(session, at, suspected_rules)
    now = utcnow()
    inserts, updates, seen = [], [], set()
    for d in drafts:
        key = (d.account_id, d.rule, d.case_key)
        if key in seen:
            continue
        seen.add(key)
        initial = ruleset.get(d.rule).initial_state
        values = {"window_start": d.window_start, "window_end": d.window_end, "facts": d.facts,
                  "confidence": d.confidence, "updated_at": now}
        row = existing.get(key)
        if row is not None:
            if row.state not in REVIEWED:
                values["state"] = initial
            updates.append({"id": row.id, **values})
            continue
        new = {"account_id": d.account_id, "rule": d.rule, "at": at, "case_key": d.case_key,
               "state": initial, "source": "detector", "created_at": now, **values}
        prev = previous.get(key) if initial == "suspected" else None
        if prev is not None:
            new.update(state=prev.state, reviewer=prev.reviewer, reviewed_at=prev.reviewed_at,
                       review_note=f"[沿用 {prev.at.isoformat()} 的复核 #{prev.id}] {prev.review_note or ''}".strip())
        inserts.append(new)
    stale = [r.id for k, r in existing.items() if k not in seen and r.state not in REVIEWED]
    if inserts:
        session.execute(insert(Finding), inserts)
    if updates:
        session.execute(update(Finding), updates)
    for i in range(0, len(stale), 500):
        _delete_findings(session, stale[i:i + 500])
    kept = sum(1 for k, r in existing.items() if k not in seen and r.state in REVIEWED)
    return {"new": len(inserts), "updated": len(updates), "removed": len(stale),
            "reviewed_kept": kept, "inherited_reviews": sum(1 for r in inserts if r["state"] in REVIEWED)}
