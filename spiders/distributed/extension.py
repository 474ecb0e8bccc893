"""The Scrapy side of a distributed worker: heartbeat, acknowledgement, hand-back.

Enabled only in distributed mode (``MONITOR_REDIS_URL`` and ``MONITOR_RUN_KEY`` set).
The heartbeat runs in the reactor on purpose: a crawl whose reactor is stuck stops
heartbeating and its accounts go to another worker.
"""
from __future__ import annotations

import json
import logging
import os
import socket

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from spiders.distributed.keys import RunKeys
from spiders.distributed.queue import DEFAULT_MAX_ATTEMPTS, AccountQueue, connect
from spiders.items import ObservationItem

log = logging.getLogger(__name__)


def distributed_settings(settings) -> tuple[str, str] | None:
    """(redis_url, run_key) when this crawl takes its accounts from a shared queue."""
    url, run_key = settings.get("MONITOR_REDIS_URL"), settings.get("MONITOR_RUN_KEY")
    return (url, run_key) if url and run_key else None


def worker_id(settings) -> str:
    return settings.get("MONITOR_WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}"


def account_queue(settings, spider_name: str) -> AccountQueue:
    url, run_key = distributed_settings(settings)
    return AccountQueue(connect(url, settings.getfloat("MONITOR_REDIS_PATIENCE", 60.0)), RunKeys(run_key),
                        spider_name, worker_id(settings), settings.getint("MONITOR_REDIS_KEY_TTL", 172800))


class DistributedWorkerExtension:
    def __init__(self, crawler):
        s = crawler.settings
        if not distributed_settings(s):
            raise NotConfigured("not a distributed crawl")
        self.crawler = crawler
        self.settings = s
        self.hb_ttl = max(2, s.getint("MONITOR_HEARTBEAT_TTL", 30))
        self.max_attempts = s.getint("MONITOR_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)
        self.queue: AccountQueue | None = None
        self.loop: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def spider_opened(self, spider):
        self.queue = account_queue(self.settings, spider.name)
        self.beat()  # before the first account is taken
        self.loop = task.LoopingCall(self.beat)
        self.loop.start(max(0.5, self.hb_ttl / 4), now=False)

    def beat(self):
        q = self.queue
        try:
            pipe = q.r.pipeline()
            pipe.set(q.keys.heartbeat(q.worker), json.dumps({"pid": os.getpid(), "host": socket.gethostname()}),
                     ex=self.hb_ttl)
            for key in q.keys.worker_keys(q.spider, q.worker):
                pipe.expire(key, q.ttl)
            pipe.execute()
        except Exception as exc:  # Redis away: the queue client retries; never kill the crawl here
            log.warning("heartbeat to Redis failed: %s", exc)

    def item_scraped(self, item, response, spider):
        # item_scraped fires once every pipeline accepted the item. The storage pipeline has
        # handed it to the crawl's writer then, which commits in batches a moment later: the
        # coordinator therefore calls an acknowledged account missing only once no crawl of
        # the run heartbeats (monitor/distributed/coordinator.py), and a writer that died
        # with its batch leaves accounts that its database check queues again.
        if isinstance(item, ObservationItem) and self.queue is not None:
            try:
                self.queue.ack(item.account_id)
            except Exception as exc:  # the coordinator checks the database anyway
                log.warning("could not acknowledge account %s: %s", item.account_id, exc)

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.queue is None:
            return
        self.beat()  # last TTL refresh: keys created since the previous beat expire with the run too
        try:
            requeued, given_up = self.queue.give_back(self.max_attempts)
            if requeued or given_up:
                log.warning("handed back %d unfinished account(s) (%d given up) at close (%s)",
                            requeued, given_up, reason)
        except Exception as exc:
            log.error("could not hand back unfinished accounts (the coordinator will, once the heartbeat "
                      "expires): %s", exc)
