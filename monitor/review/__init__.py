"""The reviewer's side: list findings, confirm or dismiss them, add what only a person
can judge (严重表述错误, 购买粉丝, 留言审看 …). Who decided and when is recorded."""
from __future__ import annotations

import getpass
import hashlib
import shutil
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from monitor.detectors.context import check_period
from monitor.rules import RuleSet, load_ruleset
from monitor.scoring.selection import findings_at_clause
from storage.models import Account, Finding
from storage.types import utcnow

DECISIONS = {"confirm": "confirmed", "dismiss": "dismissed"}


class ReviewError(Exception):
    """A review request that cannot be carried out; the message says why."""


def _reviewer(name: str | None) -> str:
    if name and name.strip():
        return name.strip()
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def list_findings(app, at: datetime, *, rule: str | None = None, state: str | None = None,
                  district: str | None = None, ruleset: RuleSet | None = None) -> list[Finding]:
    """The findings that bear on T (the detectors' of T and the manual ones of the check
    period), each with its account loaded."""
    ruleset = ruleset or load_ruleset(app.settings)
    period_start = check_period(at, ruleset.params, app.tz)[0]
    with app.session() as s:
        q = (select(Finding).join(Finding.account).options(joinedload(Finding.account))
             .where(findings_at_clause(at, period_start))
             .order_by(Account.district, Account.name, Finding.rule, Finding.case_key))
        if rule:
            q = q.where(or_(Finding.rule == rule, Finding.rule.startswith(rule.rstrip(".") + ".")))
        if state:
            q = q.where(Finding.state == state)
        if district:
            q = q.where(Account.district == district)
        return list(s.scalars(q))


def finding_json(f: Finding, ruleset: RuleSet, tz) -> dict:
    a = f.account
    rule = ruleset.get(f.rule) if f.rule in ruleset else None
    iso = lambda dt: dt.astimezone(tz).isoformat() if dt else None  # noqa: E731
    return {
        "id": f.id,
        "account_id": a.id,
        "account_name": a.name,
        "platform": a.platform,
        "platform_id": a.platform_id,
        "host_unit": a.host_unit,
        "district": a.district,
        "rule": f.rule,
        "rule_group": rule.group if rule else None,
        "rule_name": rule.name_zh if rule else None,
        "rule_detail": rule.detail_zh if rule else None,
        "state": f.state,
        "source": f.source,
        "at": iso(f.at),
        "case_key": f.case_key,
        "window_start": iso(f.window_start),
        "window_end": iso(f.window_end),
        "confidence": f.confidence,
        "facts": f.facts or {},
        "evidence": f.evidence_id,
        "reviewer": f.reviewer,
        "review_note": f.review_note,
        "reviewed_at": iso(f.reviewed_at),
    }


def review(app, finding_id: int, decision: str, note: str, reviewer: str | None = None) -> Finding:
    """Confirm or dismiss one finding. A later detection run for the same T keeps it."""
    if decision not in DECISIONS:
        raise ReviewError(f"decision must be confirm or dismiss, not {decision!r}")
    if not note or not note.strip():
        raise ReviewError("a review needs a note (--note) saying why")
    with app.session() as s:
        f = s.get(Finding, finding_id, options=[joinedload(Finding.account)])
        if f is None:
            raise ReviewError(f"no finding with id {finding_id}")
        f.state = DECISIONS[decision]
        f.reviewer = _reviewer(reviewer)
        f.review_note = note.strip()
        f.reviewed_at = utcnow()
    return f


def find_account(session, ref: str) -> Account:
    """An account by database id, platform id or name; ambiguous or unknown → ReviewError."""
    ref = ref.strip()
    conds = [Account.platform_id == ref, Account.name == ref]
    if ref.isdigit():
        conds.append(Account.id == int(ref))
    rows = list(session.scalars(select(Account).where(or_(*conds))))
    if ref.isdigit():
        by_id = [a for a in rows if a.id == int(ref)]
        rows = by_id or rows
    if not rows:
        raise ReviewError(f"no account matches {ref!r} (give its id, 账号ID or 名称)")
    if len(rows) > 1:
        listed = ", ".join(f"#{a.id} {a.name} ({a.platform} {a.platform_id})" for a in rows)
        raise ReviewError(f"{ref!r} matches several accounts: {listed}; give the id")
    return rows[0]


def _store_evidence(app, path: Path) -> dict:
    if not path.is_file():
        raise ReviewError(f"evidence file {path} does not exist")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    folder = Path(app.settings.evidence_dir) / "manual" / digest
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if not target.exists():
        shutil.copy2(path, target)
    return {"evidence_file": str(target), "evidence_sha256": digest, "evidence_name": path.name}


def add_finding(app, account: str, rule: str, note: str, *, evidence: str | Path | None = None,
                at: datetime | None = None, reviewer: str | None = None,
                ruleset: RuleSet | None = None) -> Finding:
    """A finding a person made (state ``confirmed``, source ``manual``); it counts on the
    score cards of the check periods that contain ``at``."""
    ruleset = ruleset or load_ruleset(app.settings)
    if rule not in ruleset:
        known = ", ".join(r.id for r in ruleset)
        raise ReviewError(f"unknown rule {rule!r}; the rule set has: {known}")
    if not note or not note.strip():
        raise ReviewError("a manual finding needs a note (--note) describing what was found")
    at = app.at(at)
    facts = {"note": note.strip()}
    if evidence:
        facts.update(_store_evidence(app, Path(evidence)))
    who = _reviewer(reviewer)
    with app.session() as s:
        acct = find_account(s, account)
        f = Finding(account_id=acct.id, rule=rule, at=at, case_key=f"manual:{uuid.uuid4().hex[:12]}",
                    window_start=at, window_end=at, facts=facts, confidence=1.0,
                    state="confirmed", source="manual", reviewer=who, review_note=note.strip(),
                    reviewed_at=utcnow())
        s.add(f)
        s.flush()
        f.account = acct
    return f


__all__ = ["ReviewError", "add_finding", "find_account", "finding_json", "list_findings", "review"]
