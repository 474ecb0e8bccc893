"""CPU our own parsers cost per page (issue 24 item 4): WeChat article pages, WeChat feeds and
Weibo timeline answers, on the real captures (shared/fixtures/real) and on the sandbox's
scale-world pages (what ``bench/run.py --only crawl`` fetches).

    .venv/bin/python bench/parse_cost.py [--accounts N] [--repeat R]

Prints one JSON line per measurement: microseconds of process CPU per page (the best of
``--repeat`` passes, so a loaded machine inflates it less than wall time would).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.sandbox import DEMO_AT, SandboxServer, ScaleScenario, World  # noqa: E402
from monitor.sandbox.platforms import weibo_payloads, wewe_rss  # noqa: E402
from monitor.timeutil import resolve_at  # noqa: E402
from spiders.wechat.article import parse_article  # noqa: E402
from spiders.wechat.feeds import parse_feed  # noqa: E402
from spiders.weibo.cards import parse_timeline  # noqa: E402
from spiders.weibo.payload import classify  # noqa: E402
from tests.fixtures.core import REAL_FIXTURES  # noqa: E402

T = resolve_at(DEMO_AT)
ATOM = "application/atom+xml; charset=utf-8"


def emit(what: str, source: str, pages: int, us: float) -> None:
    print(json.dumps({"measurement": f"parse_cost.{what}.{source}", "value": round(us, 1),
                      "unit": "us/page", "pages": pages}, ensure_ascii=False), flush=True)


def cpu_per_page(parse, pages: list, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for page in pages:
            parse(page)
        best = min(best, time.process_time() - t0)
    return best / len(pages) * 1e6


def weibo_timeline(body: bytes) -> None:
    got = classify(200, body, "https://m.weibo.cn/api/container/getIndex", "application/json")
    parse_timeline(got.data, T)


def sandbox_pages(n: int) -> tuple[list[bytes], list[str], list[bytes]]:
    """(feeds, article pages, weibo timeline answers) of the first ``n`` scale accounts."""
    scenario = ScaleScenario(n, T, seed=11)
    world = World(scenario)
    feeds, articles, timelines = [], [], []
    with SandboxServer(world) as srv:
        world.set_clock(T)
        for acc in scenario.accounts("wechat"):
            with urllib.request.urlopen(srv.url + wewe_rss.feed_path(acc.id)) as r:
                feeds.append(r.read())
            for link in [e.link for e in parse_feed(feeds[-1], srv.url, ATOM).entries][:10]:
                with urllib.request.urlopen(link) as r:
                    articles.append(r.read().decode("utf-8"))
        for acc in scenario.accounts("weibo"):
            payload = weibo_payloads.timeline_payload(acc, srv.url, T, f"107603{acc.id}")
            timelines.append(json.dumps(payload, ensure_ascii=False).encode())
    return feeds, articles, timelines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=150, help="scale-world accounts to fetch pages of")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    real = REAL_FIXTURES
    articles = [p.read_text(encoding="utf-8") for p in sorted((real / "wechat").glob("mp_article_*.html"))]
    ok = [h for h in articles if parse_article(h).state == "ok"]
    emit("wechat_article", "real_ok", len(ok), cpu_per_page(parse_article, ok, 1))
    failed = [h for h in articles if h not in ok]
    emit("wechat_article", "real_failure_pages", len(failed), cpu_per_page(parse_article, failed, args.repeat))
    timelines = [p.read_bytes() for p in sorted((real / "weibo").glob("*timeline*.json"))]
    emit("weibo_timeline", "real", len(timelines), cpu_per_page(weibo_timeline, timelines, args.repeat * 10))
    feeds, pages, sb_timelines = sandbox_pages(args.accounts)
    emit("wechat_article", "sandbox", len(pages), cpu_per_page(parse_article, pages, args.repeat))
    emit("wechat_feed", "sandbox", len(feeds), cpu_per_page(lambda b: parse_feed(b, "http://sandbox/f.atom", ATOM),
                                                             feeds, args.repeat))
    emit("weibo_timeline", "sandbox", len(sb_timelines), cpu_per_page(weibo_timeline, sb_timelines, args.repeat))


if __name__ == "__main__":
    main()
