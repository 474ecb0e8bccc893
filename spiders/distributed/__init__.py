"""Distributed crawling: a run's accounts in a shared Redis queue, taken one at a time by
any number of crawl workers (see monitor/distributed for the scheduler and worker loops)."""
from spiders.distributed.extension import DistributedWorkerExtension, account_queue, distributed_settings
from spiders.distributed.keys import RunKeys, current_key, worker_key
from spiders.distributed.queue import (
    DEFAULT_MAX_ATTEMPTS,
    AccountQueue,
    connect,
    enqueue,
    failed_key,
    requeue_processing,
    split_processing_key,
)
from spiders.distributed.settings import worker_scrapy_settings

__all__ = [
    "DEFAULT_MAX_ATTEMPTS", "AccountQueue", "DistributedWorkerExtension", "RunKeys", "account_queue",
    "connect", "current_key", "distributed_settings", "enqueue", "failed_key", "requeue_processing",
    "split_processing_key", "worker_key", "worker_scrapy_settings",
]
