"""Which accounts could be checked at T, and which spans of time the checks saw.

"Never accuse on a failed fetch": an account is 未能核验 at T when its latest listing
observation (timeline / feed) before T failed or it has no successful one in the look-back;
an app when a registered channel could not be looked at and none works. Only spans covered by successful
observations can prove that nothing was posted: ``covered_from``..``observed_at`` of each
ok observation, or everything before ``observed_at`` when the crawl was exhaustive.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.detectors.app_channels import NightHealth, load_night_health, read_channels, unjudgeable_reason
from storage.models import AppCheck, Observation

LISTING_KINDS = ("timeline", "feed")
UNVERIFIABLE = "未能核验"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class AccountStatus:
    """Whether an account could be checked at T, and over which spans."""

    verifiable: bool
    reason: str = ""
    observed_until: datetime | None = None  # the latest ok observation
    spans: list[tuple[datetime, datetime]] = field(default_factory=list)  # merged, sorted
    exhaustive: bool = False
    observation_id: int | None = None  # the latest ok observation, for facts
    # Why it could not be checked, for the reader (worded by monitor.reports.wording):
    # the latest failed fetch, and the first failure since the last success.
    failed_outcome: str | None = None
    failed_reason: str | None = None
    failed_status: int | None = None
    failed_at: datetime | None = None
    failing_since: datetime | None = None
    # Apps: each channel that could not be looked at on the latest night → (outcome, reason, detail).
    failed_channels: dict[str, tuple[str, str | None, str | None]] = field(default_factory=dict)

    def covers(self, start: datetime, end: datetime) -> bool:
        """True when one successful span saw all of [start, end]. ``end`` is clipped to the
        latest successful observation: a crawl at 01:00 speaks for a check at 02:00."""
        if not self.verifiable or self.observed_until is None:
            return False
        end = min(end, self.observed_until)
        return any(lo <= start and hi >= end for lo, hi in self.spans)


@dataclass(frozen=True)
class PeriodCoverage:
    """How much of the check period successful observations saw completely: whole days,
    and natural weeks (a week is judged by the update rules only when it is covered)."""

    days: int
    total_days: int
    weeks_judged: int
    total_weeks: int
    # Start of the contiguous observed stretch that ends at the latest observation (clipped
    # to the period): silences are measurable from here on, not before.
    observed_from: datetime | None

    @property
    def complete(self) -> bool:
        return self.days >= self.total_days

    @property
    def text(self) -> str:
        return f"监测覆盖 {self.days}/{self.total_days} 天"

    def as_dict(self) -> dict:
        return {"days": self.days, "total_days": self.total_days, "weeks_judged": self.weeks_judged,
                "total_weeks": self.total_weeks, "text": self.text}


def period_coverage(status: AccountStatus, weeks: list[tuple[datetime, datetime]]) -> PeriodCoverage:
    """Coverage of the check period ``weeks`` (complete natural weeks, oldest first)."""
    start, end = weeks[0][0], weeks[-1][1]
    days, day = 0, start
    total = 0
    while day < end:
        nxt = min(day + timedelta(days=1), end)
        total += 1
        days += status.covers(day, nxt)
        day = nxt
    judged = sum(1 for lo, hi in weeks if status.covers(lo, hi))
    observed_from = None
    if status.verifiable and status.observed_until is not None:
        last = next((lo for lo, hi in status.spans if lo <= status.observed_until <= hi), None)
        if last is not None:
            observed_from = max(last, start)
    return PeriodCoverage(days, total, judged, len(weeks), observed_from)


def _merge(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def listing_status(observations: list) -> AccountStatus:
    """Status from one account's listing observations (any objects with the Observation
    attributes), all observed at or before T."""
    if not observations:
        return AccountStatus(False, "无抓取记录")
    obs = sorted(observations, key=lambda o: (o.observed_at, o.id or 0))
    latest = obs[-1]
    if latest.outcome != "ok":
        why = f"最近一次抓取失败：{latest.outcome}" + (f"（{latest.reason}）" if latest.reason else "")
        since = latest.observed_at
        for o in reversed(obs):
            if o.outcome == "ok":
                break
            since = o.observed_at
        return AccountStatus(False, why, failed_outcome=latest.outcome, failed_reason=latest.reason,
                             failed_status=getattr(latest, "http_status", None), failed_at=latest.observed_at,
                             failing_since=since)
    spans, exhaustive = [], False
    for o in obs:
        if o.outcome != "ok":
            continue
        lo = _EPOCH if o.exhaustive else (o.covered_from or o.observed_at)
        exhaustive = exhaustive or bool(o.exhaustive)
        spans.append((min(lo, o.observed_at), o.observed_at))
    return AccountStatus(True, "", latest.observed_at, _merge(spans), exhaustive, latest.id)


def app_status(checks: list, health=None) -> AccountStatus:
    """An app is checkable when one of its channels works at its latest check, or when every
    registered channel's latest check counts as failed (see detectors/app_channels.py);
    a channel that could not be looked at leaves the app 未能核验."""
    health = health or NightHealth()
    reading = read_channels(checks, health)
    if reading.judgeable:
        until = max(c.checked_at for c in reading.channels.values())
        return AccountStatus(True, "", until, [(until, until)])
    if not reading.checked:
        return AccountStatus(False, unjudgeable_reason(reading))
    last_night = max(c.checked_at for c in checks)
    # The channels that said nothing; with none judged at all (no store adapter, a download
    # page with store links only), the channels that cannot be judged automatically.
    silent = reading.uncounted or sorted({c.channel for c in checks if c.checked_at == last_night})
    latest = {c.channel: c for c in sorted(checks, key=lambda c: (c.checked_at, c.id or 0))}
    failed = {ch: (latest[ch].outcome, latest[ch].reason, getattr(latest[ch], "detail", None)) for ch in silent}
    first = latest[silent[0]]
    # Since when: walk back over the nights while the app stayed unjudgeable.
    since = last_night
    for night in sorted({c.checked_at for c in checks}, reverse=True):
        if read_channels([c for c in checks if c.checked_at <= night], health).judgeable:
            break
        since = night
    return AccountStatus(False, unjudgeable_reason(reading), failed_outcome=first.outcome,
                         failed_reason=first.reason, failed_at=last_night, failing_since=since,
                         failed_channels=failed)


def load_listing_observations(session: Session, since: datetime, at: datetime,
                              account_ids: set[int] | None = None) -> dict[int, list]:
    """All listing observations in (since, at], grouped by account, in one query."""
    q = select(Observation.id, Observation.account_id, Observation.outcome, Observation.reason,
               Observation.http_status, Observation.observed_at, Observation.covered_from, Observation.exhaustive
               ).where(Observation.kind.in_(LISTING_KINDS), Observation.observed_at > since,
                       Observation.observed_at <= at)
    return _grouped(session, q, Observation.account_id, account_ids)


def load_app_checks(session: Session, since: datetime, at: datetime,
                    account_ids: set[int] | None = None) -> dict[int, list]:
    q = select(AppCheck.id, AppCheck.account_id, AppCheck.channel, AppCheck.url,
               AppCheck.outcome, AppCheck.reason, AppCheck.detail, AppCheck.checked_at
               ).where(AppCheck.checked_at > since, AppCheck.checked_at <= at)
    return _grouped(session, q, AppCheck.account_id, account_ids)


def _grouped(session: Session, q, account_col, account_ids: set[int] | None) -> dict[int, list]:
    """Rows of ``q`` grouped by account. A long id list is filtered in Python rather than
    sent as a huge IN (…) that some backends plan badly."""
    if account_ids is not None and len(account_ids) <= 500:
        q = q.where(account_col.in_(account_ids))
    out: dict[int, list] = defaultdict(list)
    for row in session.execute(q):
        if account_ids is None or row.account_id in account_ids:
            out[row.account_id].append(row)
    return out


def is_app_like(account) -> bool:
    """Apps and 小程序 are judged on availability, not on posting."""
    return account.platform == "app" or (account.platform == "wechat" and account.wechat_kind == "小程序")


def account_status(app, account_id: int, at: datetime | str | None = None) -> AccountStatus:
    """Convenience for one account (reports, alerts): could it be checked at T?"""
    from monitor.detectors.context import lookback_start
    from monitor.rules import load_ruleset
    from storage.models import Account

    at = app.at(at)
    params = load_ruleset(app.settings).params
    since = lookback_start(at, params, app.tz)
    with app.session() as s:
        acct = s.get(Account, account_id)
        if acct is None:
            raise KeyError(f"no account with id {account_id}")
        if is_app_like(acct):
            return app_status(load_app_checks(s, since, at, {account_id}).get(account_id, []),
                              load_night_health(s, since, at))
        return listing_status(load_listing_observations(s, since, at, {account_id}).get(account_id, []))
