"""Everything a report shows about T, read once: score cards, the findings they rest on,
posts for the timelines, evidence packages and the aggregates."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, true

from monitor.app import App
from monitor.detectors.context import Context
from monitor.detectors.coverage import AccountStatus, PeriodCoverage
from monitor.rules import RuleSet, load_ruleset
from monitor.scoring import aggregates
from monitor.scoring.aggregates import UNREGISTERED, district_order
from monitor.scoring.scorer import read_cards_in
from monitor.scoring.selection import findings_at_clause
from storage.models import Account, EvidencePackage, Finding, Post, ScoreCard


@dataclass
class Evidence:
    id: str
    path: Path
    screenshot: Path | None

    def link_from(self, out_dir: Path) -> str:
        """A relative link, so the report folder and the evidence folder can move together."""
        return Path(os.path.relpath(self.path, out_dir)).as_posix()


@dataclass
class AccountReport:
    account: Account
    card: ScoreCard
    findings: list[Finding] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)  # with published_at, oldest first
    last_post_before: datetime | None = None  # newest post before the timeline starts
    evidence: dict[int, Evidence] = field(default_factory=dict)  # finding id → package
    coverage: PeriodCoverage | None = None  # None for apps and 小程序
    status: AccountStatus | None = None  # whether (and why not) it could be checked at T


@dataclass
class ReportData:
    at: datetime
    tz: ZoneInfo
    rules: RuleSet
    accounts: list[AccountReport]
    aggregates: dict
    evidence_dir: Path
    # Annex 3 (监管范围, 集约整合): registry findings, discovery candidates, the last pass.
    annex3: dict = field(default_factory=dict)

    @property
    def period(self) -> tuple[datetime, datetime] | None:
        if not self.accounts:
            return None
        return min(r.card.period_start for r in self.accounts), self.at


def load(app: App, at: datetime, account_ids: set[int] | None = None) -> ReportData:
    """Everything about T; with ``account_ids`` only those accounts' cards, findings and
    posts (the web workspace's account page), and no aggregates."""
    # Aggregates score T first when the score stage has not run.
    agg = aggregates(app, at) if account_ids is None else {}
    rules = load_ruleset(app.settings)
    evidence_dir = Path(app.settings.evidence_dir)
    only = (lambda col: col.in_(account_ids)) if account_ids is not None else (lambda col: true())
    with app.session() as s:
        cards = read_cards_in(s, at, account_ids)
        reports = {c.account_id: AccountReport(c.account, c) for c in cards}
        if reports:
            start = min(c.period_start for c in cards)
            q = (select(Finding).where(findings_at_clause(at, start), only(Finding.account_id))
                 .order_by(Finding.account_id, Finding.rule, Finding.case_key))
            for f in s.scalars(q):
                if f.account_id in reports:
                    reports[f.account_id].findings.append(f)
            posts = s.scalars(select(Post).where(Post.published_at > start, Post.published_at <= at,
                                                 only(Post.account_id))
                              .order_by(Post.published_at))
            for p in posts:
                if p.account_id in reports:
                    reports[p.account_id].posts.append(p)
            _last_before(s, reports, start, only)
            _evidence(s, reports, evidence_dir)
            ctx = Context(s, at, rules, app.tz, [r.account for r in reports.values()])
            for aid, cov in ctx.coverage.items():
                reports[aid].coverage = cov
            for aid, r in reports.items():
                r.status = ctx.statuses.get(aid)
        annex3 = {}
        if account_ids is None:
            from monitor.discovery.section import annex3_section

            annex3 = annex3_section(s, rules.lexicon, app.tz, today=at.astimezone(app.tz).date())
        for r in reports.values():
            s.expunge(r.card)  # keep account/card/finding attributes readable after the session
        s.expunge_all()
    # Problems first: an inspector reads the 不合格 accounts, then the unchecked ones.
    rank = {"不合格": 0, "未能核验": 1, "合格": 2}
    places = district_order([r.account for r in reports.values()], app.settings.districts)
    ordered = sorted(reports.values(), key=lambda r: (rank.get(r.card.verdict, 3),
                                                      places[r.account.district or UNREGISTERED],
                                                      r.account.host_unit, r.account.name))
    return ReportData(at, app.tz, rules, ordered, agg, evidence_dir, annex3)


def _last_before(s, reports: dict[int, AccountReport], start: datetime, only) -> None:
    from sqlalchemy import func

    rows = s.execute(select(Post.account_id, func.max(Post.published_at))
                     .where(Post.published_at <= start, only(Post.account_id)).group_by(Post.account_id))
    for account_id, latest in rows:
        if account_id in reports:
            reports[account_id].last_post_before = latest


def _evidence(s, reports: dict[int, AccountReport], evidence_dir: Path) -> None:
    wanted = {f.evidence_id: (r, f) for r in reports.values() for f in r.findings if f.evidence_id}
    if not wanted:
        return
    packages = {p.id: p for p in s.scalars(select(EvidencePackage).where(EvidencePackage.id.in_(list(wanted))))}
    for evidence_id, (r, f) in wanted.items():
        pkg = packages.get(evidence_id)
        folder = Path(pkg.path) if pkg else evidence_dir / evidence_id
        shot = folder / "screenshot.png"
        r.evidence[f.id] = Evidence(evidence_id, folder, shot if shot.is_file() else None)
