"""How an app's stored channel checks are read: what counts as a failure, and when.

A channel check counts as failed on a positive observation (``fail``, ``not_listed``). An
``unknown`` whose reason says the download host may be down (5xx, timeout, refused, DNS:
``spiders.appcheck.result.HOST_DOWN``) counts too, but only on a night when our own network
was healthy — when most of that night's *other* fetches (other accounts' app checks, the
listing observations of every platform) gave a definite answer. On a night where most
fetches failed the outage is ours, and nothing fails. Rate limits, captchas, short bodies
and unknown layouts never count.

Every registered channel (those checked on the account's latest night, less stores without
an adapter and download pages that only link to store listings) must have a counted latest check for the app to be judged at all: one channel
that could not be looked at makes the account 未能核验, never silently "unavailable".
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from sqlalchemy import func, select

from spiders.appcheck.result import HOST_DOWN, NOT_JUDGED
from storage.models import AppCheck, Observation

FAILED = ("fail", "not_listed")
DEFINITE = ("ok", *FAILED)
OK, FAIL = "ok", "fail"
MIN_OTHER_FETCHES = 3  # fewer fetches than this in a night cannot show our network was healthy


@dataclass
class NightHealth:
    """Per night (crawl time): fetches made and fetches that got a definite answer."""

    answered: Counter = field(default_factory=Counter)
    total: Counter = field(default_factory=Counter)

    def add(self, night: datetime, answered: bool, n: int = 1) -> None:
        self.total[night] += n
        if answered:
            self.answered[night] += n

    def healthy(self, night: datetime, own: Iterable = ()) -> bool:
        """Did most of the night's fetches other than ``own`` (this account's checks) get
        a definite answer?"""
        own = [c for c in own if c.checked_at == night]
        total = self.total[night] - len(own)
        answered = self.answered[night] - sum(1 for c in own if c.outcome in DEFINITE)
        return total >= MIN_OTHER_FETCHES and answered * 2 > total


def counted(check, health: NightHealth, own: list) -> str | None:
    """``ok``, ``fail`` or None (not evidence either way) for one stored check."""
    if check.outcome == OK:
        return OK
    if check.outcome in FAILED:
        return FAIL
    if check.reason in HOST_DOWN and health.healthy(check.checked_at, own):
        return FAIL
    return None


@dataclass
class AppReading:
    """One account's channels as the detectors see them."""

    channels: dict[str, object]  # channel → its latest check
    states: dict[str, str | None]  # channel → counted state of that check
    uncounted: list[str]  # channels whose latest check says nothing
    checked: bool = True  # False: no check stored at all

    @property
    def judgeable(self) -> bool:
        return any(s == OK for s in self.states.values()) or (bool(self.states) and not self.uncounted)

    @property
    def working(self) -> list:
        return [self.channels[ch] for ch, s in self.states.items() if s == OK]


def read_channels(checks: list, health: NightHealth) -> AppReading:
    checks = sorted(checks, key=lambda c: (c.checked_at, c.id or 0))
    if not checks:
        return AppReading({}, {}, [], checked=False)
    last_night = checks[-1].checked_at
    registered = {c.channel for c in checks if c.checked_at == last_night and c.reason not in NOT_JUDGED}
    latest = {c.channel: c for c in checks if c.channel in registered}
    states = {ch: counted(c, health, checks) for ch, c in latest.items()}
    return AppReading(latest, states, sorted(ch for ch, s in states.items() if s is None))


def unjudgeable_reason(reading: AppReading) -> str:
    if not reading.checked:
        return "无APP检查记录"
    if not reading.channels:
        return "没有可自动检查的APP渠道"
    parts = [f"{ch}（{reading.channels[ch].reason or reading.channels[ch].outcome}）" for ch in reading.uncounted]
    return "APP渠道检查结果无法确定：" + "、".join(parts)


def load_night_health(session, since: datetime, at: datetime) -> NightHealth:
    """Fetch counts per night in (since, at] over every account, two grouped queries: app
    checks by outcome, listing/profile observations by outcome (``app`` observations only
    summarise app checks and are not counted twice)."""
    health = NightHealth()
    q = (select(AppCheck.checked_at, AppCheck.outcome, func.count())
         .where(AppCheck.checked_at > since, AppCheck.checked_at <= at)
         .group_by(AppCheck.checked_at, AppCheck.outcome))
    for night, outcome, n in session.execute(q):
        health.add(night, outcome in DEFINITE, n)
    q = (select(Observation.observed_at, Observation.outcome, func.count())
         .where(Observation.observed_at > since, Observation.observed_at <= at, Observation.kind != "app")
         .group_by(Observation.observed_at, Observation.outcome))
    for night, outcome, n in session.execute(q):
        health.add(night, outcome in ("ok", "not_found"), n)
    return health
