"""What the crawl's storage writes cost in CPU (issue 24 item 4), on SQLite and PostgreSQL.

    .venv/bin/python bench/store_cost.py [--accounts 1000] [--backends sqlite postgresql] [--dump DIR]

Two nights of N accounts written the way the crawl's writer writes them: for every account
its ObservationItem with posts, comments and profile (shaped like the Weibo and WeChat
spiders' items, in the scale world's mix: two Weibo accounts to one WeChat account) through
``StoragePipeline._apply``, ``BATCH`` accounts to a transaction. The first night every post is
new; the second night the same posts come again (the upsert path: comments seen again), but one
post of each Weibo account is gone and one article of each WeChat account comes only as its
feed's description (the stored body is kept). Prints the writing process's CPU per account and
per post (the crawl's writer shares the event loop's GIL: this is time taken from fetching).
``--dump`` writes every stored row as JSON lines per backend, to compare two versions' results.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import select, text  # noqa: E402

from spiders.items import CommentItem, ObservationItem, PostItem, ProfileItem  # noqa: E402
from spiders.pipelines import BATCH, StoragePipeline  # noqa: E402
from storage.db import make_engine, session_scope, upgrade_to_head  # noqa: E402
from storage.models import Account, Base, Run  # noqa: E402

TZ = timezone(timedelta(hours=8))
NIGHT = datetime(2026, 11, 24, 18, 0, tzinfo=TZ)
WEIBO_POSTS, WECHAT_POSTS, COMMENTS_PER_WEIBO = 31, 10, 40  # what the scale world's crawl stores


def _weibo(account_id: int, at: datetime, again: bool) -> ObservationItem:
    posts = []
    for k in range(WEIBO_POSTS):
        if again and k == 5:
            continue  # deleted since: marked gone
        published = at - timedelta(days=40) + timedelta(hours=31 * k, minutes=account_id % 60)
        pid = f"50119449197{account_id:05d}{k:03d}"
        body = f"【天气预警】{published:%m月%d日}，天气预警相关信息发布，请广大市民关注。第{k}条"
        posts.append(PostItem(
            account_id=account_id, platform_post_id=pid, published_at=published,
            kind="repost" if k % 7 == 3 else "original", pinned=k == WEIBO_POSTS - 1, title=body[:60], text=body,
            text_source="card", text_capture=f"run/weibo-{account_id}.warc.gz#{1000 * k}",
            url=f"https://m.weibo.cn/status/{pid}", time_source="api", ad_signals=[],
            details={"created_at": published.strftime("%a %b %d %H:%M:%S +0800 %Y"), "time_precision": "second",
                     "truncated": False, "comments": {"closed": False, "limited": False, "source": "enable_comment_guide",
                                                      "permission_type": None, "approval_type": None,
                                                      "comment_guide": True, "count": k % 20}}))
    comments = [CommentItem(platform_post_id=posts[j % len(posts)].platform_post_id,
                            platform_comment_id=f"5011944919728{account_id:05d}{j:03d}", text="感谢发布，辛苦了",
                            user_id=f"70000{j:05d}", user_name=f"网友{j:04d}", by_account=False,
                            created_at=posts[j % len(posts)].published_at + timedelta(minutes=7 * j),
                            capture_ref=f"run/weibo-{account_id}.warc.gz#{999_000 + j}")
                for j in range(COMMENTS_PER_WEIBO)]
    profile = ProfileItem(account_id=account_id, observed_at=at, name=f"规模测试微博{account_id}", verified=True,
                          verified_type="1", verified_reason=f"规模测试单位{account_id}官方微博",
                          facts={"weibo_uid": f"{2_000_000_000 + account_id}", "statuses_count": 180,
                                 "followers_count": 8000 + account_id, "follow_count": 120,
                                 "description": f"规模测试微博{account_id}官方微博",
                                 "weibo_containerid": f"107603{2_000_000_000 + account_id}"})
    return ObservationItem(
        account_id=account_id, platform="weibo", kind="timeline", outcome="ok",
        url=f"https://m.weibo.cn/u/{2_000_000_000 + account_id}", observed_at=at, http_status=200,
        covered_from=posts[0].published_at, request_count=4, capture_ref=f"run/weibo-{account_id}.warc.gz#0",
        details={"profile": "ok", "pages": 3, "route": "m.weibo.cn", "stop": "reached covered span", "notes": [],
                 "uid": f"{2_000_000_000 + account_id}", "comment_requests": 2},
        seen_post_ids=[p.platform_post_id for p in posts], posts=posts, profile=profile, comments=comments)


def _wechat(account_id: int, at: datetime, again: bool) -> ObservationItem:
    posts = []
    for k in range(WECHAT_POSTS):
        published = at - timedelta(days=80) + timedelta(days=8 * k, minutes=account_id % 60)
        body = f"【防汛防台】{published:%m月%d日}，防汛防台相关信息发布。" + "各有关单位要切实做好防汛防台各项工作，确保人民群众生命财产安全。" * 30
        weaker = again and k == 2  # tonight only the feed's description: the stored body stays
        posts.append(PostItem(
            account_id=account_id, platform_post_id=f"MzI{account_id:06d}_2247{k:06d}_1", published_at=published,
            kind="original", title=body[:24], text=body[:120] if weaker else body,
            text_source="feed" if weaker else "js_content",
            text_capture=f"run/wechat-{account_id}.warc.gz#{5000 * k}",
            url=f"https://mp.weixin.qq.com/s?__biz=MzI{account_id:06d}&mid=2247{k:06d}&idx=1",
            time_source="article", ad_signals=[],
            details={"feed_date": published.isoformat(), "feed_date_field": "updated", "feed_kind": "wewe-rss",
                     "time_field": "ct", "biz": f"SCALE{account_id:08d}", "nickname": f"规模测试公众号{account_id}",
                     "user_name": f"gh_{account_id:012x}", "mid": f"2247{k:06d}", "idx": "1",
                     "sn": f"{account_id * 7919 + k:032x}", "author": f"规模测试公众号{account_id}",
                     "kind_evidence": "copyright_stat=1", "comments": {"closed": False, "source": "comment_enabled"}}))
    profile = ProfileItem(account_id=account_id, observed_at=at, name=f"规模测试公众号{account_id}", verified=True,
                          verified_type="0", verified_reason=f"规模测试单位{account_id}",
                          facts={"biz": f"SCALE{account_id:08d}", "user_name": f"gh_{account_id:012x}",
                                 "aboutbiz_checked_at": at.isoformat()})
    return ObservationItem(
        account_id=account_id, platform="wechat", kind="feed", outcome="ok",
        url=f"http://127.0.0.1:1/wewe-rss/feeds/MP_WXS_SCALE{account_id:08d}.atom", observed_at=at, http_status=200,
        covered_from=posts[0].published_at, request_count=12, capture_ref=f"run/wechat-{account_id}.warc.gz#0",
        details={"feed_kind": "wewe-rss", "feed_format": "atom", "generator": "WeWe-RSS", "feed_trusted": True,
                 "entries": WECHAT_POSTS, "new_articles": WECHAT_POSTS, "time_sources": {"article": WECHAT_POSTS},
                 "untimed": {}, "aboutbiz": "verified"},
        seen_post_ids=[p.platform_post_id for p in posts], posts=posts, profile=profile)


def _accounts(ids: list[int], at: datetime, again: bool) -> list[tuple]:
    out = []
    for i in ids:
        obs = _weibo(i, at, again) if i % 3 else _wechat(i, at, again)
        out.append((obs, list(obs.posts), obs.profile, []))  # as StoragePipeline._hand_over hands them
    return out


def _create(backend: str, workdir: Path):
    """The database URL and how to drop it afterwards (None for the SQLite file)."""
    if backend == "sqlite":
        url, drop = f"sqlite:///{workdir / 'store.db'}", None
    else:
        from run import _pg_database  # bench/run.py's throwaway PostgreSQL database

        url, drop = _pg_database()
    upgrade_to_head(url)
    return url, drop


def _dump(engine, path: Path) -> None:
    """Every stored row but ids and the clock-dependent created/updated stamps, in a stable order."""
    skip = {"id", "created_at", "updated_at", "started_at"}
    with engine.connect() as c, path.open("w", encoding="utf-8") as fh:
        for table in Base.metadata.sorted_tables:
            cols = [col for col in table.c if col.name not in skip]
            rows = [json.dumps([table.name, *[v.isoformat() if isinstance(v, datetime) else v for v in row]],
                               ensure_ascii=False, sort_keys=True, default=str)
                    for row in c.execute(select(*cols))]
            fh.writelines(sorted(r + "\n" for r in rows))


def measure(backend: str, n: int, workdir: Path, dump: Path | None, batch: int = BATCH) -> None:
    url, drop = _create(backend, workdir)
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            s.add_all(Account(id=i, name=f"规模测试账号{i}", platform="weibo" if i % 3 else "wechat",
                              host_unit=f"规模测试单位{i}", platform_id=str(2_000_000_000 + i)) for i in range(1, n + 1))
            run = Run(kind="crawl", at=NIGHT)
            s.add(run)
            s.flush()
            run_id = run.id
        if backend == "postgresql":
            with engine.begin() as c:
                c.execute(text("SELECT setval('accounts_id_seq', (SELECT max(id) FROM accounts))"))
        pipeline = StoragePipeline(url, run_id)
        for night, at in (("first", NIGHT - timedelta(days=1)), ("second", NIGHT)):
            accounts = _accounts(list(range(1, n + 1)), at, again=night == "second")
            posts = sum(len(a[0].posts) for a in accounts)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            for start in range(0, n, batch):
                with session_scope(engine) as s:
                    for account in accounts[start:start + batch]:
                        pipeline._apply(s, *account)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            print(json.dumps({"backend": backend, "night": night, "accounts": n, "batch": batch, "posts": posts,
                              "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
                              "cpu_us_per_account": round(cpu * 1e6 / n), "cpu_us_per_post": round(cpu * 1e6 / posts, 1)},
                             ensure_ascii=False), flush=True)
        if dump is not None:
            dump.mkdir(parents=True, exist_ok=True)
            _dump(engine, dump / f"{backend}.jsonl")
    finally:
        engine.dispose()
        if drop is not None:
            drop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    ap.add_argument("--batch", type=int, default=BATCH,
                    help=f"accounts per transaction (the crawl's writer commits up to {BATCH}, fewer when it keeps up)")
    ap.add_argument("--dump", type=Path, help="write the stored rows here (one JSON-lines file per backend)")
    args = ap.parse_args()
    for backend in args.backends:
        with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
            measure(backend, args.accounts, Path(tmp), args.dump, args.batch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
