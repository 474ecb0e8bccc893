"""The scheduler's side of a distributed crawl: enqueue the night's accounts, publish the
run, wait for the workers, re-queue what dead workers left behind.

The database is the truth: the run is complete when every enqueued account has an
Observation for this crawl stage's Run row (or has been given up after ``max_attempts``).
Redis only hands the work out, so losing Redis' data (a restart without persistence) costs
a re-enqueue of the accounts not yet observed, nothing more.
"""
from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from sqlalchemy import func, select

from monitor.config import parse_duration
from spiders.distributed import (
    RunKeys,
    connect,
    current_key,
    enqueue,
    failed_key,
    requeue_processing,
    split_processing_key,
)
from storage.models import Account, Observation
from storage.types import utcnow

log = logging.getLogger("monitor.distributed")


class DistributedCrawlError(RuntimeError):
    """The distributed crawl as a whole failed (Redis gone, deadline passed, stop asked)."""


def safe_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        parts = parts._replace(netloc=f"{parts.username or ''}:********@{host}")
    return urlunsplit(parts)


@dataclass
class Coordinator:
    """One distributed crawl run, from the scheduler's side."""

    client: redis.Redis
    keys: RunKeys
    prefix: str
    run_id: int | None
    at: Any
    expected: dict[str, list[int]]  # spider → account ids
    key_ttl: int
    max_attempts: int
    scrapy_settings: dict[str, Any] = field(default_factory=dict)
    workers_seen: set[str] = field(default_factory=set)
    requeued: int = 0
    republished: int = 0

    def descriptor(self, status: str) -> dict[str, Any]:
        # What a worker needs to join; no secrets: workers read their own config.
        return {"run_key": self.keys.run_key, "run_id": self.run_id, "at": self.at.isoformat(),
                "spiders": sorted(self.expected), "scrapy_settings": self.scrapy_settings,
                "status": status, "updated_at": utcnow().isoformat()}

    def publish(self, accounts: dict[str, list[int]] | None = None) -> int:
        """Enqueue accounts (all expected ones by default), then announce the run."""
        n = sum(enqueue(self.client, self.keys, spider, ids, self.key_ttl)
                for spider, ids in (accounts if accounts is not None else self.expected).items())
        self.client.set(self.keys.descriptor, json.dumps(self.descriptor("running")), ex=self.key_ttl)
        self.client.set(current_key(self.prefix), self.keys.run_key, ex=self.key_ttl)
        return n

    def finish(self, status: str = "done") -> None:
        self.client.set(self.keys.descriptor, json.dumps(self.descriptor(status)), ex=self.key_ttl)
        # Only clear the pointer if it is still ours (compare-and-delete in one step).
        self.client.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end "
                         "return 0", 1, current_key(self.prefix), self.keys.run_key)

    def live_workers(self) -> set[str]:
        prefix = self.keys.heartbeat("")
        return {k[len(prefix):] for k in self.client.scan_iter(self.keys.heartbeat_pattern, count=1000)}

    def reap_dead(self, live: set[str]) -> int:
        """Accounts held by workers whose heartbeat expired go back to the queue."""
        moved = 0
        for key in list(self.client.scan_iter(self.keys.processing_pattern, count=1000)):
            spider, worker = split_processing_key(self.keys, key)
            if worker in live:
                continue
            requeued, given_up = requeue_processing(self.client, self.keys, key, self.max_attempts, self.key_ttl)
            if requeued or given_up:
                log.warning("worker %s stopped heartbeating: %d %s account(s) re-queued, %d given up",
                            worker, requeued, spider, given_up)
            moved += requeued
        return moved

    def backlog(self) -> tuple[int, int]:
        """(queued, in flight) over all spiders of the run."""
        queued = sum(self.client.llen(self.keys.queue(s)) for s in self.expected)
        in_flight = sum(self.client.llen(k) for k in self.client.scan_iter(self.keys.processing_pattern, count=1000))
        return queued, in_flight

    def given_up(self) -> dict[str, set[int]]:
        return {s: {int(v) for v in self.client.smembers(failed_key(self.keys, s))} for s in self.expected}

    def refresh(self) -> None:
        pipe = self.client.pipeline()
        for key in (self.keys.descriptor, self.keys.attempts, current_key(self.prefix),
                    *(self.keys.queue(s) for s in self.expected)):
            pipe.expire(key, self.key_ttl)
        pipe.execute()

    def requeue_unobserved(self, missing: dict[str, list[int]]) -> tuple[int, int]:
        """The safety net: accounts with no observation although nobody holds them."""
        again: dict[str, list[int]] = {}
        dropped = 0
        for spider, ids in missing.items():
            for account_id in ids:
                attempts = self.client.hincrby(self.keys.attempts, f"{spider}:{account_id}", 1)
                if attempts >= self.max_attempts:
                    self.client.sadd(failed_key(self.keys, spider), account_id)
                    dropped += 1
                else:
                    again.setdefault(spider, []).append(account_id)
        n = sum(enqueue(self.client, self.keys, s, ids, self.key_ttl) for s, ids in again.items())
        return n, dropped


def _expected_accounts(app, spider_for_platform: dict[str, str], only: list[int] | None = None,
                       order: list[int] | None = None) -> dict[str, list[int]]:
    """Spider → its accounts, queued in the night plan's ``order`` (most urgent first; the
    queue is first in, first out), the rest by id."""
    keep = set(only) if only is not None else None
    with app.session() as s:
        rows = s.execute(select(Account.id, Account.platform).where(Account.lifecycle != "注销")
                         .order_by(Account.id)).all()
    out: dict[str, list[int]] = {}
    for account_id, platform in rows:
        if platform in spider_for_platform and (keep is None or account_id in keep):
            out.setdefault(spider_for_platform[platform], []).append(account_id)
    if order:
        rank = {a: i for i, a in enumerate(order)}
        for ids in out.values():
            ids.sort(key=lambda a: (rank.get(a, len(rank)), a))
    return out


def _observed(app, run_id: int | None) -> set[int]:
    with app.session() as s:
        return set(s.scalars(select(Observation.account_id).where(Observation.run_id == run_id).distinct()))


def _missing(expected: dict[str, list[int]], observed: set[int], given_up: dict[str, set[int]]) -> dict[str, list[int]]:
    out = {}
    for spider, ids in expected.items():
        left = [i for i in ids if i not in observed and i not in given_up.get(spider, set())]
        if left:
            out[spider] = left
    return out


def distributed_crawl(ctx, spider_for_platform: dict[str, str] | None = None,
                      scrapy_settings: dict[str, Any] | None = None, poll: float = 1.0,
                      account_ids: list[int] | None = None, order: list[int] | None = None) -> dict[str, Any]:
    """The crawl stage in distributed mode (``[crawl] redis_url`` set): enqueue the night's
    active accounts, wait for ``monitor worker`` processes to observe them, return counts.

    ``spider_for_platform`` and ``scrapy_settings`` (extra, non-secret Scrapy settings every
    worker applies, e.g. SPIDER_MODULES) exist for other spider sets and for tests.
    Raises DistributedCrawlError when the stage as a whole fails.
    """
    from monitor.cycle.stages import SPIDER_FOR_PLATFORM

    app = ctx.app
    c = app.settings.crawl
    # ``account_ids``: the night's plan (None: every active account).
    expected = _expected_accounts(app, spider_for_platform or SPIDER_FOR_PLATFORM, account_ids, order)
    if not expected:
        return {"spiders": 0, "observations": 0}
    url = safe_url(c.redis_url)
    try:
        client = connect(c.redis_url, c.redis_patience)
        client.ping()
    except redis.RedisError as exc:
        raise DistributedCrawlError(f"Redis at {url} is not reachable ({exc}); no account was crawled") from exc
    keys = RunKeys(f"{c.redis_prefix}:run:{ctx.run_id}-{secrets.token_hex(3)}")
    coord = Coordinator(client, keys, c.redis_prefix, ctx.run_id, ctx.at, expected,
                        int(parse_duration(c.redis_key_ttl).total_seconds()), c.max_attempts,
                        dict(scrapy_settings or {}))
    total = sum(len(v) for v in expected.values())
    started = time.monotonic()
    try:
        coord.publish()
        log.info("run %s published: %d account(s) for %s", keys.run_key, total, ", ".join(sorted(expected)))
        unobserved = _wait(app, ctx, coord, c.child_timeout, poll, url)
        coord.finish("done")
    except redis.RedisError as exc:
        raise DistributedCrawlError(
            f"Redis at {url} stayed unreachable for more than {c.redis_patience:.0f}s during run "
            f"{keys.run_key} ({type(exc).__name__}: {exc}); accounts observed so far are stored, "
            f"re-run the crawl to finish the rest") from exc
    except BaseException:
        try:
            coord.finish("failed")
        except redis.RedisError:
            pass
        raise
    with app.session() as s:
        rows = s.execute(select(Observation.outcome, func.count()).where(Observation.run_id == ctx.run_id)
                         .group_by(Observation.outcome)).all()
    counts: dict[str, Any] = {f"observations_{o}": n for o, n in rows}
    counts.update(observations=sum(n for _, n in rows), spiders=len(expected), accounts=total,
                  workers=len({w.split("/", 1)[0] for w in coord.workers_seen}), requeued=coord.requeued,
                  unobserved=len(unobserved), seconds=round(time.monotonic() - started, 1))
    if coord.republished:
        counts["redis_data_lost"] = coord.republished
    if unobserved:
        log.error("%d account(s) could not be observed after %d attempts: %s", len(unobserved),
                  c.max_attempts, sorted(unobserved)[:50])
    if not counts["observations"]:
        raise DistributedCrawlError(f"no account was observed in run {keys.run_key} ({total} enqueued)")
    return counts


def _wait(app, ctx, coord: Coordinator, timeout: float, poll: float, url: str) -> set[int]:
    deadline = time.monotonic() + timeout
    last_report = 0.0
    while True:
        if ctx.stop.is_set():
            raise DistributedCrawlError(f"stopped while waiting for the workers of run {coord.keys.run_key}")
        if not coord.client.exists(coord.keys.descriptor):
            # Redis came back without our keys (restart without persistence): the database
            # says what is left, so enqueue that again.
            left = _missing(coord.expected, _observed(app, ctx.run_id), {})
            n = coord.publish(left)
            coord.republished += 1
            log.error("Redis at %s lost run %s: re-published with the %d account(s) not yet observed",
                      url, coord.keys.run_key, n)
        live = coord.live_workers()
        coord.workers_seen |= live
        coord.requeued += coord.reap_dead(live)
        queued, in_flight = coord.backlog()
        if queued == 0 and in_flight == 0:
            given_up = coord.given_up()
            observed = _observed(app, ctx.run_id)
            missing = _missing(coord.expected, observed, given_up)
            if not missing:
                return set().union(*given_up.values()) - observed
            if not live:
                n, dropped = coord.requeue_unobserved(missing)
                coord.requeued += n
                log.warning("queue drained but %d account(s) have no observation: %d re-queued, %d given up",
                            n + dropped, n, dropped)
                continue
            # A crawl still heartbeating may not have committed what it acknowledged: its
            # writer stores accounts in batches after they leave the processing list. Those
            # are missing only once it has closed (its writer flushes) or died, else they
            # would be crawled twice.
        now = time.monotonic()
        if now - last_report > 30:
            log.info("run %s: %d queued, %d in flight, %d live worker(s)", coord.keys.run_key, queued, in_flight, len(live))
            last_report = now
        if now > deadline:
            raise DistributedCrawlError(
                f"run {coord.keys.run_key} not finished after {timeout:.0f}s: {queued} account(s) queued, "
                f"{in_flight} in flight, {len(live)} live worker(s) — are `monitor worker` processes running "
                f"against {url}?")
        coord.refresh()
        ctx.stop.wait(poll)
