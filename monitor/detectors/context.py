"""Everything detectors read, loaded set-based once per run (never one query per account)."""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from monitor.detectors.app_channels import load_night_health
from monitor.detectors.coverage import (
    AccountStatus,
    PeriodCoverage,
    app_status,
    is_app_like,
    listing_status,
    load_app_checks,
    load_listing_observations,
    period_coverage,
)
from monitor.rules import Parameters, RuleSet
from monitor.timeutil import complete_weeks_before
from storage.models import Account, InteractionTest, Post, TextCheck


@dataclass
class Draft:
    """A finding as a detector proposes it; the store decides insert / update / keep."""

    account_id: int
    rule: str
    case_key: str = ""
    window_start: datetime | None = None
    window_end: datetime | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    confidence: float = 1.0


def original_windows(at: datetime, params: Parameters) -> list[tuple[datetime, datetime]]:
    """The 14-day windows (T−14 d, T], (T−28 d, T−14 d] … inside the check period, newest first."""
    size = timedelta(days=params.original_window_days)
    n = max(1, params.check_period_weeks * 7 // params.original_window_days)
    return [(at - size * (i + 1), at - size * i) for i in range(n)]


def check_period(at: datetime, params: Parameters, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The check period of T: the complete natural weeks before T, [Monday, Monday)."""
    weeks = complete_weeks_before(at, params.check_period_weeks, tz)
    return weeks[0][0], weeks[-1][1]


def lookback_start(at: datetime, params: Parameters, tz: ZoneInfo) -> datetime:
    """The oldest instant any time-window rule looks at."""
    weeks = complete_weeks_before(at, params.check_period_weeks, tz)
    return min(weeks[0][0], original_windows(at, params)[-1][0], at - timedelta(days=params.veto_days))


def iso(dt: datetime | None, tz: ZoneInfo) -> str | None:
    return dt.astimezone(tz).isoformat() if dt is not None else None


class Context:
    def __init__(self, session: Session, at: datetime, ruleset: RuleSet, tz: ZoneInfo,
                 accounts: list[Account] | None = None):
        self.session = session
        self.at = at
        self.rules = ruleset
        self.params = ruleset.params
        self.tz = tz
        self.weeks = complete_weeks_before(at, self.params.check_period_weeks, tz)
        self.period_start, self.period_end = self.weeks[0][0], self.weeks[-1][1]
        self.original_windows = original_windows(at, self.params)
        self.since = lookback_start(at, self.params, tz)
        if accounts is None:
            accounts = list(session.scalars(select(Account).where(Account.lifecycle != "注销")
                                            .order_by(Account.id)))
        self.accounts = accounts
        self.iso = lambda dt: iso(dt, tz)

    # ── observations ────────────────────────────────────────────────────────
    @cached_property
    def statuses(self) -> dict[int, AccountStatus]:
        ids = {a.id for a in self.accounts}
        listing = load_listing_observations(self.session, self.since, self.at, ids)
        checks = self.app_checks
        return {a.id: app_status(checks.get(a.id, []), self.night_health) if is_app_like(a)
                else listing_status(listing.get(a.id, [])) for a in self.accounts}

    @cached_property
    def coverage(self) -> dict[int, PeriodCoverage]:
        """How much of the check period each publishing account was observed (apps and
        小程序 are judged on availability: none)."""
        return {a.id: period_coverage(self.statuses[a.id], self.weeks)
                for a in self.accounts if not is_app_like(a)}

    @cached_property
    def app_checks(self) -> dict[int, list]:
        ids = {a.id for a in self.accounts if is_app_like(a)}
        return load_app_checks(self.session, self.since, self.at, ids) if ids else {}

    @cached_property
    def night_health(self):
        """Per crawl night, how many fetches (all accounts, not only these) got an answer:
        a host-down failure counts only on a night our own network was healthy."""
        return load_night_health(self.session, self.since, self.at)

    # ── posts ───────────────────────────────────────────────────────────────
    @cached_property
    def posts(self) -> dict[int, list]:
        """Dated posts in (since, T] per account, oldest first. Deleted posts (gone_at)
        still count: they were published."""
        q = (select(Post.account_id, Post.published_at, Post.kind, Post.pinned, Post.url,
                    Post.platform_post_id)
             .where(Post.published_at > self.since, Post.published_at <= self.at)
             .order_by(Post.account_id, Post.published_at))
        out: dict[int, list] = defaultdict(list)
        for row in self.session.execute(q):
            out[row.account_id].append(row)
        return out

    @cached_property
    def _post_times(self) -> dict[int, list[datetime]]:
        return {aid: [p.published_at for p in rows] for aid, rows in self.posts.items()}

    def posts_in(self, account_id: int, start: datetime, end: datetime, *,
                 closed: str = "right") -> list:
        """Posts with start < t ≤ end (closed="right", the 14-day windows) or
        start ≤ t < end (closed="left", the natural weeks)."""
        times = self._post_times.get(account_id)
        if not times:
            return []
        if closed == "right":
            lo, hi = bisect_right(times, start), bisect_right(times, end)
        else:
            lo, hi = bisect_left(times, start), bisect_left(times, end)
        return self.posts[account_id][lo:hi]

    @cached_property
    def latest_posts(self) -> dict[int, Any]:
        """Each account's newest dated post at or before T (any age), one query."""
        newest = (select(Post.account_id, func.max(Post.published_at).label("m"))
                  .where(Post.published_at <= self.at).group_by(Post.account_id).subquery())
        q = (select(Post.account_id, Post.published_at, Post.url, Post.platform_post_id)
             .join(newest, and_(Post.account_id == newest.c.account_id,
                                Post.published_at == newest.c.m)))
        return {row.account_id: row for row in self.session.execute(q)}

    @cached_property
    def undated_posts(self) -> dict[int, int]:
        q = (select(Post.account_id, func.count()).where(Post.published_at.is_(None))
             .group_by(Post.account_id))
        return dict(self.session.execute(q).all())

    @cached_property
    def period_texts(self) -> dict[int, list]:
        """Text of the posts published in the check period (for content rules)."""
        q = (select(Post.account_id, Post.platform_post_id, Post.published_at, Post.title,
                    Post.text, Post.url, Post.ad_signals)
             .where(Post.published_at >= self.period_start, Post.published_at <= self.at))
        out: dict[int, list] = defaultdict(list)
        for row in self.session.execute(q):
            out[row.account_id].append(row)
        return out

    @cached_property
    def comment_states(self) -> dict[int, list]:
        """Posts of the last ``interaction_recent_days`` whose payload said whether they take
        comments (``details["comments"]``, written by the spiders), newest first."""
        since = self.at - timedelta(days=self.params.interaction_recent_days)
        q = (select(Post.account_id, Post.platform_post_id, Post.published_at, Post.url, Post.details)
             .where(Post.published_at > since, Post.published_at <= self.at, Post.pinned.is_(False))
             .order_by(Post.account_id, Post.published_at.desc()))
        out: dict[int, list] = defaultdict(list)
        for row in self.session.execute(q):
            if isinstance((row.details or {}).get("comments"), dict):
                out[row.account_id].append(row)
        return out

    @cached_property
    def interaction_tests(self) -> dict[int, list]:
        """Inspectors' interaction tests sent before T, per account."""
        out: dict[int, list] = defaultdict(list)
        for t in self.session.scalars(select(InteractionTest).where(InteractionTest.sent_at <= self.at)
                                      .order_by(InteractionTest.sent_at)):
            out[t.account_id].append(t)
        return out

    @cached_property
    def text_hits(self) -> dict[int, list]:
        """Posts of the check period whose current text the text check found something in."""
        q = (select(Post.account_id, Post.id, Post.platform_post_id, Post.published_at, Post.url,
                    Post.text_source, Post.text_capture, Post.gone_at, TextCheck.hits)
             .join(TextCheck, TextCheck.post_id == Post.id)
             .where(TextCheck.hit_count > 0, TextCheck.text_sha == Post.text_sha,
                    Post.published_at >= self.period_start, Post.published_at <= self.at)
             .order_by(Post.account_id, Post.published_at))
        out: dict[int, list] = defaultdict(list)
        for row in self.session.execute(q):
            out[row.account_id].append(row)
        return out
