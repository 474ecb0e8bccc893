"""Simulated nights of the night planner (monitor/crawl/plan.py) for 1,000 … 180,000 accounts.

    .venv/bin/python bench/night_plan.py [--sizes 1000 10000 100000 180000] [--nights 14]

The accounts follow the sandbox's scale scenario (two thirds Weibo, one third WeChat
subscription accounts behind one feed service; posting every 0.5–9 days, one in twenty
dormant for 30 days). Each night the real planner plans inside a 6 h window at 1 request per
second per host with the README's default margin, and the simulation applies the plan: a
verdict checks the account, a history task joins its coverage to the check period's start,
a profile task refreshes it; new WeChat articles beyond the newest wait as history. The
request costs are the planner's estimates (monitor/crawl/night.py), which bench/run.py
measures against real crawls of the sandbox.

Prints one JSON line per size, then a table: workers needed for every verdict on the first
night, requests and hours at 1 req/s on the busiest host for the first night planned and
unplanned (everything at once, as before), the steady night, and nights until every account
has full check-period coverage — with the fewest workers ("min") that fit every verdict on
the first night, then as many as give full coverage within ``--target-nights``.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.crawl import night as N  # noqa: E402
from monitor.crawl.plan import (HISTORY, PROFILE, TIER_NEAR, TIER_PENDING, TIER_REST, TIER_UNVERIFIABLE,  # noqa: E402
                                VERDICT, Budget, Candidate, Task, plan_night)

WEIBO, MP, FEEDS = "m.weibo.cn", "mp.weixin.qq.com", "wewe-rss.example.gov.cn"
WINDOW_S, DELAY, MARGIN, MAX_NIGHTS = 6 * 3600, 1.0, 0.1, 2
CHECK_DAYS = 38  # five complete weeks before T and the days of T's own week (Wednesday)
REFRESH = 7  # profile / 认证 refresh, nights


@dataclass
class Sim:
    aid: int
    platform: str
    every: float
    dormant: bool
    checked: int | None = None  # night of the last verdict
    reached_last: bool = True
    joined: bool = False  # coverage joined to the check period's start
    profile_at: int | None = None
    untimed: int = 0  # WeChat articles waiting to be read

    def history_pages(self) -> float:
        posts = CHECK_DAYS / self.every if not self.dormant else max(0, CHECK_DAYS - 30) / self.every
        return max(1.0, posts / N.WEIBO_PAGE_POSTS)


def population(n: int, seed: int = 11) -> list[Sim]:
    out = []
    for i in range(n):
        rng = random.Random(f"{seed}:scale:{i}")
        dormant = rng.random() < 0.05
        every = rng.choice([0.5, 1, 1, 2, 3, 5, 9])
        out.append(Sim(i, "wechat" if i % 3 == 2 else "weibo", every, dormant))
    return out


def candidate(a: Sim, night: int) -> Candidate:
    unchecked = N.NEVER if a.checked is None else night - a.checked
    if a.dormant and a.checked is not None:
        tier = TIER_PENDING  # silent 30 days: a veto to confirm
    elif not a.reached_last:
        tier = TIER_UNVERIFIABLE
    elif a.every >= 9:
        tier = TIER_NEAR
    else:
        tier = TIER_REST
    age = None if a.profile_at is None else float(night - a.profile_at)
    deferred: list[Task] = []
    if a.platform == "weibo":
        verdict = Task(VERDICT, {WEIBO: N.WEIBO_PAGE1})
        if a.profile_at is None or night - a.profile_at >= REFRESH:
            deferred.append(Task(PROFILE, {WEIBO: 1.0}, age))
        if not a.joined:
            deferred.append(Task(HISTORY, {WEIBO: a.history_pages()}, None if a.checked is None else 0.0))
    else:
        verdict = Task(VERDICT, {FEEDS: 1.0, MP: 1.0})
        if a.checked is None:
            deferred.append(Task(HISTORY, {MP: N.WECHAT_FIRST_ARTICLES}))
        elif a.untimed:
            deferred.append(Task(HISTORY, {MP: float(a.untimed)}, 0.0))
        if a.profile_at is None or night - a.profile_at >= REFRESH:
            deferred.append(Task(PROFILE, {MP: 1.0}, age))
    return Candidate(a.aid, tier, unchecked, verdict, tuple(deferred))


def apply(accounts: list[Sim], plan, night: int) -> None:
    for a in accounts:
        tasks = plan.tasks.get(a.aid, ())
        a.reached_last = VERDICT in tasks
        if a.platform == "wechat" and a.checked is not None and not a.dormant:
            # New articles since the last night; the verdict reads the newest.
            new = max(0, round(1 / a.every) - (1 if VERDICT in tasks else 0))
            a.untimed += new
        if VERDICT not in tasks:
            continue
        if a.platform == "wechat" and a.checked is None and HISTORY not in tasks:
            a.untimed = int(N.WECHAT_FIRST_ARTICLES)
        a.checked = night
        if HISTORY in tasks:
            a.joined, a.untimed = True, 0
        if PROFILE in tasks:
            a.profile_at = night
        if a.platform == "wechat" and a.checked is not None and not a.untimed:
            a.joined = True


def unplanned_first_night(accounts: list[Sim]) -> dict[str, float]:
    """Everything every account needs, at once (the crawl before the planner)."""
    spent: dict[str, float] = {}
    for a in accounts:
        c = candidate(a, 0)
        for t in (c.verdict, *c.deferred):
            for h, n in t.requests.items():
                spent[h] = spent.get(h, 0.0) + n
    return spent


def min_workers(n: int) -> int:
    """Workers for every verdict on the first night, on the busiest host."""
    verdicts: dict[str, float] = {}
    for a in population(n):
        for h, r in candidate(a, 0).verdict.requests.items():
            verdicts[h] = verdicts.get(h, 0.0) + r
    return max(1, math.ceil(max(verdicts.values()) / (WINDOW_S / DELAY * (1 - MARGIN))))


def simulate(n: int, nights: int, workers: int) -> dict:
    accounts = population(n)
    verdicts: dict[str, float] = {}
    for a in accounts:
        for h, r in candidate(a, 0).verdict.requests.items():
            verdicts[h] = verdicts.get(h, 0.0) + r
    budget = Budget.for_window(WINDOW_S, DELAY, workers, MARGIN)
    unplanned = unplanned_first_night(accounts)
    rows, covered_at = [], None
    for night in range(nights):
        plan = plan_night([candidate(a, night) for a in accounts], budget, MAX_NIGHTS)
        apply(accounts, plan, night)
        busiest = max(plan.spent.values())
        full = sum(1 for a in accounts if a.checked == night and a.joined and a.profile_at is not None)
        rows.append({"night": night + 1, "requests": round(sum(plan.spent.values())),
                     "busiest_host_requests": round(busiest), "hours": round(busiest / workers / 3600 * DELAY, 2),
                     "verdicts": sum(1 for t in plan.tasks.values() if VERDICT in t), "unreached": len(plan.unreached),
                     "fully_covered": full})
        if covered_at is None and full == n:
            covered_at = night + 1
    first, steady = rows[0], rows[-1]
    return {
        "accounts": n, "workers": workers, "per_host_budget": round(budget.per_host),
        "first_night": first, "steady_night": steady, "nights_to_full_coverage": covered_at,
        "unplanned_first_night_busiest_host_hours": round(max(unplanned.values()) / workers / 3600 * DELAY, 2),
        "unplanned_first_night_requests": round(sum(unplanned.values())),
        "verdict_requests_busiest_host": round(max(verdicts.values())),
        "nights": rows,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="*", type=int, default=[1000, 10000, 100000, 180000])
    ap.add_argument("--nights", type=int, default=14)
    ap.add_argument("--target-nights", type=int, default=7,
                    help="add workers until every account has full coverage within this many nights")
    args = ap.parse_args()
    results = []
    for n in args.sizes:
        workers = min_workers(n)
        r = simulate(n, args.nights, workers)
        r["workers_for_first_night_verdicts"] = workers
        while (r["nights_to_full_coverage"] or args.nights + 1) > args.target_nights:
            workers += 1
            r = simulate(n, args.nights, workers)
            r["workers_for_first_night_verdicts"] = min_workers(n)
        results.append(r)
        print(json.dumps({k: v for k, v in r.items() if k != "nights"}, ensure_ascii=False), flush=True)
    print(f"\n{'accounts':>9} {'workers':>7} {'min':>4} {'1st req':>9} {'1st h':>6} {'unplanned h':>11} "
          f"{'unreached':>9} {'steady req':>10} {'steady h':>8} {'nights→full':>11}")
    for r in results:
        f, s = r["first_night"], r["steady_night"]
        print(f"{r['accounts']:>9} {r['workers']:>7} {r['workers_for_first_night_verdicts']:>4} {f['requests']:>9} {f['hours']:>6} "
              f"{r['unplanned_first_night_busiest_host_hours']:>11} {f['unreached']:>9} {s['requests']:>10} "
              f"{s['hours']:>8} {str(r['nights_to_full_coverage']):>11}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
