"""Distributed mode: one scheduler (``monitor run``/``monitor schedule``) enqueues each
night's accounts in Redis; any number of ``monitor worker`` processes crawl them."""
from monitor.distributed.coordinator import DistributedCrawlError, distributed_crawl
from monitor.distributed.worker import Worker, run_worker

__all__ = ["DistributedCrawlError", "Worker", "distributed_crawl", "run_worker"]
