"""Redis key names of one distributed crawl run, in one place.

Every key of a run starts with the run key (``{prefix}:run:{run_id}-{token}``), so a run's
queues, fingerprints and heartbeats never mix with another night's, and all of them carry a
TTL so that a run whose scheduler died simply vanishes.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RunKeys:
    run_key: str

    @property
    def descriptor(self) -> str:
        return f"{self.run_key}:desc"

    @property
    def attempts(self) -> str:
        return f"{self.run_key}:attempts"

    def queue(self, spider: str) -> str:
        return f"{self.run_key}:queue:{spider}"

    def processing(self, spider: str, worker: str) -> str:
        return f"{self.run_key}:processing:{spider}:{worker}"

    @property
    def processing_pattern(self) -> str:
        return f"{self.run_key}:processing:*"

    def heartbeat(self, worker: str) -> str:
        return f"{self.run_key}:hb:{worker}"

    @property
    def heartbeat_pattern(self) -> str:
        return f"{self.run_key}:hb:*"

    # scrapy-redis formats these with %(spider)s. Requests stay on the worker that took the
    # account (its posts are buffered in that worker's pipeline until the observation), and
    # fingerprints are per worker too: an account re-queued after a worker died must not be
    # suppressed by the dead worker's fingerprints.
    def scheduler_queue(self, worker: str) -> str:
        return f"{self.run_key}:requests:{worker}:%(spider)s"

    def dupefilter(self, worker: str) -> str:
        return f"{self.run_key}:dupefilter:{worker}:%(spider)s"

    def worker_keys(self, spider: str, worker: str) -> list[str]:
        """The keys a worker's crawl of ``spider`` creates, whose TTL is the run's (the
        heartbeat has its own, short one)."""
        return [self.processing(spider, worker),
                self.scheduler_queue(worker) % {"spider": spider},
                self.dupefilter(worker) % {"spider": spider}]


def current_key(prefix: str) -> str:
    """Where the scheduler publishes the run key of the run in progress."""
    return f"{prefix}:current"


def worker_key(prefix: str, worker: str) -> str:
    """A worker process's own liveness key (for operators: who is connected)."""
    return f"{prefix}:workers:{worker}"
