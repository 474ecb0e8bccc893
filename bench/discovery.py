"""Account discovery (issue 23), measured on the sandbox: requests per registered unit for one
pass, and the precision and recall of its candidates against the scenario's ``truth`` keys.

    .venv/bin/python bench/discovery.py [--scenario demo] [--rate-limit N] [--delay S]

The pass is the real one (crawl child, Chromium for the visitor cookies, the sandbox on
loopback). ``--rate-limit`` is the sandbox's API requests per second before it answers 418
(default 20, as the sandbox; a large value shows the pass without slow-downs); ``--delay`` the
crawl's politeness delay (0 against the sandbox, 1 s against the real site).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.app import App  # noqa: E402
from monitor.config import Settings  # noqa: E402
from monitor.discovery import open_candidates, run_discovery  # noqa: E402
from monitor.registry import UrlBases, read_registry, upsert_accounts  # noqa: E402
from monitor.sandbox import SandboxServer, World, load_scenario  # noqa: E402
from monitor.sandbox.registry import write_demo_registry  # noqa: E402
from monitor.timeutil import resolve_at  # noqa: E402
from spiders.netpolicy import LOOPBACK  # noqa: E402


def _ratio(a: int, b: int) -> str:
    return f"{a}/{b} = {a / b:.2f}" if b else "n/a (nothing listed)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="demo")
    ap.add_argument("--rate-limit", type=int, default=20)
    ap.add_argument("--delay", type=float, default=0.0)
    args = ap.parse_args()
    scenario = load_scenario(args.scenario)
    world = World(scenario)
    server = SandboxServer(world).start()
    world.state["weibo"].rate_limit = args.rate_limit
    try:
        with tempfile.TemporaryDirectory(prefix="bench-discovery-") as tmp:
            from monitor.sandbox import platform_config

            work = Path(tmp)
            app = App(Settings(database_url=f"sqlite:///{work / 'm.db'}", evidence_dir=str(work / "e"),
                               report_dir=str(work / "r"), warc_dir=str(work / "w"),
                               crawl={"delay": args.delay, "autothrottle": False, "allow_networks": list(LOOPBACK)},
                               **platform_config(server.url)))
            app.init_db()
            parsed = read_registry(write_demo_registry(work / "registry.csv", server.url), UrlBases.from_settings(app.settings))
            with app.session() as s:
                upsert_accounts(s, parsed.records)
            started = time.monotonic()
            result = run_discovery(app, resolve_at(scenario.at.isoformat()))
            took = time.monotonic() - started
            with app.session() as s:
                listed = {c.platform_id: c.kind for c in open_candidates(s)}
    finally:
        server.stop()
    c = result.summary.counts()
    truth = {a.id: a.get("truth") for a in scenario.accounts("weibo") if a.get("truth")}
    print(f"discovery pass on scenario {scenario.name!r}: {c['units']} registered units, "
          f"{c['searched']} searched, {c['unverified']} 未能核验 ({', '.join(c['unverified_units'])})")
    print(f"requests: {c['requests']} API requests = {c['requests'] / c['units']:.2f} per unit "
          f"(sandbox rate limit {args.rate_limit}/s, delay {args.delay} s); {took:.1f} s wall time")
    for kind in ("unregistered", "impostor"):
        wanted = {uid for uid, t in truth.items() if t == kind}
        got = {uid for uid, k in listed.items() if k == kind}
        print(f"{kind:>12}: precision {_ratio(len(got & wanted), len(got))}, recall {_ratio(len(got & wanted), len(wanted))}"
              + (f"; wrongly listed {sorted(got - wanted)}" if got - wanted else "")
              + (f"; missed {sorted(wanted - got)}" if wanted - got else ""))
    decoys = {uid for uid, t in truth.items() if t == "other"}
    print(f"decoys listed: {len(decoys & set(listed))} of {len(decoys)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
