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


class _WarningsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def quiet_startup(settings) -> None:
    """Before CrawlerProcess: it logs "Scrapy … started" and the library versions while it
    sets up logging, before ``quiet_libraries`` can run (its own logging set-up puts the
    ``scrapy`` logger at DEBUG). A filter on that one logger survives the set-up."""
    settings.set("LOG_VERSIONS", [], priority="cmdline")
    startup = logging.getLogger("scrapy.utils.log")
    if not any(isinstance(f, _WarningsOnly) for f in startup.filters):
        startup.addFilter(_WarningsOnly())


def quiet_libraries() -> None:
    """After Scrapy configured logging (CrawlerProcess does it)."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
