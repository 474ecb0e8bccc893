"""The crawl child's log is ours: the spiders and the pipeline at INFO; Scrapy's own
narration (versions, enabled middlewares, overridden settings, stats dumps) only from
WARNING; library deprecation notices not at all (they are for this project's developers,
who see them in the test run, not for the operator reading a night's log)."""
from __future__ import annotations

import logging
import warnings

QUIET_LOGGERS = ("scrapy", "twisted", "py.warnings", "tldextract", "filelock", "asyncio")


def silence_deprecations() -> None:
    """Before Scrapy is imported: some notices are raised at import time."""
    for category in (DeprecationWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    try:
        from scrapy.exceptions import ScrapyDeprecationWarning
    except ImportError:  # pragma: no cover - Scrapy is a dependency
        return
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning)


def quiet_libraries() -> None:
    """After Scrapy configured logging (CrawlerProcess does it)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
