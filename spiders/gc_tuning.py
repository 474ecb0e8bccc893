"""The cyclic garbage collector's thresholds for the crawl's processes (the crawl child and
its writer process).

Python's default runs a young collection every 700 container objects allocated and not
freed. A crawl holds thousands of requests, responses and account states for milliseconds
to seconds: at 700 they outlived young collections, were promoted, and every few promotions
paid for a full collection of a ~300 MB heap — 15–19 % of each crawl child's CPU and ~4 % of
a writer process's at 10,000 accounts (issue 24). At 20,000 almost everything is freed by
its reference count before a collection comes; what does form cycles still adds up to the
threshold and is collected (a handful of collections a night, about a second in all).
"""
from __future__ import annotations

import gc

THRESHOLDS = (20_000, 10, 10)


def tune_gc() -> None:
    gc.set_threshold(*THRESHOLDS)
