"""Annex 2 scoring, exactly: 出现单项否决指标中的任意一种情形，即判定为不合格，不再对其他指标进行
评分; otherwise 100 − Σ min(cap, points × cases), 不合格 below 60.

Detector-decided findings (``auto``) count at once; ``suspected`` ones only once a reviewer
confirms them and are listed as pending until then; dismissed and advisory ones never count.
An account that could not be observed is 未能核验 with no score — unless a person confirmed
a veto, which needs no crawl.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import joinedload

from monitor.detectors.context import Context
from monitor.detectors.coverage import UNVERIFIABLE, AccountStatus
from monitor.reports.wording import unverifiable_text
from monitor.rules import RuleSet, load_ruleset
from monitor.scoring.selection import findings_at_clause
from monitor.scoring.summary import store_night_summary
from storage.models import Account, Finding, ScoreCard
from storage.types import utcnow

COUNTING = ("auto", "confirmed")


@dataclass
class Card:
    verdict: str
    score: int | None
    vetoes: list[str] = field(default_factory=list)
    deductions: dict[str, int] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    finding_ids: list[int] = field(default_factory=list)
    reason: str = ""
    coverage: dict | None = None  # PeriodCoverage.as_dict() for publishing accounts
    note: str = ""  # why it is 未能核验, in the reader's words (tables; JSON keeps ``reason``)


def score_findings(findings: list, status: AccountStatus, ruleset: RuleSet) -> Card:
    """One account's card from its findings (objects with id, rule, state)."""
    counting, pending = [], set()
    for f in findings:
        if f.rule not in ruleset or not ruleset.get(f.rule).scored:
            continue
        if f.state in COUNTING:
            counting.append(f)
        elif f.state == "suspected":
            pending.add(f.rule)
    ids = sorted(f.id for f in counting)
    vetoes = sorted({f.rule for f in counting if ruleset.get(f.rule).group == "veto"})
    if vetoes:
        return Card("不合格", None, vetoes, {}, sorted(pending), ids)
    if not status.verifiable:
        return Card(UNVERIFIABLE, None, [], {}, sorted(pending), ids, status.reason)
    cases: dict[str, int] = defaultdict(int)
    for f in counting:
        cases[f.rule] += 1
    deductions = {}
    for rule_id, n in sorted(cases.items()):
        rule = ruleset.get(rule_id)
        deductions[rule_id] = min(rule.cap, rule.points * n)
    score = ruleset.scoring.full_score - sum(deductions.values())
    verdict = "不合格" if score < ruleset.scoring.pass_mark else "合格"
    return Card(verdict, score, [], deductions, sorted(pending), ids)


def compute_cards(app, at: datetime, ruleset: RuleSet | None = None, account_ids: set[int] | None = None,
                  store: bool = True):
    """Score every registered account at T (or only ``account_ids``, e.g. after one review)
    and upsert its ScoreCard. Returns (cards ordered by account id, {account_id: Card}).
    ``store=False`` (whoever only reads: the web workspace, the API) writes nothing and
    returns the cards the night stored, with the same explanations (reason, coverage)."""
    ruleset = ruleset or load_ruleset(app.settings)
    with app.session() as s:
        accounts = None
        if account_ids is not None:
            accounts = list(s.scalars(select(Account).where(Account.lifecycle != "注销",
                                                            Account.id.in_(account_ids)).order_by(Account.id)))
        ctx = Context(s, at, ruleset, app.tz, accounts)
        period_start = ctx.period_start
        by_account: dict[int, list] = defaultdict(list)
        q = select(Finding.id, Finding.account_id, Finding.rule, Finding.state).where(
            findings_at_clause(at, period_start))
        if account_ids is not None:
            q = q.where(Finding.account_id.in_(account_ids))
        for row in s.execute(q):
            by_account[row.account_id].append(row)
        computed = {a.id: score_findings(by_account.get(a.id, []), ctx.statuses[a.id], ruleset)
                    for a in ctx.accounts}
        for aid, cov in ctx.coverage.items():
            computed[aid].coverage = cov.as_dict()
        for aid, c in computed.items():
            if c.verdict == UNVERIFIABLE:
                c.note = unverifiable_text(ctx.statuses[aid], app.tz)
        if store:
            _store(s, at, period_start, computed, account_ids)
        cards = [c for c in read_cards_in(s, at, account_ids) if c.account_id in computed]
    return cards, computed


def _store(s, at: datetime, period_start: datetime, computed: dict[int, Card], account_ids: set[int] | None) -> None:
    q = select(ScoreCard.account_id, ScoreCard.id).where(ScoreCard.at == at)
    if account_ids is not None:
        q = q.where(ScoreCard.account_id.in_(account_ids))
    existing = dict(s.execute(q).all())
    now = utcnow()
    inserts, updates = [], []
    for aid, c in computed.items():
        values = {"period_start": period_start, "period_end": at, "verdict": c.verdict,
                  "score": c.score, "vetoes": c.vetoes, "deductions": c.deductions,
                  "pending": c.pending, "finding_ids": c.finding_ids}
        if aid in existing:
            updates.append({"id": existing[aid], **values})
        else:
            inserts.append({"account_id": aid, "at": at, "created_at": now, **values})
    if inserts:
        s.execute(insert(ScoreCard), inserts)
    if updates:
        s.execute(update(ScoreCard), updates)
    store_night_summary(s, at)


def has_cards(session, at: datetime) -> bool:
    """Whether T's score cards are stored (its score stage ran): then whoever only reads
    shows them and writes nothing (``compute_cards(store=False)``)."""
    return session.scalar(select(ScoreCard.id).where(ScoreCard.at == at).limit(1)) is not None


def read_cards_in(session, at: datetime, account_ids: set[int] | None = None) -> list[ScoreCard]:
    q = (select(ScoreCard).options(joinedload(ScoreCard.account)).where(ScoreCard.at == at)
         .order_by(ScoreCard.account_id))
    if account_ids is not None:
        q = q.where(ScoreCard.account_id.in_(account_ids))
    return list(session.scalars(q))


def score_all(app, at: datetime | str | None = None) -> list[ScoreCard]:
    """Score every account at T (upserting ScoreCard rows) and return the cards, each with
    its ``account`` loaded."""
    return compute_cards(app, app.at(at))[0]


def card_json(card: ScoreCard, tz, reason: str = "", coverage: dict | None = None) -> dict:
    a = card.account
    return {
        "account_id": a.id,
        "account_name": a.name,
        "platform": a.platform,
        "platform_id": a.platform_id,
        "wechat_kind": a.wechat_kind,
        "host_unit": a.host_unit,
        "district": a.district,
        "at": card.at.astimezone(tz).isoformat(),
        "period_start": card.period_start.astimezone(tz).isoformat(),
        "period_end": card.period_end.astimezone(tz).isoformat(),
        "verdict": card.verdict,
        "score": card.score,
        "vetoes": list(card.vetoes),
        "deductions": dict(card.deductions),
        "pending": list(card.pending),
        "finding_ids": list(card.finding_ids),
        "reason": reason,
        # How much of the check period was observed ("监测覆盖 10/28 天"); weeks outside it
        # were not judged. None for apps and 小程序 (judged on availability).
        "coverage": coverage,
    }


def score_json(app, at: datetime | str | None = None, store: bool = True) -> list[dict]:
    """``monitor score --format json``: the DESIGN.md shape (plus a few extra fields).
    ``store=False``: only the cards the night stored (see compute_cards)."""
    at = app.at(at)
    cards, computed = compute_cards(app, at, store=store)
    return [card_json(c, app.tz, computed[c.account_id].reason, computed[c.account_id].coverage) for c in cards]
