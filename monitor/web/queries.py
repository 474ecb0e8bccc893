"""What the pages read, set-based and paged so they stay fast at 10,000 accounts. Scoring and
review themselves live in monitor.scoring / monitor.review; this only reads their results."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Text, and_, cast, func, select
from sqlalchemy.orm import aliased

from monitor.detectors.context import Context
from monitor.detectors.coverage import UNVERIFIABLE
from monitor.reports.wording import unverifiable_why
from monitor.rules import load_ruleset
from monitor.scoring.summary import verdicts_by_night
from monitor.web.auth import Viewer
from storage.models import VERDICTS, Account, Finding, Observation, Run, ScoreCard

PAGE_SIZE = 50
SORTS = {
    "name": (Account.name, Account.id),
    "host_unit": (Account.host_unit, Account.name),
    "district": (Account.district, Account.name),
    "platform": (Account.platform, Account.name),
    "verdict": (ScoreCard.verdict, Account.name),
    "score": (ScoreCard.score, Account.name),
}


@dataclass
class AccountFilter:
    district: str = ""
    host_unit: str = ""
    platform: str = ""
    verdict: str = ""
    q: str = ""
    sort: str = "name"
    desc: bool = False
    page: int = 1


@dataclass
class Page:
    rows: list
    total: int
    page: int
    pages: int


def accounts_page(s, viewer: Viewer, at: datetime, f: AccountFilter, size: int = PAGE_SIZE) -> Page:
    """One page of accounts with their card at T (outer join: an account without a card at
    T is listed too, with no verdict)."""
    card = and_(ScoreCard.account_id == Account.id, ScoreCard.at == at)
    q = viewer.scope(select(Account, ScoreCard.verdict, ScoreCard.score).outerjoin(ScoreCard, card))
    if f.district:
        q = q.where(Account.district == f.district)
    if f.host_unit:
        q = q.where(Account.host_unit.contains(f.host_unit, autoescape=True))
    if f.platform:
        q = q.where(Account.platform == f.platform)
    if f.verdict in VERDICTS:
        q = q.where(ScoreCard.verdict == f.verdict)
    elif f.verdict == "none":
        q = q.where(ScoreCard.id.is_(None))
    if f.q:
        q = q.where(Account.name.contains(f.q, autoescape=True) | (Account.platform_id == f.q))
    total = s.scalar(select(func.count()).select_from(q.order_by(None).subquery()))
    pages = max(1, -(-total // size))
    page = min(max(f.page, 1), pages)
    cols = SORTS.get(f.sort, SORTS["name"])
    order = [c.desc() if f.desc else c.asc() for c in cols]
    rows = s.execute(q.order_by(*order, Account.id).limit(size).offset((page - 1) * size)).all()
    return Page(rows, total, page, pages)


def districts(s, viewer: Viewer) -> list[str]:
    q = viewer.scope(select(Account.district).where(Account.district.is_not(None)).distinct())
    return sorted(s.scalars(q))


def verdict_counts(s, viewer: Viewer, at: datetime) -> dict[str, int]:
    q = _unit_cards(viewer, select(ScoreCard.verdict, func.count()).where(ScoreCard.at == at)
                    .group_by(ScoreCard.verdict))
    counts = {v: 0 for v in VERDICTS}
    counts.update(dict(s.execute(q).all()))
    return counts


def _unit_cards(viewer: Viewer, q):
    """Cards of the viewer's accounts. Only a unit user needs the join: for everyone else the
    (at, verdict) index answers alone (10,000 accounts × 90 nights: a join of 900,000 rows)."""
    return viewer.scope(q.join(Account, Account.id == ScoreCard.account_id)) if viewer.is_unit else q


def pass_rate(counts: dict[str, int]) -> float | None:
    """合格率 among the accounts that could be checked (as the report's aggregates)."""
    checked = counts.get("合格", 0) + counts.get("不合格", 0)
    return counts.get("合格", 0) / checked if checked else None


def trend(s, viewer: Viewer, at: datetime, nights: int = 90) -> list[tuple[datetime, float | None, int]]:
    """(T, 合格率, accounts) per night over the last ``nights`` nights, oldest first: for everyone
    but a unit user from the per-night summary the scorer keeps (3 rows a night, not 10,000
    cards); a unit user's from its own accounts' cards."""
    since = at - timedelta(days=nights)
    if viewer.is_unit:
        q = _unit_cards(viewer, select(ScoreCard.at, ScoreCard.verdict, func.count())
                        .where(ScoreCard.at > since, ScoreCard.at <= at).group_by(ScoreCard.at, ScoreCard.verdict))
        by_night: dict[datetime, dict[str, int]] = {}
        for night, verdict, n in s.execute(q):
            by_night.setdefault(night, {})[verdict] = n
    else:
        by_night = verdicts_by_night(s, since, at)
    return [(night, pass_rate(c), sum(c.values())) for night, c in sorted(by_night.items())]


def previous_at(s, at: datetime) -> datetime | None:
    return s.scalar(select(func.max(ScoreCard.at)).where(ScoreCard.at < at))


def changes(s, viewer: Viewer, at: datetime, before: datetime) -> tuple[list, list]:
    """(new vetoes, recoveries) between the cards of ``before`` and of ``at``: an account
    vetoed now for a rule it was not vetoed for then; an account 不合格 then and 合格 now."""
    prev = aliased(ScoreCard)
    q = viewer.scope(
        select(Account, ScoreCard.vetoes, ScoreCard.verdict, prev.vetoes, prev.verdict)
        .join(ScoreCard, and_(ScoreCard.account_id == Account.id, ScoreCard.at == at))
        .join(prev, and_(prev.account_id == Account.id, prev.at == before))
        # Only the cards that changed: a verdict, or the list of vetoes (stored sorted, so
        # equal lists are equal text; JSON itself has no = in PostgreSQL).
        .where((ScoreCard.verdict != prev.verdict) | (cast(ScoreCard.vetoes, Text) != cast(prev.vetoes, Text))))
    new_vetoes, recovered = [], []
    for account, vetoes, verdict, old_vetoes, old_verdict in s.execute(q):
        fresh = sorted(set(vetoes or []) - set(old_vetoes or []))
        if fresh:
            new_vetoes.append((account, fresh))
        if old_verdict == "不合格" and verdict == "合格":
            recovered.append((account, list(old_vetoes or [])))
    return new_vetoes, recovered


def unverifiable(app, s, viewer: Viewer, at: datetime, limit: int = 200) -> tuple[list[tuple[Account, str]], int]:
    """The accounts 未能核验 at T with why and since when, in the reader's words (the first ``limit``)."""
    q = viewer.scope(select(Account).join(ScoreCard, and_(ScoreCard.account_id == Account.id, ScoreCard.at == at))
                     .where(ScoreCard.verdict == UNVERIFIABLE))
    total = s.scalar(select(func.count()).select_from(q.subquery()))
    accounts = list(s.scalars(q.order_by(Account.district, Account.name).limit(limit)))
    if not accounts:
        return [], total
    statuses = Context(s, at, load_ruleset(app.settings), app.tz, accounts).statuses
    return [(a, unverifiable_why(statuses[a.id], app.tz)) for a in accounts], total


def observations(s, account_id: int, at: datetime, nights: int = 90) -> list[Observation]:
    return list(s.scalars(select(Observation).where(
        Observation.account_id == account_id, Observation.observed_at > at - timedelta(days=nights),
        Observation.observed_at <= at + timedelta(days=1)).order_by(Observation.observed_at.desc(), Observation.id)))


def account_findings(s, account_id: int, limit: int = 300) -> list[Finding]:
    return list(s.scalars(select(Finding).where(Finding.account_id == account_id)
                          .order_by(Finding.at.desc(), Finding.rule, Finding.case_key).limit(limit)))


def account_cards(s, account_id: int, limit: int = 90) -> list[ScoreCard]:
    return list(s.scalars(select(ScoreCard).where(ScoreCard.account_id == account_id)
                          .order_by(ScoreCard.at.desc()).limit(limit)))


def cycles(s, limit: int = 60) -> list[tuple[Run, list[Run]]]:
    """The newest nightly cycles, each with its stages in the order they ran."""
    tops = list(s.scalars(select(Run).where(Run.parent_id.is_(None))
                          .order_by(Run.started_at.desc(), Run.id.desc()).limit(limit)))
    if not tops:
        return []
    stages: dict[int, list[Run]] = {}
    for r in s.scalars(select(Run).where(Run.parent_id.in_([t.id for t in tops])).order_by(Run.id)):
        stages.setdefault(r.parent_id, []).append(r)
    return [(t, stages.get(t.id, [])) for t in tops]
