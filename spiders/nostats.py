"""A stats collector that keeps nothing, cheaply.

Scrapy's own ``DummyStatsCollector`` still routes every attribute read through
``StatsCollector.__getattribute__`` (a deprecation wrapper for the old ``spider`` argument),
which its components call several times a request; nothing in this product reads Scrapy's
stats (outcomes live in the database), so plain attribute access is enough."""
from __future__ import annotations

from scrapy.statscollectors import DummyStatsCollector


class NoStats(DummyStatsCollector):
    __getattribute__ = object.__getattribute__
