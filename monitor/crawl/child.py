"""Entry point of the crawl child process: ``python -m monitor.crawl.child SETTINGS.json SPIDER…``.

Runs the named spiders in one Twisted reactor. It reports nothing on stdout that the parent
relies on: the parent reads outcomes from the database.
"""
from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    settings_file, *spider_names = argv
    with open(settings_file, encoding="utf-8") as fh:
        overrides = json.load(fh)
    # The memory limit is enforced by the parent watching this process's RSS
    # (monitor/crawl/runner.py): an address-space rlimit here would also stop Chromium,
    # which reserves far more address space than it uses.
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings
    import os

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "spiders.settings")
    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    process = CrawlerProcess(settings, install_root_handler=True)
    for name in spider_names:
        process.crawl(name)
    process.start()
    failed = any(getattr(c.spider, "fatal_error", None) for c in process.crawlers if c.spider)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
