"""The text check as the nightly cycle runs it, and what full bodies cost the crawl.

    .venv/bin/python bench/textcheck_sweep.py [--posts 1000] [--accounts 50] [--crawl-accounts 12]

1. Nightly text check: N new posts (Weibo-length posts and article-length bodies cut from the
   regulation text in ../shared/regulation/, a few with planted errors) stored as the spiders
   store them, then ``run_detection`` — which checks new and changed texts first. Prints the
   seconds for the text check and for the whole detection, characters per second, and the
   same for a second night with no new posts (nothing is checked again), and for
   ``monitor text sweep`` over all of them.
2. Bodies on the crawl: the real spiders against the sandbox, two nights a day apart, Weibo
   accounts posting daily (every third post a long one) and WeChat accounts (wewe-rss).
   Prints the requests per account that were for bodies (``statuses/extend``, article
   pages) on the first night and on the steady night.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
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
REGULATION = REPO.parent / "shared" / "regulation"
PLANTED = ["中华人民共合国", "市卫计委", "身份证号320621198503074526", "南通市人民攻府"]
LOOPBACK = ["127.0.0.0/8", "::1/128"]


def _settings(workdir: Path, **extra) -> Settings:
    return Settings(database_url=f"sqlite:///{workdir / 'bench.db'}", evidence_dir=str(workdir / "ev"),
                    report_dir=str(workdir / "rep"), warc_dir=str(workdir / "warc"),
                    alerts={"outbox": str(workdir / "outbox.jsonl")}, **extra)


def prose() -> str:
    texts = [p.read_text(encoding="utf-8") for p in sorted(REGULATION.glob("*.txt"))]
    return "".join("".join(t.split()) for t in texts) or "政务新媒体应当加强内容建设，及时发布权威信息。" * 200


def new_posts(n: int, accounts: int, seed: int = 19):
    """(account index, id, title, text, source) like a night's new posts: two thirds Weibo
    length (60–400 characters), one third articles (800–4000), one in twenty with an error."""
    rng, body = random.Random(seed), prose()
    for i in range(n):
        size = rng.randint(800, 4000) if i % 3 == 2 else rng.randint(60, 400)
        start = rng.randrange(max(1, len(body) - size))
        text = body[start:start + size]
        if i % 20 == 7:
            cut = rng.randrange(len(text))
            text = text[:cut] + PLANTED[(i // 20) % len(PLANTED)] + text[cut:]
        yield i % accounts, f"B{i}", (text[:24] if i % 3 == 2 else None), text, "js_content" if i % 3 == 2 else "card"


def nightly(n: int, accounts: int, workdir: Path) -> dict:
    from monitor.detectors import run_detection
    from monitor.detectors.post_texts import check_new_texts, sweep
    from spiders.items import PostItem
    from spiders.pipelines import upsert_posts
    from storage.models import Account, Observation

    app = App(_settings(workdir))
    app.init_db()
    with app.session() as s:
        for a in range(accounts):
            s.add(Account(name=f"测试账号{a}", platform="weibo", host_unit=f"南通市测试局{a}", platform_id=str(a + 1)))
    with app.session() as s:
        ids = [a.id for a in s.query(Account).order_by(Account.id)]
        for aid in ids:
            s.add(Observation(account_id=aid, platform="weibo", kind="timeline", outcome="ok", url="x",
                              observed_at=T, covered_from=T - timedelta(days=40)))
        items = [PostItem(ids[a], pid, T - timedelta(hours=1 + i % 600), kind="original", title=title, text=text,
                          text_source=src) for i, (a, pid, title, text, src) in enumerate(new_posts(n, accounts))]
        upsert_posts(s, items, T)
    chars = sum(len(p.text) + len(p.title or "") for p in items)
    from monitor.textcheck import get_checker

    t0 = time.perf_counter()
    get_checker([f"南通市测试局{a}" for a in range(accounts)])  # the automaton, built once per process
    build = time.perf_counter() - t0
    out = {"posts": n, "characters": chars, "checker_build_s": round(build, 2)}
    with app.session() as s:
        t0 = time.perf_counter()
        first = check_new_texts(s, app.settings)
        out["first_night_text_check_s"] = round(time.perf_counter() - t0, 2)
    out.update(checked=first.checked, posts_with_hits=first.with_hits, hits=first.hits,
               chars_per_second=round(chars / max(out["first_night_text_check_s"], 1e-6)))
    # The whole detection of that night, as the cycle runs it (the texts are checked now).
    with app.session() as s:
        from sqlalchemy import delete

        from storage.models import TextCheck

        s.execute(delete(TextCheck))
    t0 = time.perf_counter()
    counts = run_detection(app, T)
    out["first_night_detection_s"] = round(time.perf_counter() - t0, 2)
    out["findings"] = counts["by_rule"]
    t0 = time.perf_counter()
    again = run_detection(app, T + timedelta(days=1))
    out["steady_night_detection_s"] = round(time.perf_counter() - t0, 2)
    out["steady_night_texts_checked"] = again["texts_checked"]
    with app.session() as s:
        t0 = time.perf_counter()
        swept = sweep(s, app.settings)
        out["sweep_s"] = round(time.perf_counter() - t0, 2)
        out["sweep_checked"] = swept.checked
    app.engine.dispose()
    return out


def crawl_scenario(n: int) -> Scenario:
    accounts = []
    for i in range(n):
        if i % 3 == 2:
            accounts.append({"platform": "wechat", "id": f"QkVOQ0gw{i:04d}", "name": f"正文公众号{i}", "kind": "订阅号",
                             "feed": "wewe", "subject": f"正文测试单位{i}",
                             "posts": [{"every_days": 1, "from_days": 0.3, "to_days": 40, "kind": "original"}]})
        else:
            accounts.append({"platform": "weibo", "id": str(3_100_000_000 + i), "name": f"正文微博{i}",
                             "verified": True, "verified_reason": f"正文测试单位{i}官方微博",
                             # Every third post a long one, tonight's newest among them.
                             "posts": [{"every_days": 3, "from_days": 0.4, "to_days": 60, "kind": "original",
                                        "long": True},
                                       {"every_days": 3, "from_days": 1.4, "to_days": 60, "kind": "original"},
                                       {"every_days": 3, "from_days": 2.4, "to_days": 60, "kind": "original"}]})
    return Scenario(accounts, T, seed=19, name="bodies")


def bodies(n: int, workdir: Path) -> list[dict]:
    from monitor.crawl import run_crawl
    from storage.models import Account

    sc = crawl_scenario(n)
    rows = []
    with SandboxServer(World(sc)) as srv:
        srv.world.state["weibo"].rate_limit = 10**6
        app = App(_settings(workdir, crawl={"delay": 0, "autothrottle": False, "allow_networks": LOOPBACK},
                            **platform_config(srv.url)))
        app.init_db()
        from monitor.sandbox.registry import feed_url

        with app.session() as s:
            for acc in sc.accounts():
                s.add(Account(name=acc.name, platform=acc.platform, host_unit=f"{acc.name}单位", platform_id=acc.id,
                              wechat_kind="订阅号" if acc.platform == "wechat" else None,
                              feed_url=feed_url(srv.url, acc.id, "wewe") if acc.platform == "wechat" else None))
        for night, at in (("first", T - timedelta(days=1)), ("steady", T)):
            srv.world.set_clock(at)
            srv.world.clear_log()
            ok = run_crawl(app, at, ["weibo", "wechat"]).ok
            weibo, wechat = list(sc.accounts("weibo")), list(sc.accounts("wechat"))
            per = srv.world.per_account()
            extend = srv.world.count(path_prefix="/weibo/statuses/extend") + srv.world.count(
                path_prefix="/weibo/api/statuses/extend")
            articles = srv.world.count(path_prefix="/wechat/s/")
            rows.append({
                "night": night, "crawl_ok": ok,
                "weibo_requests_per_account": round(sum(per[a.id] for a in weibo) / len(weibo), 2),
                "weibo_body_requests_per_account": round(extend / len(weibo), 2),
                "wechat_requests_per_account": round(sum(per[a.id] for a in wechat) / len(wechat), 2),
                "wechat_body_requests_per_account": round(articles / len(wechat), 2),
            })
        app.engine.dispose()
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=1000)
    ap.add_argument("--accounts", type=int, default=50)
    ap.add_argument("--crawl-accounts", type=int, default=12, help="0 skips the crawl part")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="monitor-textcheck-") as tmp:
        result = nightly(args.posts, args.accounts, Path(tmp) / "nightly")
        print(json.dumps(result, ensure_ascii=False), flush=True)
        if args.crawl_accounts:
            for row in bodies(args.crawl_accounts, Path(tmp) / "crawl"):
                print(json.dumps(row, ensure_ascii=False), flush=True)
    return 0 if result["first_night_detection_s"] < 10 and result["steady_night_texts_checked"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
