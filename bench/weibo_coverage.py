"""Page-1-only Weibo: how much of the check period is judged night after night, and how
many findings are false.

    .venv/bin/python bench/weibo_coverage.py [--nights 5] [--every 1] [--accounts 12]

Every Weibo account of the scenario answers like a visitor-limited m.weibo.cn (page 2 →
``{"ok":-100,"url":"…passport.weibo.cn/signin/welcome…"}``). Each night (T−(n−1)·every days …
T) the real spider crawls, detection runs, and this prints per night: the share of
check-period weeks the update rules could judge, requests per account, and the findings
that the scenario's own posts prove false (a ded.untimely_update week that had posts, a
veto.no_update_2w with a post in the 14 days). The goal is 0 false findings every night.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.app import App  # noqa: E402
from monitor.config import Settings  # noqa: E402
from monitor.sandbox import DEMO_AT, SandboxServer, World, platform_config  # noqa: E402
from monitor.sandbox.scenario import Scenario  # noqa: E402
from monitor.timeutil import resolve_at  # noqa: E402

T = resolve_at(DEMO_AT)
# Cadences in days between posts; the last accounts are dormant (newest post 20 days old)
# or post with two empty weeks, so that true findings exist too.
CADENCES = [0.5, 1, 1, 2, 2, 3, 4, 5, 7]


def scenario(n: int) -> Scenario:
    accounts = []
    for i in range(n):
        uid = str(3_000_000_000 + i)
        if i % 6 == 4:
            posts = [{"every_days": 3, "from_days": 20, "to_days": 120}]
        elif i % 6 == 5:
            posts = [{"days_ago": d} for d in (0.5, 11, 25, 33, 47, 61, 75, 89)]
        else:
            every = CADENCES[i % len(CADENCES)]
            posts = [{"every_days": every, "from_days": 0.3 + (i % 3) * 0.2, "to_days": 120}]
        accounts.append({"platform": "weibo", "id": uid, "name": f"页一账号{i}", "verified": True,
                         "verified_reason": f"页一测试单位{i}官方微博", "visitor_pages": 1, "posts": posts})
    return Scenario(accounts, T, seed=7, name="page1-only")


def false_findings(app, sc: Scenario, at) -> tuple[int, int, list]:
    """(scored findings at T, false ones, details) judged against the scenario's posts."""
    from sqlalchemy import select

    from monitor.detectors.context import Context
    from monitor.rules import load_ruleset
    from storage.models import Account, Finding

    bad, total = [], 0
    with app.session() as s:
        ctx = Context(s, at, load_ruleset(app.settings), app.tz)
        uid = {a.id: a.platform_id for a in ctx.accounts}
        rows = s.execute(select(Finding.account_id, Finding.rule, Finding.window_start, Finding.window_end)
                         .where(Finding.at == at, Finding.rule.in_(("veto.no_update_2w", "ded.untimely_update")))).all()
        for aid, rule, start, end in rows:
            total += 1
            truth = [p.published_at for p in sc.account("weibo", uid[aid]).posts if p.published_at <= at]
            if rule == "veto.no_update_2w" and any(at - timedelta(days=14) < t <= at for t in truth):
                bad.append((uid[aid], rule))
            if rule == "ded.untimely_update" and any(start <= t < end for t in truth):
                bad.append((uid[aid], rule, start.isoformat()))
        cov = ctx.coverage
        judged = sum(c.weeks_judged for c in cov.values())
        weeks = sum(c.total_weeks for c in cov.values())
        days = sum(c.days for c in cov.values())
        total_days = sum(c.total_days for c in cov.values())
        accounts = s.query(Account).count()
    return total, len(bad), [bad, judged, weeks, days, total_days, accounts]


def run(nights: int, every: float, n: int, workdir: Path, quiet: bool = False) -> list[dict]:
    from monitor.crawl import run_crawl
    from monitor.detectors import run_detection
    from monitor.registry import UrlBases, read_registry, upsert_accounts

    sc = scenario(n)
    out = []
    with SandboxServer(World(sc)) as srv:
        srv.world.state["weibo"].rate_limit = 10**6
        settings = Settings(database_url=f"sqlite:///{workdir / 'page1.db'}", evidence_dir=str(workdir / "ev"),
                            report_dir=str(workdir / "rep"), warc_dir=str(workdir / "warc"),
                            alerts={"outbox": str(workdir / "outbox.jsonl")},
                            crawl={"delay": 0, "autothrottle": False, "allow_networks": ["127.0.0.0/8", "::1/128"]},
                            **platform_config(srv.url))
        app = App(settings)
        app.init_db()
        registry = workdir / "page1.csv"
        rows = ["名称,平台,主办单位,属地,账号ID,开设时间,是否认证"]
        rows += [f"{a.name},新浪微博,页一测试单位{i},市级,{a.id},2018-01-01,是" for i, a in enumerate(sc.accounts())]
        registry.write_text("\n".join(rows) + "\n", encoding="utf-8")
        parsed = read_registry(registry, UrlBases.from_settings(app.settings))
        with app.session() as s:
            upsert_accounts(s, parsed.records)
        for k in range(nights):
            at = T - timedelta(days=every * (nights - 1 - k))
            srv.world.set_clock(at)
            srv.world.clear_log()
            result = run_crawl(app, at, ["weibo"])
            per = srv.world.per_account("weibo")
            run_detection(app, at)
            scored, false, (bad, judged, weeks, days, total_days, accounts) = false_findings(app, sc, at)
            row = {"night": k + 1, "at": at.isoformat(), "crawl_ok": result.ok,
                   "weeks_judged_share": round(judged / weeks, 3) if weeks else None,
                   "weeks_judged": judged, "weeks": weeks, "days_covered": days, "days": total_days,
                   "requests_per_account": round(sum(per.values()) / max(accounts, 1), 2),
                   "scored_findings": scored, "false_findings": false, "false": bad}
            out.append(row)
            if not quiet:
                print(json.dumps(row, ensure_ascii=False), flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nights", type=int, default=5)
    ap.add_argument("--every", type=float, default=1.0, help="days between nights (1 = nightly)")
    ap.add_argument("--accounts", type=int, default=12)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="monitor-page1-") as tmp:
        rows = run(args.nights, args.every, args.accounts, Path(tmp))
    print("\n{:>5} {:<26} {:>12} {:>10} {:>12} {:>6}".format("night", "T", "weeks judged", "days", "req/account",
                                                            "false"))
    for r in rows:
        print("{:>5} {:<26} {:>11.0%} {:>10} {:>12} {:>6}".format(
            r["night"], r["at"], r["weeks_judged_share"] or 0, f"{r['days_covered']}/{r['days']}",
            r["requests_per_account"], r["false_findings"]))
    return 0 if all(r["false_findings"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
