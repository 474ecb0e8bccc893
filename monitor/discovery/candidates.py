"""A discovery pass's searches → candidates, and the inspector's decisions on them.

Candidates are keyed by (platform, platform id): a pass updates what it saw again, a
dismissed candidate stays dismissed (its decision is remembered and it is not listed again),
a registered one has become a registry Account of its unit.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.discovery.match import classify_user
from monitor.rules.loader import Lexicon
from storage.models import Account, DiscoveryCandidate, DiscoverySearch
from storage.types import utcnow


class CandidateError(ValueError):
    """A decision that cannot be taken (unknown id, already decided, …); the message says why
    (for the CLI), ``zh`` says it to the workspace's reader."""

    def __init__(self, message: str, zh: str):
        super().__init__(message)
        self.zh = zh


@dataclass
class PassSummary:
    units: int = 0
    searched: int = 0  # units whose search answered ok
    unverified: dict[str, str] = field(default_factory=dict)  # unit → reason (未能核验)
    partial: dict[str, str] = field(default_factory=dict)  # unit → deeper page refused
    candidates: Counter = field(default_factory=Counter)  # kind → listed (open) this pass
    new: int = 0
    requests: int = 0

    def counts(self) -> dict:
        return {"units": self.units, "searched": self.searched, "unverified": len(self.unverified),
                "unverified_units": self.unverified, "partial_units": self.partial,
                "candidates_unregistered": self.candidates["unregistered"],
                "candidates_impostor": self.candidates["impostor"], "new": self.new, "requests": self.requests}


def registered_ids(session: Session, platform: str) -> set[str]:
    return set(session.scalars(select(Account.platform_id).where(Account.platform == platform)))


def dismissed_ids(session: Session, platform: str) -> set[str]:
    return set(session.scalars(select(DiscoveryCandidate.platform_id).where(
        DiscoveryCandidate.platform == platform, DiscoveryCandidate.state != "open")))


def apply_pass(session: Session, run_id: int, platform: str, units: list[str], lexicon: Lexicon,
               base_url: str, at: datetime) -> PassSummary:
    """Match the pass's searches and upsert its candidates. A unit without an ``ok`` search
    row is 未能核验 for this pass, with the search's reason (or "not reached")."""
    summary = PassSummary(units=len(units))
    searches = {s.host_unit: s for s in session.scalars(select(DiscoverySearch).where(
        DiscoverySearch.run_id == run_id, DiscoverySearch.platform == platform))}
    summary.requests = sum(s.request_count for s in searches.values())
    registered = registered_ids(session, platform)
    existing = {c.platform_id: c for c in session.scalars(
        select(DiscoveryCandidate).where(DiscoveryCandidate.platform == platform))}
    latest_of: dict[str, str] = {}
    for s in searches.values():  # a user's latest post may have been read for another unit's search
        latest_of.update({uid: t for uid, t in (s.latest or {}).items() if t})
    seen: set[str] = set()
    for unit in units:
        search = searches.get(unit)
        if search is None or search.outcome != "ok":
            summary.unverified[unit] = (search.reason if search is not None and search.reason
                                        else "not_reached: the search did not finish in this pass")
            continue
        summary.searched += 1
        if search.partial:
            summary.partial[unit] = search.partial
        for user in search.users or []:
            uid = str(user.get("uid") or "")
            if not uid or uid in registered or uid in seen:
                continue
            match = classify_user(user, units, lexicon)
            if match is None:
                continue
            seen.add(uid)
            latest = latest_of.get(uid)
            values = dict(
                name=user.get("screen_name") or uid, profile_url=f"{base_url.rstrip('/')}/u/{uid}",
                kind=match.kind, matched_unit=match.unit, match_basis=match.basis,
                verified=user.get("verified"), verified_type=user.get("verified_type"),
                verification_text=(user.get("verified_reason") or None), description=user.get("description") or None,
                followers_count=user.get("followers_count"), statuses_count=user.get("statuses_count"),
                latest_post_at=datetime.fromisoformat(latest) if latest else None,
                last_seen_at=at, last_run_id=run_id)
            cand = existing.get(uid)
            if cand is None:
                cand = DiscoveryCandidate(platform=platform, platform_id=uid, first_seen_at=at, state="open", **values)
                session.add(cand)
                existing[uid] = cand
                summary.new += 1
            elif cand.state == "open":
                for k, v in values.items():
                    if v is not None or k in ("latest_post_at",):
                        setattr(cand, k, v)
            else:  # dismissed or registered: remembered, only seen again
                cand.last_seen_at, cand.last_run_id = at, run_id
            if cand.state == "open":
                summary.candidates[match.kind] += 1
    return summary


def open_candidates(session: Session, platform: str | None = None, kind: str | None = None) -> list[DiscoveryCandidate]:
    q = select(DiscoveryCandidate).where(DiscoveryCandidate.state == "open")
    if platform:
        q = q.where(DiscoveryCandidate.platform == platform)
    if kind:
        q = q.where(DiscoveryCandidate.kind == kind)
    return list(session.scalars(q.order_by(DiscoveryCandidate.kind.desc(), DiscoveryCandidate.matched_unit,
                                           DiscoveryCandidate.id)))


def _open(session: Session, candidate_id: int) -> DiscoveryCandidate:
    cand = session.get(DiscoveryCandidate, candidate_id)
    if cand is None:
        raise CandidateError(f"no discovery candidate {candidate_id} (see `monitor discover list`)",
                             f"没有编号为{candidate_id}的待核实账号")
    if cand.state != "open":
        raise CandidateError(f"candidate {candidate_id} ({cand.name}) was already {cand.state} "
                             f"by {cand.decided_by or '?'}", f"「{cand.name}」已由{cand.decided_by or '他人'}处理")
    return cand


def register_candidate(session: Session, candidate_id: int, by: str, note: str | None = None,
                       unit: str | None = None) -> Account:
    """The candidate becomes a registry account of its unit (or of ``unit``, when the
    inspector attributes it otherwise); its 属地 is the one the unit's other accounts have."""
    cand = _open(session, candidate_id)
    host = (unit or cand.matched_unit).strip()
    if not host:
        raise CandidateError("主办单位 must not be empty", "主办单位不能为空")
    if session.scalar(select(Account.id).where(Account.platform == cand.platform,
                                               Account.platform_id == cand.platform_id)):
        raise CandidateError(f"{cand.platform} {cand.platform_id} is already in the registry",
                             f"账号{cand.platform_id}已在登记表中")
    districts = Counter(session.scalars(select(Account.district).where(Account.host_unit == host,
                                                                         Account.district.is_not(None))))
    account = Account(name=cand.name, platform=cand.platform, host_unit=host,
                      district=districts.most_common(1)[0][0] if districts else None,
                      platform_id=cand.platform_id, profile_url=cand.profile_url,
                      registered_verified=cand.verified, lifecycle="开设")
    session.add(account)
    session.flush()
    _decide(cand, "registered", by, note)
    cand.account_id = account.id
    cand.matched_unit = host
    return account


def dismiss_candidate(session: Session, candidate_id: int, by: str, note: str) -> DiscoveryCandidate:
    if not (note or "").strip():
        raise CandidateError("a dismissal needs a note saying why (kept with the candidate)", "请填写排除原因")
    cand = _open(session, candidate_id)
    _decide(cand, "dismissed", by, note)
    return cand


def _decide(cand: DiscoveryCandidate, state: str, by: str, note: Optional[str]) -> None:
    cand.state, cand.decided_by, cand.decided_at, cand.decision_note = state, by, utcnow(), (note or None)
