"""``monitor worker``: a crawl worker that joins whatever run the scheduler publishes.

The worker itself never crawls: for each run it starts the usual crawl child process
(``monitor.crawl.run_crawl``) with the distributed Scrapy settings, so a leaking or hung
crawl dies alone, exactly as in local mode. The child heartbeats and acknowledges
accounts itself; this loop heartbeats the worker (for operators), starts a child whenever
the run's queue has accounts, and forwards SIGTERM to it.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
from datetime import datetime
from pathlib import Path
from threading import Event

import redis

from monitor.app import App
from monitor.config import parse_duration
from monitor.crawl import run_crawl
from monitor.distributed.coordinator import safe_url
from spiders.distributed import RunKeys, connect, current_key, worker_key, worker_scrapy_settings

log = logging.getLogger("monitor.worker")


class Worker:
    def __init__(self, app: App, stop: Event, poll: float = 1.0):
        c = app.settings.crawl
        if not c.redis_url:
            raise ValueError("[crawl] redis_url is not set (MONITOR_CRAWL__REDIS_URL): a worker needs the shared queue")
        self.app = app
        self.stop = stop
        self.poll = poll
        self.c = c
        self.url = safe_url(c.redis_url)
        self.client = connect(c.redis_url, c.redis_patience)
        self.id = f"{socket.gethostname()}:{os.getpid()}"
        self.key_ttl = int(parse_duration(c.redis_key_ttl).total_seconds())
        self.children = 0
        self.state = "idle"
        self.run_key: str | None = None

    def beat(self) -> None:
        self.client.set(worker_key(self.c.redis_prefix, self.id),
                        json.dumps({"state": self.state, "run": self.run_key, "children": self.children}),
                        ex=max(2, self.c.heartbeat_ttl))

    def current_run(self) -> dict | None:
        run_key = self.client.get(current_key(self.c.redis_prefix))
        raw = self.client.get(RunKeys(run_key).descriptor) if run_key else None
        return json.loads(raw) if raw else None

    def queued(self, desc: dict) -> int:
        keys = RunKeys(desc["run_key"])
        return sum(self.client.llen(keys.queue(s)) for s in desc["spiders"])

    def finished(self, run_key: str) -> bool:
        """Our run is over when the scheduler marked it done or moved on to another run."""
        raw = self.client.get(RunKeys(run_key).descriptor)
        if raw and json.loads(raw).get("status") != "running":
            return True
        current = self.client.get(current_key(self.c.redis_prefix))
        return current is not None and current != run_key

    def crawl(self, desc: dict) -> int:
        """One crawl child over the run's queue; returns its exit code."""
        self.children += 1
        child_id = f"{self.id}/{self.children}"
        extra = worker_scrapy_settings(self.c.redis_url, desc["run_key"], child_id, key_ttl=self.key_ttl,
                                       heartbeat_ttl=self.c.heartbeat_ttl, max_attempts=self.c.max_attempts,
                                       patience=self.c.redis_patience)
        extra.update(desc.get("scrapy_settings") or {})  # the scheduler's extras (SPIDER_MODULES …)
        at = datetime.fromisoformat(desc["at"])
        logs = Path(self.app.settings.warc_dir).parent / "logs"
        log_path = logs / f"worker-{self.id.replace(':', '-')}-run{desc['run_id']}-{self.children}.log"
        result: dict = {}

        def target():
            result["r"] = run_crawl(self.app, at, desc["spiders"], run_id=desc["run_id"], extra=extra,
                                    log_path=log_path)

        thread = threading.Thread(target=target, name="crawl-child", daemon=True)
        thread.start()
        forwarded = False
        while thread.is_alive():
            thread.join(min(self.poll, max(1.0, self.c.heartbeat_ttl / 4)))
            try:
                self.beat()
            except redis.RedisError as exc:
                log.warning("worker heartbeat failed (Redis at %s): %s", self.url, exc)
            if self.stop.is_set() and not forwarded:
                forwarded = self._terminate_child(desc["run_key"], child_id)
        r = result.get("r")
        if r is None:
            log.error("crawl child for run %s did not start", desc["run_key"])
            return -1
        if not r.ok:
            log.error("crawl child for run %s exited %s (timed out: %s); log: %s", desc["run_key"], r.returncode,
                      r.timed_out, r.log_path)
        return r.returncode

    def _terminate_child(self, run_key: str, child_id: str) -> bool:
        # Graceful: Scrapy finishes what is in flight and the child hands back the rest.
        try:
            raw = self.client.get(RunKeys(run_key).heartbeat(child_id))
            pid = json.loads(raw)["pid"] if raw else None
        except redis.RedisError:
            pid = None
        if pid:
            try:
                os.kill(int(pid), signal.SIGTERM)
                log.info("stop requested: sent SIGTERM to crawl child %s", pid)
                return True
            except ProcessLookupError:
                return True
        return False

    def loop(self, once: bool = False) -> int:
        """Serve runs until stopped (or, with ``once``, until the first joined run is over)."""
        runs = 0
        log.info("worker %s waiting for runs on %s (prefix %s)", self.id, self.url, self.c.redis_prefix)
        while not self.stop.is_set():
            try:
                self.state = "idle" if self.run_key is None else "waiting"
                self.beat()
                if self.run_key and self.finished(self.run_key):
                    log.info("run %s finished", self.run_key)
                    runs += 1
                    self.run_key = None
                    if once:
                        break
                desc = self.current_run()
                if desc is None or desc.get("status") != "running":
                    self.stop.wait(self.poll)
                    continue
                if self.run_key != desc["run_key"]:
                    log.info("joined run %s (T=%s, spiders %s)", desc["run_key"], desc["at"], desc["spiders"])
                    self.run_key = desc["run_key"]
                if self.queued(desc) == 0:
                    self.stop.wait(self.poll)
                    continue
                self.state = "crawling"
                if self.crawl(desc) != 0:
                    self.stop.wait(5)  # a child that cannot start must not spin
            except redis.RedisError as exc:
                # The client already retried for redis_patience seconds; keep serving.
                log.error("Redis at %s unreachable (%s); retrying", self.url, exc)
                self.stop.wait(5)
        try:
            self.client.delete(worker_key(self.c.redis_prefix, self.id))
        except redis.RedisError:
            pass
        return runs


def run_worker(app: App, stop: Event, once: bool = False, poll: float = 1.0) -> int:
    """Serve distributed crawl runs until ``stop`` is set; returns the number of runs served."""
    return Worker(app, stop, poll).loop(once)
