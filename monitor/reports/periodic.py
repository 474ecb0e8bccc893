"""What the periodic report (``monitor report --period``) says about a month, a quarter or a
range of days: figures per 属地 and per 主办单位 over the nights that ran in it.

Everything is aggregated in SQL, a handful of queries whatever the number of accounts
(10,000 accounts × 90 nights is 900,000 score cards): per-account tallies as a subquery, then
grouped by 属地 / 主办单位 / month; nothing loads one row per card into Python.

Definitions (the report states them to its readers):

- *nights*: the monitoring time points T with score cards in the period; per group, its
  account-nights (one account on one night) and those that could be checked.
- *合格率*: 合格 account-nights ÷ account-nights that could be checked (未能核验 nights are
  neither), per month and over the period.
- *检查比例* (Annex 3, 加分指标): accounts checked on at least one night ÷ accounts.
- *problems found*: distinct (account, Annex 2 rule) pairs with a counting finding (detector
  decided, or confirmed by a reviewer) in the period, vetoes and deductions apart.
- *rectified*: closed 已复核通过 by the rectification order of a 通报, or — before any
  通报 covered the period — no longer found on a later checked night (``rectified_clause``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    distinct,
    exists,
    false,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

from monitor.detectors.coverage import UNVERIFIABLE
from monitor.orders.states import CLOSED
from monitor.reports.period import Period
from monitor.rules import RuleSet
from monitor.scoring.aggregates import UNREGISTERED
from monitor.scoring.scorer import COUNTING
from monitor.timeutil import start_of_day
from storage.models import Account, Finding, RectificationOrder, ScoreCard, Tongbao
from storage.types import AwareDateTime

PASSED = "合格"
# 附件3 加分指标「检查比例」: every quarter 100 % → +10, every quarter ≥ 70 % → +5.
CHECK_RATIO_BONUS = ((1.0, 10), (0.7, 5))


def ratio(part: int, whole: int) -> float | None:
    """part ÷ whole, None when there is nothing to divide by (never a 0 % of nothing)."""
    return part / whole if whole else None


@dataclass
class Figures:
    """One 属地, one 主办单位, or the whole registry over the period."""

    key: str
    accounts: int = 0
    checked_accounts: int = 0  # checked on at least one night
    never_verifiable: int = 0  # 未能核验 on every night of the period
    closed_without_notice: int = 0  # 附件3: 已报关停却未发布停更公告
    account_nights: int = 0
    checked_nights: int = 0
    passed_nights: int = 0
    veto_accounts: int = 0
    vetoes: int = 0
    vetoes_rectified: int = 0
    deductions: int = 0
    deductions_rectified: int = 0
    monthly: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)  # (y, m) → (passed, checked)

    @property
    def pass_rate(self) -> float | None:
        return ratio(self.passed_nights, self.checked_nights)

    @property
    def check_ratio(self) -> float | None:
        return ratio(self.checked_accounts, self.accounts)

    @property
    def check_bonus(self) -> int:
        ratio = self.check_ratio or 0.0
        return next((points for floor, points in CHECK_RATIO_BONUS if ratio >= floor), 0)

    def month_rate(self, month: tuple[int, int]) -> float | None:
        return ratio(*self.monthly.get(month, (0, 0)))


@dataclass
class Night:
    at: datetime
    accounts: int
    checked: int
    passed: int

    @property
    def pass_rate(self) -> float | None:
        return ratio(self.passed, self.checked)

    @property
    def check_ratio(self) -> float | None:
        return ratio(self.checked, self.accounts)


@dataclass
class RuleFigures:
    rule: str
    name: str
    detail: str
    group: str  # veto | deduction
    found: int  # accounts the rule was found for
    rectified: int


@dataclass
class Unverified:
    """An account no night of the period could check, and why (its last failure)."""

    id: int
    name: str
    platform: str
    wechat_kind: str | None
    platform_id: str
    host_unit: str
    district: str
    nights: int
    reason: str = ""


@dataclass
class PeriodicData:
    period: Period
    tz: ZoneInfo
    rules: RuleSet
    first_night: datetime | None
    last_night: datetime | None
    total: Figures
    by_district: list[Figures]
    by_host_unit: list[Figures]
    trend: list[Night]
    by_rule: list[RuleFigures]
    never_verifiable: list[Unverified]
    rectified_by: str  # what "rectified" was counted from: "orders" or "later_nights"

    @property
    def months(self) -> list[tuple[int, int]]:
        return self.period.months()

    @property
    def empty(self) -> bool:
        return self.first_night is None


def load_periodic(app, period: Period, rules: RuleSet | None = None) -> PeriodicData:
    from monitor.rules import load_ruleset

    rules = rules or load_ruleset(app.settings)
    tz = app.tz
    with app.session() as s, PeriodQueries(s, period, tz, rules) as q:
        first, last = s.execute(select(func.min(ScoreCard.at), func.max(ScoreCard.at)).where(q.in_period)).one()
        total, districts, hosts = q.figures()
        places = _district_order(s, app.settings.districts)
        by_district = sorted(districts.values(), key=lambda f: (places.get(f.key, len(places)), f.key))
        by_host = sorted(hosts.values(), key=lambda f: f.key)
        data = PeriodicData(period, tz, rules, first, last, total, by_district, by_host, q.trend(),
                            q.by_rule(), q.never_verifiable(last) if last else [], rectified_by=q.rectified_by)
    return data


def _district_order(s: Session, configured) -> dict[str, int]:
    """The configured administrative order, then the registry's (as ``district_order``)."""
    order = {d: i for i, d in enumerate(configured)}
    rows = s.execute(select(Account.district, func.min(Account.id)).group_by(Account.district)
                     .order_by(func.min(Account.id)))
    for district, _ in rows:
        order.setdefault(district or UNREGISTERED, len(order))
    return order


class PeriodQueries:
    """The aggregate queries of one period. Each pass over the score cards happens once:
    per-account tallies go into a temporary table (a few rows per account, gone with the
    session; the database file is never written), and the figures are grouped by
    (属地, 主办单位) in SQL and only then added up per 属地, per 主办单位 and in total."""

    def __init__(self, s: Session, period: Period, tz: ZoneInfo, rules: RuleSet):
        self.s, self.period, self.tz, self.rules = s, period, tz, rules
        self.start, self.end = period.start(tz), period.end(tz)
        self.in_period = and_(ScoreCard.at >= self.start, ScoreCard.at < self.end)
        self.veto_ids = [r.id for r in rules.group("veto") if r.scored]
        self.ded_ids = [r.id for r in rules.group("deduction") if r.scored]
        self.checked = ScoreCard.verdict != UNVERIFIABLE
        # Per account: its nights, checked nights, last checked night, and per month of the
        # period its nights (n<i>), checked (c<i>) and 合格 (p<i>) nights.
        per_month = [Column(f"{k}{i}", Integer) for i in range(len(self.months())) for k in "ncp"]
        self.accounts = Table(f"period_accounts_{id(self):x}", MetaData(),
                              Column("account_id", Integer, primary_key=True), Column("nights", Integer),
                              Column("checked", Integer), Column("last_checked", AwareDateTime()),
                              *per_month, prefixes=["TEMPORARY"])
        self.problems = (
            select(Finding.account_id.label("account_id"), Finding.rule.label("rule"),
                   func.min(Finding.at).label("first_found"), func.max(Finding.at).label("last_found"),
                   func.max(case((Finding.source == "manual", 1), else_=0)).label("manual"))
            .where(Finding.at >= self.start, Finding.at < self.end, Finding.state.in_(COUNTING),
                   Finding.rule.in_(self.veto_ids + self.ded_ids))
            .group_by(Finding.account_id, Finding.rule).subquery("problems"))
        self.rectified_by = "later_nights"

    def __enter__(self) -> "PeriodQueries":
        notified = select(Tongbao.id).where(Tongbao.period_first <= self.period.last,
                                            Tongbao.period_last >= self.period.first).limit(1)
        if self.s.scalar(notified) is not None:
            self.rectified_by = "orders"
        conn = self.s.connection()
        self.accounts.create(conn)
        passed = ScoreCard.verdict == PASSED
        tallies = [func.count(), func.sum(case((self.checked, 1), else_=0)),
                   func.max(case((self.checked, ScoreCard.at)))]
        for _, lo, hi in self.months():
            inside = and_(ScoreCard.at >= lo, ScoreCard.at < hi)
            tallies += [func.sum(case((inside, 1), else_=0)), func.sum(case((and_(inside, self.checked), 1), else_=0)),
                        func.sum(case((and_(inside, passed), 1), else_=0))]
        # The one pass over the period's score cards.
        conn.execute(insert(self.accounts).from_select(
            [c.name for c in self.accounts.columns],
            select(ScoreCard.account_id, *tallies).where(self.in_period).group_by(ScoreCard.account_id)))
        return self

    def __exit__(self, *exc) -> None:
        self.accounts.drop(self.s.connection())

    def months(self) -> list[tuple[tuple[int, int], datetime, datetime]]:
        out = []
        for y, m in self.period.months():
            lo = start_of_day(date(y, m, 1), self.tz)
            hi = start_of_day(date(y + (m == 12), m % 12 + 1, 1), self.tz)
            out.append(((y, m), max(lo, self.start), min(hi, self.end)))
        return out

    def rectified_clause(self):
        """When a problem found in the period counts as rectified.

        Once a 通报 covering the period was issued (``rectified_by == "orders"``): when the
        account's rectification order from a 通报 issued after the problem was found is
        closed 已复核通过 (an order cites all the account's problems; its re-check passed
        them all). Before any 通报 (``"later_nights"``), the observations say so: a detector's
        problem is rectified when a later night of the period checked the account and no
        longer found it; a person's finding (manual) is never rectified by the nights alone."""
        p, a = self.problems.c, self.accounts.c
        if self.rectified_by == "orders":
            o = RectificationOrder
            return exists(select(o.id).join(Tongbao, Tongbao.id == o.tongbao_id)
                          .where(o.account_id == p.account_id, o.state == CLOSED,
                                 Tongbao.issued_at >= p.first_found))
        return and_(p.manual == 0, a.last_checked.is_not(None), p.last_found < a.last_checked)

    def figures(self) -> tuple[Figures, dict[str, Figures], dict[str, Figures]]:
        """(合计, per 属地, per 主办单位)."""
        total, districts, hosts = Figures("合计"), {}, {}

        def each(row, n_keys: int = 2):
            district, host = row[0] or UNREGISTERED, row[1]
            values = [int(x or 0) for x in row[n_keys:]]
            for f in (total, districts.setdefault(district, Figures(district)), hosts.setdefault(host, Figures(host))):
                yield f, values

        keys = [Account.district, Account.host_unit]
        a = self.accounts.c
        closed = and_(Account.lifecycle == "关停", Account.stop_notice_on.is_(None))
        q = (select(*keys, func.count(), func.sum(case((a.checked > 0, 1), else_=0)),
                    func.sum(case((a.checked == 0, 1), else_=0)), func.sum(case((closed, 1), else_=0)))
             .select_from(self.accounts).join(Account, Account.id == a.account_id).group_by(*keys))
        for row in self.s.execute(q):
            for f, (n, checked, never, shut) in each(row):
                f.accounts += n
                f.checked_accounts += checked
                f.never_verifiable += never
                f.closed_without_notice += shut

        months = [m for m, _, _ in self.months()]
        q = (select(*keys, *[func.sum(a[f"{k}{i}"]) for i in range(len(months)) for k in "ncp"])
             .select_from(self.accounts).join(Account, Account.id == a.account_id).group_by(*keys))
        for row in self.s.execute(q):
            for f, values in each(row):
                for i, month in enumerate(months):
                    n, checked, passed = values[3 * i:3 * i + 3]
                    f.account_nights += n
                    f.checked_nights += checked
                    f.passed_nights += passed
                    was = f.monthly.get(month, (0, 0))
                    f.monthly[month] = (was[0] + passed, was[1] + checked)

        p = self.problems.c
        is_veto = p.rule.in_(self.veto_ids) if self.veto_ids else false()
        fixed = self.rectified_clause()
        # (属地, 主办单位) partitions the accounts, so accounts with a veto add up across groups.
        q = (select(*keys, func.sum(case((is_veto, 1), else_=0)),
                    func.count(distinct(case((is_veto, p.account_id)))),
                    func.sum(case((and_(is_veto, fixed), 1), else_=0)),
                    func.sum(case((is_veto, 0), else_=1)),
                    func.sum(case((and_(~is_veto, fixed), 1), else_=0)))
             .select_from(self.problems).outerjoin(self.accounts, a.account_id == p.account_id)
             .join(Account, Account.id == p.account_id).group_by(*keys))
        for row in self.s.execute(q):
            for f, (vetoes, veto_accounts, vetoes_fixed, deductions, deductions_fixed) in each(row):
                f.vetoes += vetoes
                f.veto_accounts += veto_accounts
                f.vetoes_rectified += vetoes_fixed
                f.deductions += deductions
                f.deductions_rectified += deductions_fixed
        return total, districts, hosts

    def trend(self) -> list[Night]:
        q = (select(ScoreCard.at, func.count(), func.sum(case((self.checked, 1), else_=0)),
                    func.sum(case((ScoreCard.verdict == PASSED, 1), else_=0)))
             .where(self.in_period).group_by(ScoreCard.at).order_by(ScoreCard.at))
        return [Night(at, int(n), int(c or 0), int(p or 0)) for at, n, c, p in self.s.execute(q)]

    def by_rule(self) -> list[RuleFigures]:
        p = self.problems.c
        q = (select(p.rule, func.count(), func.sum(case((self.rectified_clause(), 1), else_=0)))
             .select_from(self.problems).outerjoin(self.accounts, self.accounts.c.account_id == p.account_id)
             .group_by(p.rule))
        counts = {rule: (int(n), int(fixed or 0)) for rule, n, fixed in self.s.execute(q)}
        return [RuleFigures(r.id, r.name_zh, r.detail_zh, r.group, *counts[r.id])
                for r in self.rules if r.id in counts]  # Annex 2 order

    def never_verifiable(self, last_night: datetime) -> list[Unverified]:
        """Accounts 未能核验 on every night of the period, with the reason of the last night."""
        a = self.accounts.c
        q = (select(Account, a.nights).join(self.accounts, a.account_id == Account.id)
             .where(a.checked == 0).order_by(Account.district, Account.host_unit, Account.name))
        rows = list(self.s.execute(q))
        if not rows:
            return []
        from monitor.detectors.context import Context
        from monitor.reports.wording import unverifiable_text

        statuses = Context(self.s, last_night, self.rules, self.tz, [acct for acct, _ in rows]).statuses
        return [Unverified(acct.id, acct.name, acct.platform, acct.wechat_kind, acct.platform_id, acct.host_unit,
                           acct.district or UNREGISTERED, int(n), _reason(unverifiable_text(statuses.get(acct.id), self.tz)))
                for acct, n in rows]


def _reason(text: str) -> str:
    """The 未能核验 sentence without its label and its standard tail (the report says both once)."""
    return re.split(r"[，。]不作合格或不合格判定", text.removeprefix("未能核验："))[0].rstrip("。")
