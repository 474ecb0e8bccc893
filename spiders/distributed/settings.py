"""Scrapy settings that turn a crawl into one worker of a distributed run."""
from __future__ import annotations

from typing import Any

from spiders.distributed.keys import RunKeys


def worker_scrapy_settings(redis_url: str, run_key: str, worker: str, *, key_ttl: int,
                           heartbeat_ttl: int, max_attempts: int, patience: float = 60.0) -> dict[str, Any]:
    keys = RunKeys(run_key)
    return {
        "MONITOR_REDIS_URL": redis_url,
        "MONITOR_RUN_KEY": run_key,
        "MONITOR_WORKER_ID": worker,
        "MONITOR_REDIS_KEY_TTL": key_ttl,
        "MONITOR_HEARTBEAT_TTL": heartbeat_ttl,
        "MONITOR_MAX_ATTEMPTS": max_attempts,
        "MONITOR_REDIS_PATIENCE": patience,
        # scrapy-redis: requests and fingerprints live in Redis under this run's keys.
        "REDIS_URL": redis_url,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_KEY": keys.scheduler_queue(worker),
        "SCHEDULER_DUPEFILTER_KEY": keys.dupefilter(worker),
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_SERIALIZER": "spiders.distributed.serializer",
        # Flushed when the crawl ends; a killed worker's keys expire with the run.
        "SCHEDULER_PERSIST": False,
        "EXTENSIONS": {"spiders.distributed.extension.DistributedWorkerExtension": 500},
    }
