"""Distributed mode on the real PostgreSQL and Redis: a shared account queue, N worker
processes, a worker killed with SIGKILL, per-run keys, concurrent upserts."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Event
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from sqlalchemy import func, select

from monitor.crawl import run_crawl
from monitor.cycle.stages import StageContext
from monitor.distributed import DistributedCrawlError, distributed_crawl, run_worker
from monitor.registry import UrlBases, read_registry, upsert_accounts
from monitor.sandbox.registry import write_scale_registry
from monitor.sandbox.scenario import ScaleScenario
from spiders.distributed import AccountQueue, RunKeys, enqueue, requeue_processing
from storage.models import Account, Observation, Post, Run
from storage.types import utcnow
from tests.fixtures.core import T, make_app

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

REDIS_URL = os.environ.get("MONITOR_TEST_REDIS", "redis://127.0.0.1:6379/0")
REPO = Path(__file__).resolve().parents[1]
TEST_SPIDERS = {"weibo": "dist_weibo", "wechat": "dist_wechat"}


@pytest.fixture
def redis_prefix():
    """A key prefix of our own, and every key under it removed afterwards."""
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not usable: {exc}")
    prefix = f"monitor-test-{uuid.uuid4().hex[:10]}"
    yield prefix
    keys = list(client.scan_iter(f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def posts_server():
    """Serves a scenario's posts as JSON, split in two halves (two requests per account).
    ``start(scenario, gate)``: with a ``threading.Event`` every answer waits until it is set,
    so a test can hold the crawl still at a state it chose."""
    servers = []

    def start(scenario, gate: Event | None = None):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if gate is not None:
                    gate.wait()
                parts = urlsplit(self.path)
                _, _, platform, account_id = parts.path.split("/")
                half = int(parse_qs(parts.query)["half"][0])
                acc = scenario.account(platform, account_id)
                if acc is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                body = json.dumps([{"id": p.id, "published_at": p.published_at.isoformat(),
                                    "kind": p.kind if p.kind in ("original", "repost") else "unknown",
                                    "text": (p.text or "")[:200]}
                                   for i, p in enumerate(acc.posts) if i % 2 == half]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def _import_scale(app, scenario, tmp_path, base) -> int:
    path = write_scale_registry(tmp_path / "scale.csv", scenario, base)
    parsed = read_registry(path, UrlBases.from_settings(app.settings))
    assert not parsed.invalid, [str(p) for p in parsed.invalid[:5]]
    with app.session() as s:
        upsert_accounts(s, parsed.records)
    return len(parsed.records)


def _crawl_ctx(app, at=T) -> StageContext:
    with app.session() as s:
        row = Run(kind="crawl", at=at, started_at=utcnow(), outcome="running")
        s.add(row)
        s.flush()
        run_id = row.id
    return StageContext(app, at, None, run_id=run_id)


def _settings(pg_url, tmp_path, prefix, **crawl):
    crawl = {"redis_url": REDIS_URL, "redis_prefix": prefix, "heartbeat_ttl": 3, "delay": 0,
             "concurrency": 16, "retries": 0, **crawl}
    return make_app(pg_url, tmp_path, crawl=crawl)


def _spider_settings(base):
    return {"SPIDER_MODULES": ["tests.distributed_spider"], "DIST_TEST_BASE": base,
            "DOWNLOADER_MIDDLEWARES": {}, "LOG_LEVEL": "INFO"}


def _observations_per_account(app, run_id) -> dict[int, int]:
    with app.session() as s:
        return dict(s.execute(select(Observation.account_id, func.count()).where(Observation.run_id == run_id)
                              .group_by(Observation.account_id)).all())


def _post_set(app) -> set[tuple]:
    with app.session() as s:
        return set(s.execute(select(Account.platform_id, Post.platform_post_id, Post.published_at)
                             .join(Account, Account.id == Post.account_id)).all())


def _start_worker(tmp_path, pg_url, prefix, n, extra_env: dict | None = None) -> tuple[subprocess.Popen, Path]:
    from tests.fixtures.cli_env import LOOPBACK_ENV

    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(LOOPBACK_ENV)
    env.update(extra_env or {})
    env.update(MONITOR_DATABASE_URL=pg_url, MONITOR_CRAWL__REDIS_URL=REDIS_URL, MONITOR_CRAWL__REDIS_PREFIX=prefix,
               MONITOR_CRAWL__HEARTBEAT_TTL="10", MONITOR_CRAWL__DELAY="0", MONITOR_CRAWL__CONCURRENCY="16",
               MONITOR_CRAWL__RETRIES="0", MONITOR_WARC_DIR=str(tmp_path / f"w{n}" / "warc"),
               PYTHONPATH=str(REPO))
    log = tmp_path / f"worker{n}.log"
    proc = subprocess.Popen([sys.executable, "-c", "from monitor.cli import main; main()", "worker", "--once"],
                            env=env, cwd=tmp_path, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    return proc, log


def _stop_workers(workers) -> None:
    """--once workers exit by themselves when the run is done; never leave one behind."""
    for proc, _ in workers:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _logs(tmp_path) -> str:
    out = []
    for p in sorted(tmp_path.rglob("*.log")):
        out.append(f"==== {p}\n" + p.read_text(errors="replace")[-3000:])
    return "\n".join(out)


class _Background:
    """distributed_crawl in a thread (it blocks until the workers are done)."""

    def __init__(self, fn, *args, **kwargs):
        self.result = self.error = None
        self.thread = threading.Thread(target=self._run, args=(fn, args, kwargs), daemon=True)
        self.thread.start()

    def _run(self, fn, args, kwargs):
        try:
            self.result = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the test thread
            self.error = exc

    def join(self, timeout):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "distributed crawl did not finish in time"
        if self.error:
            raise self.error
        return self.result


def _victim_keys(client, prefix: str, pid: int, kind: str) -> list[str]:
    """The worker ``pid``'s crawl child's keys of one kind (hb, processing)."""
    return [k for k in client.scan_iter(f"{prefix}:run:*:{kind}:*") if f":{pid}/" in k]


def _wait_for(condition, coord: "_Background", tmp_path, what: str):
    """Poll the crawl's own state (Redis, the database) until ``condition()``; no time margin,
    only a check that the coordinator is still alive (the test's timeout is the limit)."""
    while not condition():
        assert coord.thread.is_alive(), f"the crawl ended before {what}\n" + _logs(tmp_path)
        time.sleep(0.1)


def test_three_workers_one_killed_every_account_observed_once_and_posts_match_single_process(
        pg_url, sqlite_url, tmp_path, redis_prefix, posts_server):
    scenario = ScaleScenario(int(os.environ.get("DIST_N", "120")), T, seed=7)
    # The posts server answers only while the gate is open: the kill lands on a state the
    # test chose (every worker holding accounts, half the run stored), however slow the
    # machine and whichever worker started last.
    gate = Event()
    base = posts_server(scenario, gate)
    app = _settings(pg_url, tmp_path, redis_prefix)
    total = _import_scale(app, scenario, tmp_path, base)
    assert total == scenario.n
    ctx = _crawl_ctx(app)
    # Answers held at the gate must not time out, however long the other workers take to start.
    hold = {"MONITOR_CRAWL__TIMEOUT": "900"}
    workers = [_start_worker(tmp_path, pg_url, redis_prefix, n, hold) for n in range(3)]
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    victim, _ = workers[0]

    def holding(pid):
        return lambda: any(client.llen(k) for k in _victim_keys(client, redis_prefix, pid, "processing"))

    try:
        coord = _Background(distributed_crawl, ctx, TEST_SPIDERS, _spider_settings(base), poll=0.5)
        _wait_for(lambda: all(holding(p.pid)() for p, _ in workers), coord, tmp_path, "every worker took accounts")
        gate.set()
        _wait_for(lambda: sum(_observations_per_account(app, ctx.run_id).values()) >= total // 2, coord, tmp_path,
                  "half the accounts were stored")
        gate.clear()  # hold the run still: the victim keeps the accounts it has in flight
        _wait_for(holding(victim.pid), coord, tmp_path, "the victim held accounts")
        # Kill the victim and its crawl child with SIGKILL (a machine dying) while it holds them.
        children = [json.loads(client.get(k))["pid"] for k in _victim_keys(client, redis_prefix, victim.pid, "hb")]
        assert children, "the victim worker has no crawl child heartbeating"
        for pid in [victim.pid, *children]:
            os.kill(pid, signal.SIGKILL)
        gate.set()
        counts = coord.join(800)  # a hang guard only: the test's own timeout is the limit
    finally:
        gate.set()
        _stop_workers(workers)
    per_account = _observations_per_account(app, ctx.run_id)
    assert len(per_account) == total, _logs(tmp_path)
    assert set(per_account.values()) == {1}, {a: n for a, n in per_account.items() if n != 1}
    assert counts["observations"] == total and counts["observations_ok"] == total
    assert counts["workers"] == 3 and counts["unobserved"] == 0
    assert counts["requeued"] >= 1  # the victim's in-flight accounts went to the others
    assert [p.returncode for p, _ in workers[1:]] == [0, 0]

    # The same scenario crawled by one local process stores exactly the same posts.
    single = make_app(sqlite_url, tmp_path / "single", crawl={"delay": 0, "concurrency": 16})
    _import_scale(single, scenario, tmp_path, base)
    result = run_crawl(single, T, ["dist_weibo", "dist_wechat"], extra=_spider_settings(base))
    assert result.ok, result.log_path.read_text()[-3000:]
    assert _post_set(app) == _post_set(single)
    assert len(_post_set(app)) > 10 * total


def test_queue_hands_each_account_to_one_worker_and_requeues_a_dead_workers_accounts(redis_prefix):
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    keys = RunKeys(f"{redis_prefix}:run:1-abc")
    enqueue(client, keys, "weibo", [1, 2, 3], ttl=60)
    a = AccountQueue(client, keys, "weibo", "host:1/1", ttl=60)
    b = AccountQueue(client, keys, "weibo", "host:2/1", ttl=60)
    assert [a.take(), b.take(), a.take(), b.take()] == [1, 2, 3, None]
    a.ack(1)
    assert a.in_flight() == [3] and b.in_flight() == [2]
    # Worker a dies holding account 3: it goes back, counted, and b gets it.
    assert requeue_processing(client, keys, a.processing_key, max_attempts=2, ttl=60) == (1, 0)
    assert b.take() == 3
    # Handed out max_attempts times: given up instead of killing worker after worker.
    assert requeue_processing(client, keys, b.processing_key, max_attempts=2, ttl=60) == (1, 1)
    assert client.lrange(keys.queue("weibo"), 0, -1) == ["2"]
    assert 0 < client.ttl(keys.queue("weibo")) <= 60 and 0 < client.ttl(keys.attempts) <= 60


def _serve_in_thread(app, once=True):
    stop = Event()
    t = threading.Thread(target=run_worker, args=(app, stop), kwargs={"once": once, "poll": 0.2}, daemon=True)
    t.start()
    return stop, t


def test_second_run_is_not_suppressed_by_first_runs_fingerprints_and_old_keys_expire(
        pg_url, tmp_path, redis_prefix, posts_server):
    scenario = ScaleScenario(30, T, seed=3)
    base = posts_server(scenario)
    app = _settings(pg_url, tmp_path, redis_prefix, redis_key_ttl="1h")
    _import_scale(app, scenario, tmp_path, base)
    # Keep the fingerprints after each crawl (as a killed worker would): they must not leak.
    extra = {**_spider_settings(base), "SCHEDULER_PERSIST": True}
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    for at in (T, T + timedelta(days=1)):
        ctx = _crawl_ctx(app, at)
        stop, t = _serve_in_thread(app)
        try:
            counts = _Background(distributed_crawl, ctx, TEST_SPIDERS, extra, poll=0.2).join(600)
        finally:
            stop.set()
            t.join(30)
        per_account = _observations_per_account(app, ctx.run_id)
        assert len(per_account) == 30 and set(per_account.values()) == {1}, _logs(tmp_path)
        assert counts["observations_ok"] == 30
    fingerprints = list(client.scan_iter(f"{redis_prefix}:run:*:dupefilter:*"))
    assert {k.split(":run:")[1].split(":")[0] for k in fingerprints}.__len__() == 2  # one set per run
    # -2 or 0: a short-lived heartbeat key expired (or is in its last second) between SCAN
    # and TTL; -1 (no expiry) is the bug.
    ttls = {k: t for k in client.scan_iter(f"{redis_prefix}:*") if (t := client.ttl(k)) != -2}
    assert ttls and all(0 <= ttl <= 3600 for ttl in ttls.values()), {k: t for k, t in ttls.items() if not 0 <= t <= 3600}


def _upsert_worker(pg_url, account_id, rounds, barrier, errors):
    from spiders.items import ObservationItem, PostItem
    from spiders.pipelines import StoragePipeline

    pipe = StoragePipeline(pg_url, None)
    pipe.open_spider()
    try:
        barrier.wait()
        for r in range(rounds):
            for i in range(200):
                pipe.process_item(PostItem(account_id=account_id, platform_post_id=f"p{i}",
                                           published_at=T - timedelta(hours=i), kind="original", text=f"r{r}"))
            pipe.process_item(ObservationItem(account_id=account_id, platform="weibo", kind="timeline", outcome="ok",
                                              url="http://127.0.0.1/x", observed_at=T))
    except Exception as exc:  # reported to the test
        errors.put(f"{type(exc).__name__}: {exc}")
    finally:
        pipe.close_spider()


def test_two_workers_upserting_the_same_posts_on_postgresql_never_duplicate(pg_url):
    import multiprocessing as mp

    from storage.db import make_engine, session_scope

    engine = make_engine(pg_url)
    with session_scope(engine) as s:
        acc = Account(name="并发测试", platform="weibo", host_unit="测试单位", platform_id="2999999999")
        s.add(acc)
        s.flush()
        account_id = acc.id
    ctx = mp.get_context("spawn")
    barrier, errors = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_upsert_worker, args=(pg_url, account_id, 15, barrier, errors)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(600)
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert not problems and [p.exitcode for p in procs] == [0, 0], problems
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 200
        assert s.scalar(select(func.count(func.distinct(Post.platform_post_id)))) == 200
        assert s.scalar(select(func.count()).select_from(Observation)) == 30
    engine.dispose()


def test_redis_unreachable_fails_the_stage_with_a_clear_message(pg_url, tmp_path, redis_prefix, posts_server):
    scenario = ScaleScenario(3, T, seed=1)
    app = make_app(pg_url, tmp_path, crawl={"redis_url": "redis://:secret@127.0.0.1:1/0", "redis_prefix": redis_prefix,
                                            "redis_patience": 1})
    _import_scale(app, scenario, tmp_path, posts_server(scenario))
    with pytest.raises(DistributedCrawlError) as err:
        distributed_crawl(_crawl_ctx(app), TEST_SPIDERS)
    msg = str(err.value)
    assert "127.0.0.1:1" in msg and "not reachable" in msg and "secret" not in msg


def test_worker_command_refuses_to_start_without_redis(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["PYTHONPATH"] = str(REPO)
    out = subprocess.run([sys.executable, "-c", "from monitor.cli import main; main()", "worker", "--once"],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "redis_url" in out.stderr


def test_real_spiders_on_three_workers_match_a_single_process_crawl(
        pg_url, sqlite_url, tmp_path, redis_prefix, sandbox_factory):
    """The production spiders (Weibo with its browser-made visitor cookies, WeChat with its
    shared per-account state) through the shared queue: every account observed once, and
    the same posts as one local process stores."""
    from tests.fixtures.cli_env import flatten_env

    scenario = ScaleScenario(90, T, seed=9)
    srv = sandbox_factory(scenario)
    srv.world.state["weibo"].rate_limit = 10**9  # throughput, not politeness, is under test
    platforms = srv.config_overrides()
    app = make_app(pg_url, tmp_path, crawl={"redis_url": REDIS_URL, "redis_prefix": redis_prefix,
                                            "heartbeat_ttl": 5, "delay": 0, "concurrency": 16}, **platforms)
    total = _import_scale(app, scenario, tmp_path, srv.url)
    ctx = _crawl_ctx(app)
    workers = [_start_worker(tmp_path, pg_url, redis_prefix, n, flatten_env(platforms)) for n in range(3)]
    try:
        counts = _Background(distributed_crawl, ctx, poll=0.5).join(800)
    finally:
        _stop_workers(workers)
    per_account = _observations_per_account(app, ctx.run_id)
    assert len(per_account) == total and set(per_account.values()) == {1}, _logs(tmp_path)
    assert counts["observations_ok"] == total, (counts, _logs(tmp_path))

    single = make_app(sqlite_url, tmp_path / "single", crawl={"delay": 0, "concurrency": 16}, **platforms)
    _import_scale(single, scenario, tmp_path, srv.url)
    result = run_crawl(single, T, ["weibo", "wechat"])
    assert result.ok, result.log_path.read_text()[-3000:]
    assert _post_set(app) == _post_set(single)
    assert len(_post_set(app)) > 10 * total


def test_a_drained_run_waits_for_live_crawls_before_it_calls_an_account_missing(pg_url, tmp_path, redis_prefix):
    """An account leaves the worker's processing list when its observation is handed to the
    writer, which commits in batches: while that crawl still heartbeats, the account is not
    missing yet (re-queuing it then crawled it twice). Once no crawl of the run is alive, an
    account still without an observation is re-queued."""
    from monitor.distributed.coordinator import Coordinator, _wait

    app = _settings(pg_url, tmp_path, redis_prefix)
    with app.session() as s:
        accounts = [Account(name=f"政务号{n}", platform="weibo", host_unit="测试单位", platform_id=str(100 + n))
                    for n in range(2)]
        s.add_all(accounts)
        s.flush()
        ids = [a.id for a in accounts]
    ctx = _crawl_ctx(app)
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    keys = RunKeys(f"{redis_prefix}:run:{ctx.run_id}-t")
    coord = Coordinator(client, keys, redis_prefix, ctx.run_id, T, {"dist_weibo": ids}, 60, 3)
    coord.publish()
    queue = AccountQueue(client, keys, "dist_weibo", "w1/child", 60)
    for _ in ids:  # taken and acknowledged: handed to a writer that has not committed yet
        queue.ack(queue.take())
    client.set(keys.heartbeat("w1/child"), "{}", ex=600)
    polls: list[int] = []
    backlog = coord.backlog
    coord.backlog = lambda: (polls.append(1), backlog())[1]
    result: dict = {}
    waiter = threading.Thread(target=lambda: result.update(left=_wait(app, ctx, coord, 120, 0.05, REDIS_URL)))
    waiter.start()
    try:
        deadline = time.monotonic() + 60
        while len(polls) < 5 and time.monotonic() < deadline:  # the coordinator looked, more than once
            time.sleep(0.05)
        assert len(polls) >= 5
        assert client.llen(keys.queue("dist_weibo")) == 0 and coord.requeued == 0
        with app.session() as s:  # the writer commits the first account
            s.add(Observation(account_id=ids[0], run_id=ctx.run_id, platform="weibo", kind="timeline",
                              outcome="ok", observed_at=T))
        client.delete(keys.heartbeat("w1/child"))  # the crawl closes: the second one is missing for real
        deadline = time.monotonic() + 60
        while coord.requeued == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert coord.requeued == 1
        assert [int(v) for v in client.lrange(keys.queue("dist_weibo"), 0, -1)] == [ids[1]]
    finally:
        with app.session() as s:
            s.add(Observation(account_id=ids[1], run_id=ctx.run_id, platform="weibo", kind="timeline",
                              outcome="ok", observed_at=T))
        client.delete(keys.queue("dist_weibo"))
        waiter.join(30)
    assert result["left"] == set()
    assert _observations_per_account(app, ctx.run_id) == {ids[0]: 1, ids[1]: 1}
