"""The shared account queue of a distributed run (Redis lists).

A worker takes an account with LMOVE from the spider's run queue into its own processing
list, and removes it from there only after the account's observation is stored. A worker
that dies leaves its accounts in its processing list; whoever notices its heartbeat is
gone moves them back (``requeue_processing``), a bounded number of times per account.
"""
from __future__ import annotations

import logging
from typing import Iterable

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from spiders.distributed.keys import RunKeys

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 3


def connect(url: str, patience: float = 60.0) -> redis.Redis:
    """A client that rides out a Redis restart of up to about ``patience`` seconds
    (exponential backoff, capped at 5 s), then raises ConnectionError."""
    backoff = ExponentialBackoff(cap=5.0, base=0.25)
    waited, retries = 0.0, 0
    while waited < patience:
        retries += 1
        waited += backoff.compute(retries)
    return redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5, socket_timeout=30,
                                retry=Retry(backoff, retries), health_check_interval=15)


class AccountQueue:
    """One worker's view of one spider's queue in one run."""

    def __init__(self, client: redis.Redis, keys: RunKeys, spider: str, worker: str, ttl: int):
        self.r = client
        self.keys = keys
        self.spider = spider
        self.worker = worker
        self.ttl = ttl
        self.queue_key = keys.queue(spider)
        self.processing_key = keys.processing(spider, worker)

    def take(self) -> int | None:
        """The next account id, now owned by this worker; None when the queue is empty."""
        value = self.r.lmove(self.queue_key, self.processing_key, "LEFT", "RIGHT")
        if value is None:
            return None
        self.r.expire(self.processing_key, self.ttl)
        return int(value)

    def ack(self, account_id: int) -> None:
        """The account's observation is stored: it is no longer this worker's to finish."""
        self.r.lrem(self.processing_key, 1, str(account_id))

    def in_flight(self) -> list[int]:
        return [int(v) for v in self.r.lrange(self.processing_key, 0, -1)]

    def give_back(self, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> tuple[int, int]:
        """Put this worker's unfinished accounts back for another worker (at shutdown)."""
        return requeue_processing(self.r, self.keys, self.processing_key, max_attempts, self.ttl)


def enqueue(client: redis.Redis, keys: RunKeys, spider: str, account_ids: Iterable[int], ttl: int) -> int:
    ids = [str(i) for i in account_ids]
    if not ids:
        return 0
    pipe = client.pipeline()
    for start in range(0, len(ids), 1000):
        pipe.rpush(keys.queue(spider), *ids[start:start + 1000])
    pipe.expire(keys.queue(spider), ttl)
    pipe.execute()
    return len(ids)


def split_processing_key(keys: RunKeys, key: str) -> tuple[str, str]:
    """``{run}:processing:{spider}:{worker}`` → (spider, worker); worker ids contain colons."""
    rest = key[len(keys.run_key) + len(":processing:"):]
    spider, worker = rest.split(":", 1)
    return spider, worker


def requeue_processing(client: redis.Redis, keys: RunKeys, processing_key: str,
                       max_attempts: int = DEFAULT_MAX_ATTEMPTS, ttl: int | None = None) -> tuple[int, int]:
    """Move every account of a processing list back to the front of its queue.

    Returns (requeued, given_up): an account that has already been handed out
    ``max_attempts`` times is dropped and recorded in the run's ``failed`` set instead of
    killing worker after worker.
    """
    spider, _ = split_processing_key(keys, processing_key)
    queue_key = keys.queue(spider)
    requeued = given_up = 0
    while True:
        # One atomic move per account: a crash here loses nothing.
        value = client.lmove(processing_key, queue_key, "RIGHT", "LEFT")
        if value is None:
            break
        attempts = client.hincrby(keys.attempts, f"{spider}:{value}", 1)
        if attempts >= max_attempts:
            client.lrem(queue_key, 1, value)
            client.sadd(failed_key(keys, spider), value)
            given_up += 1
            log.error("account %s (%s) given up after %d attempts in run %s", value, spider, attempts, keys.run_key)
        else:
            requeued += 1
    if ttl:
        for k in (queue_key, keys.attempts, failed_key(keys, spider)):
            client.expire(k, ttl)
    return requeued, given_up


def failed_key(keys: RunKeys, spider: str) -> str:
    return f"{keys.run_key}:failed:{spider}"
