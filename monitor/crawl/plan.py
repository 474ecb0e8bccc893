"""Plan one night's crawl inside its window: a pure function from what each account needs
to what is fetched tonight, with no database and no network (``monitor.crawl.night`` feeds it).

Every host has a request budget: the window's seconds at the crawl's pace (one request per
``delay`` seconds per host), times the number of workers (each its own egress), less a safety
margin and what other passes reserved (the weekly discovery pass). Hosts are counted
separately: Weibo, the WeChat article host, each feed service and each app host.

Each account brings its tasks. The first is its **verdict** task — what decides tonight's
verdict (page 1 of a timeline, a feed and its newest article, one check of each app
channel); the others can wait for a later night: the **profile** refresh, deeper **history**,
an app's **full download**, a Weibo account's **bodies** (the long texts of posts stored cut
at 全文) and its **comments** (its new posts' comment sections). Verdict tasks are planned first for every account, in
priority order; deferred tasks fill what is left, the longest-waiting first, so history
accumulates over nights instead of crowding out tonight's verdicts.

Priority (``Candidate.tier``): a pending veto confirmation or re-check, then accounts
unverifiable last night, then accounts near a reminder or the veto (7 / 12 days silent), then
the rest. Inside a tier the account unchecked for the most nights goes first, so an account
passed over tonight leads tomorrow, and one unchecked for ``max_nights`` nights goes before
every tier: nobody starves while the budget holds ``accounts / max_nights`` verdicts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable
from urllib.parse import urlsplit

VERDICT, PROFILE, HISTORY, FULL_DOWNLOAD = "verdict", "profile", "history", "full_download"
COMMENTS = "comments"  # a Weibo account's comment sections: [interaction] posts_per_night requests
BODIES = "bodies"  # a Weibo account's backlog of long texts (/statuses/extend), one request each
DEFERRABLE = (PROFILE, HISTORY, FULL_DOWNLOAD, COMMENTS, BODIES)

TIER_PENDING, TIER_UNVERIFIABLE, TIER_NEAR, TIER_REST = 0, 1, 2, 3
TIER_NAMES = {TIER_PENDING: "pending_veto", TIER_UNVERIFIABLE: "unverifiable_last_night",
              TIER_NEAR: "near_reminder_or_veto", TIER_REST: "rest"}


def host_of(url: str | None) -> str:
    """The host a request to ``url`` is paced on (lower case, no port): ``m.weibo.cn``."""
    if not url:
        return ""
    return (urlsplit(url if "//" in url else f"//{url}").hostname or "").lower()


@dataclass(frozen=True)
class Task:
    name: str
    requests: dict[str, float]  # host → requests it is expected to cost
    age: float | None = None  # nights since it was last done (None: never) — who waits longest


@dataclass(frozen=True)
class Candidate:
    account_id: int
    tier: int
    nights_unchecked: int  # nights since its verdict task last ran (a large number: never)
    verdict: Task
    deferred: tuple[Task, ...] = ()


@dataclass
class Budget:
    """Requests per host for one night. ``per_host`` None: unlimited (pace 0, the sandbox)."""
    per_host: float | None
    reserved: dict[str, dict[str, float]] = field(default_factory=dict)  # pass name → host → requests

    @classmethod
    def for_window(cls, window_seconds: float, delay: float, workers: int = 1, margin: float = 0.1,
                   reserved: dict[str, dict[str, float]] | None = None, fixed: int = 0) -> "Budget":
        """``fixed``: requests per host and worker set outright (a provider's quota), else the
        window's seconds at one request per ``delay``."""
        per_worker = fixed or (None if delay <= 0 else window_seconds / delay)
        per_host = None if per_worker is None else per_worker * max(1, workers) * (1 - margin)
        return cls(per_host, dict(reserved or {}))

    def reserved_on(self, host: str) -> float:
        return sum(hosts.get(host, 0.0) for hosts in self.reserved.values())


@dataclass
class NightPlan:
    budget: Budget
    spent: dict[str, float] = field(default_factory=dict)  # host → planned requests
    tasks: dict[int, tuple[str, ...]] = field(default_factory=dict)  # planned accounts → task names
    unreached: list[int] = field(default_factory=list)  # verdict task did not fit tonight
    deferred: dict[int, tuple[str, ...]] = field(default_factory=dict)  # wanted, left for a later night
    tiers: dict[int, int] = field(default_factory=dict)
    order: list[int] = field(default_factory=list)  # planned accounts, most urgent first: the crawl's order

    def allows(self, account_id: int, task: str) -> bool:
        return task in self.tasks.get(account_id, ())

    @property
    def complete(self) -> bool:
        """Everything every account needs fits tonight: the crawl can run unrestricted."""
        return not self.unreached and not self.deferred

    def spider_plan(self) -> dict[str, list[int]] | None:
        """What the spiders need (Scrapy setting MONITOR_PLAN): for each deferrable task the
        accounts allowed to do it tonight; None when nothing was held back."""
        if self.complete:
            return None
        return {t: sorted(a for a, names in self.tasks.items() if t in names) for t in DEFERRABLE}

    def summary(self) -> dict:
        """JSON for the crawl's Run row: budget, what was planned, what was not."""
        by_tier: dict[str, dict[str, int]] = {}
        for aid, tier in self.tiers.items():
            row = by_tier.setdefault(TIER_NAMES.get(tier, str(tier)), {"accounts": 0, "planned": 0})
            row["accounts"] += 1
            row["planned"] += int(aid in self.tasks)
        counts = {t: sum(1 for names in self.tasks.values() if t in names) for t in (VERDICT, *DEFERRABLE)}
        later = {t: sum(1 for names in self.deferred.values() if t in names) for t in DEFERRABLE}
        return {
            "per_host_budget": None if self.budget.per_host is None else round(self.budget.per_host),
            "reserved": {k: {h: round(n) for h, n in v.items()} for k, v in self.budget.reserved.items()},
            "spent": {h: round(n, 1) for h, n in sorted(self.spent.items())},
            "accounts": len(self.tiers), "planned": len(self.tasks), "unreached": len(self.unreached),
            "tasks": counts, "deferred": later, "tiers": by_tier,
            "unreached_ids": self.unreached[:200],
        }


def _fits(budget: Budget, spent: dict[str, float], task: Task) -> bool:
    if budget.per_host is None:
        return True
    return all(spent.get(h, 0.0) + n + budget.reserved_on(h) <= budget.per_host for h, n in task.requests.items())


def _spend(spent: dict[str, float], task: Task) -> None:
    for h, n in task.requests.items():
        spent[h] = spent.get(h, 0.0) + n


def order(candidates: Iterable[Candidate], max_nights: int) -> list[Candidate]:
    """Verdict order: overdue accounts first (unchecked ``max_nights`` nights or more), then
    by tier, then the longest unchecked, then by id (stable from night to night)."""
    return sorted(candidates, key=lambda c: (c.nights_unchecked < max_nights, c.tier, -c.nights_unchecked,
                                             c.account_id))


def plan_night(candidates: Iterable[Candidate], budget: Budget, max_nights: int = 2) -> NightPlan:
    ranked = order(candidates, max(1, max_nights))
    plan = NightPlan(budget, tiers={c.account_id: c.tier for c in ranked})
    planned: dict[int, list[str]] = {}
    for c in ranked:
        if _fits(budget, plan.spent, c.verdict):
            _spend(plan.spent, c.verdict)
            planned[c.account_id] = [VERDICT]
        else:
            plan.unreached.append(c.account_id)
    # Deferred work only for accounts crawled tonight (history continues from page 1), the
    # task waiting longest first; a task never done counts as waiting forever.
    rank = {c.account_id: i for i, c in enumerate(ranked)}
    later = [(c, t) for c in ranked if c.account_id in planned for t in c.deferred]
    later.sort(key=lambda ct: (-(math.inf if ct[1].age is None else ct[1].age), rank[ct[0].account_id]))
    held: dict[int, list[str]] = {}
    for c, t in later:
        if _fits(budget, plan.spent, t):
            _spend(plan.spent, t)
            planned[c.account_id].append(t.name)
        else:
            held.setdefault(c.account_id, []).append(t.name)
    for c in ranked:
        if c.account_id in plan.unreached and c.deferred:
            held.setdefault(c.account_id, []).extend(t.name for t in c.deferred)
    plan.order = [c.account_id for c in ranked if c.account_id in planned]
    plan.tasks = {a: tuple(v) for a, v in planned.items()}
    plan.deferred = {a: tuple(v) for a, v in held.items()}
    return plan
