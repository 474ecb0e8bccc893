"""Running the Scrapy spiders for one monitoring time point, in a child process.

The names below load on first use: the crawl child imports ``monitor.crawl.child`` and
``.logs`` only, and importing the runner (the whole ``monitor`` application) would cost every
night's child a second of start-up for nothing."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.crawl.runner import CrawlResult, run_crawl
    from monitor.crawl.settings import scrapy_settings

__all__ = ["CrawlResult", "run_crawl", "scrapy_settings"]


def __getattr__(name: str) -> Any:
    if name in ("CrawlResult", "run_crawl"):
        from monitor.crawl import runner

        return getattr(runner, name)
    if name == "scrapy_settings":
        from monitor.crawl.settings import scrapy_settings

        return scrapy_settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
