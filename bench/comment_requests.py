"""Comment sections (issue 25), measured on the sandbox: the extra requests per Weibo account
per night that reading comments costs, and how the night's budget bounds them.

    .venv/bin/python bench/comment_requests.py [--posts-per-night N] [--budget N]

Two nights of the demo scenario's Weibo accounts (T−1 day, then T) through the real crawl
child (Chromium for the visitor cookies, the sandbox on loopback). The first night every post
is new; the second only the posts published since. Then the night planner on the stored state
with a per-host budget of ``--budget`` requests: which accounts get their ``comments`` task.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from monitor.app import App  # noqa: E402
from monitor.config import Settings  # noqa: E402
from monitor.crawl import run_crawl  # noqa: E402
from monitor.crawl.night import candidates  # noqa: E402
from monitor.crawl.plan import COMMENTS, Budget, plan_night  # noqa: E402
from monitor.registry import UrlBases, read_registry, upsert_accounts  # noqa: E402
from monitor.sandbox import SandboxServer, World, load_scenario, platform_config  # noqa: E402
from monitor.sandbox.registry import write_demo_registry  # noqa: E402
from spiders.netpolicy import LOOPBACK  # noqa: E402
from storage.models import Account, Comment  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts-per-night", type=int, default=3)
    ap.add_argument("--budget", type=int, default=40, help="per-host requests for the planner run")
    args = ap.parse_args()
    scenario = load_scenario("demo")
    world = World(scenario)
    server = SandboxServer(world).start()
    world.state["weibo"].rate_limit = 1000
    try:
        with tempfile.TemporaryDirectory(prefix="bench-comments-") as tmp:
            work = Path(tmp)
            app = App(Settings(database_url=f"sqlite:///{work / 'm.db'}", evidence_dir=str(work / "e"),
                               report_dir=str(work / "r"), warc_dir=str(work / "w"),
                               crawl={"delay": 0, "autothrottle": False, "allow_networks": list(LOOPBACK)},
                               interaction={"posts_per_night": args.posts_per_night},
                               **platform_config(server.url)))
            app.init_db()
            parsed = read_registry(write_demo_registry(work / "registry.csv", server.url), UrlBases.from_settings(app.settings))
            with app.session() as s:
                upsert_accounts(s, parsed.records)
                names = {a.platform_id: a.name for a in s.scalars(select(Account).where(Account.platform == "weibo"))}
            for night in (scenario.at - timedelta(days=1), scenario.at):
                world.set_clock(night)
                world.clear_log()
                result = run_crawl(app, night, ["weibo"], timeout=600)
                assert result.ok, result.log_path.read_text(encoding="utf-8")[-2000:]
                every = Counter(r.account for r in world.requests if r.platform == "weibo" and r.account)
                hot = Counter(r.account for r in world.requests if r.path.startswith("/weibo/comments/hotflow"))
                n = len(names)
                print(f"night {night:%Y-%m-%d %H:%M}: {sum(hot.values())} comment requests for {n} Weibo accounts "
                      f"= {sum(hot.values()) / n:.2f} per account (max {max(hot.values(), default=0)}, "
                      f"posts_per_night {args.posts_per_night}); all Weibo requests {sum(every.values())} "
                      f"(+{100 * sum(hot.values()) / max(1, sum(every.values()) - sum(hot.values())):.0f} %)")
                print("   per account: " + ", ".join(f"{names.get(uid, uid)} {hot.get(uid, 0)}/{every.get(uid, 0)}"
                                                    for uid in sorted(names)))
            with app.session() as s:
                stored = s.scalar(select(func.count()).select_from(Comment))
                mine = s.scalar(select(func.count()).select_from(Comment).where(Comment.by_account.is_(True)))
            print(f"comments stored: {stored} ({mine} by the accounts themselves)")
            cands = candidates(app, scenario.at, {"weibo"})
            plan = plan_night(cands, Budget(per_host=float(args.budget)))
            got = sum(1 for t in plan.tasks.values() if COMMENTS in t)
            held = sum(1 for t in plan.deferred.values() if COMMENTS in t)
            print(f"planner, budget {args.budget} requests on the Weibo host: verdicts for {len(plan.tasks)} of "
                  f"{len(cands)} accounts, comments for {got} (held back {held}); spent {plan.summary()['spent']}")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
