"""今日头条 / 抖音 / 快手: requests and page loads per account on a steady night, per platform
and way in, and seconds per account for the browser collector.

    .venv/bin/python bench/short_video.py [--accounts 6] [--nights 2]

N accounts per platform in the sandbox (each posting daily), crawled by the real spiders on
consecutive nights, once with ``way = "feed"`` (the RSSHub double, with a canary) and once
with ``way = "browser"`` (Chromium opens each profile page). Prints, for the last night: the
requests the sandbox received per account (what the platform or RSSHub sees), the page loads
per account, and the browser collector's seconds per account (first one includes Chromium's
start).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from monitor.app import App  # noqa: E402
from monitor.config import Settings  # noqa: E402
from monitor.crawl import run_crawl  # noqa: E402
from monitor.registry import UrlBases, read_registry, upsert_accounts  # noqa: E402
from monitor.sandbox import DEMO_AT, SandboxServer, World, platform_config  # noqa: E402
from monitor.sandbox.scenario import Scenario  # noqa: E402
from monitor.timeutil import resolve_at  # noqa: E402
from spiders.netpolicy import LOOPBACK  # noqa: E402
from storage.models import Observation  # noqa: E402

T = resolve_at(DEMO_AT)
LABEL = {"toutiao": "今日头条", "douyin": "抖音", "kuaishou": "快手"}
CANARY = "MS4wLjABAAAAsandboxCanaryToutiao000000000000000000000"


def ident(platform: str, i: int) -> str:
    return f"3xbench{i:04d}" if platform == "kuaishou" else f"MS4wLjABAAAAbench{platform}{i:04d}{'0' * 24}"


def scenario(n: int) -> Scenario:
    posts = [{"every_days": 1, "from_days": 0.3, "to_days": 40}]
    specs = [{"platform": p, "id": ident(p, i), "name": f"{LABEL[p]}{i}", "posts": posts}
             for p in LABEL for i in range(n)]
    specs.append({"platform": "toutiao", "id": CANARY, "name": "canary", "posts": posts})
    return Scenario(specs, T, seed=3, name="short-video-bench")


def night(way: str, n: int, nights: int, work: Path) -> dict:
    srv = SandboxServer(World(scenario(n))).start()
    try:
        conf = platform_config(srv.url)
        for p in LABEL:
            conf["platforms"][p]["way"] = way
            conf["platforms"][p]["canary"] = f"{srv.url}/rsshub/toutiao/user/token/{CANARY}"
        app = App(Settings(database_url=f"sqlite:///{work / f'{way}.db'}", warc_dir=str(work / f"warc-{way}"),
                           evidence_dir=str(work / "ev"), report_dir=str(work / "rep"),
                           crawl={"delay": 0, "autothrottle": False, "allow_networks": list(LOOPBACK)}, **conf))
        app.init_db()
        registry = work / f"{way}.csv"
        registry.write_text("名称,平台,主办单位,账号ID\n" + "".join(
            f"{LABEL[p]}{i},{LABEL[p]},单位{i},{ident(p, i)}\n" for p in LABEL for i in range(n)), encoding="utf-8")
        with app.session() as s:
            upsert_accounts(s, read_registry(registry, UrlBases.from_settings(app.settings)).records)
        out = {}
        for k in range(nights):
            at = T - timedelta(days=nights - 1 - k)
            srv.world.set_clock(at)
            srv.world.clear_log()
            assert run_crawl(app, at, sorted(LABEL)).ok
        for p in LABEL:
            per = srv.world.per_account(p)
            canary = per.pop(CANARY, 0)
            with app.session() as s:
                obs = list(s.scalars(select(Observation).where(Observation.platform == p, Observation.observed_at == at)))
            seconds = [o.details.get("seconds") for o in obs if o.details.get("seconds") is not None]
            out[p] = {"requests": statistics.mean(per.values()) if per else 0, "canary": canary,
                      "page_loads": statistics.mean(o.details.get("page_loads", 0) for o in obs),
                      "ok": sum(o.outcome == "ok" for o in obs), "n": len(obs),
                      "seconds": (seconds[0], statistics.mean(seconds[1:]) if len(seconds) > 1 else None)
                      if seconds else None}
        return out
    finally:
        srv.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=6)
    ap.add_argument("--nights", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for way in ("feed", "browser"):
            for p, r in night(way, args.accounts, args.nights, Path(tmp)).items():
                secs = r["seconds"]
                timing = f"  first {secs[0]:.2f} s, then {secs[1]:.2f} s/account" if secs and secs[1] else ""
                print(f"{way:7} {LABEL[p]:4}  {r['ok']}/{r['n']} ok  requests/account {r['requests']:.1f}  "
                      f"page loads/account {r['page_loads']:.1f}  canary requests {r['canary']}{timing}")


if __name__ == "__main__":
    main()
