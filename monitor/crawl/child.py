"""Entry point of the crawl child process: ``python -m monitor.crawl.child fd:N SPIDER…``.

Runs the named spiders in one Twisted reactor. Its settings come as JSON on the inherited
file descriptor N (``{"settings": {...}, "secrets": [...]}``; a file path is accepted too, for
running a crawl by hand), so no file holding the database password or cookies is written.
It reports nothing on stdout that the parent relies on: the parent reads outcomes from the
database.

It dies with its parent: the kernel sends SIGHUP when the parent goes (PR_SET_PDEATHSIG,
Linux), a watchdog thread checks the parent's pid as well (other systems, or a parent that
went before the request was made), and either kills this process's whole group — the
browsers it started included — so no crawl runs on beside the next cycle.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1
WATCHDOG_INTERVAL = 1.0


def _read_settings(source: str) -> dict:
    if source.startswith("fd:"):
        with os.fdopen(int(source[3:]), "rb") as fh:
            data = json.loads(fh.read().decode("utf-8"))
    else:
        with open(source, encoding="utf-8") as fh:
            data = json.load(fh)
    return data if "settings" in data else {"settings": data, "secrets": []}


def _die_with_group(*_args) -> None:
    # The parent that would remove our temporary folder is gone: remove it first.
    scratch = os.environ.get("MONITOR_CRAWL_SCRATCH")
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    os.killpg(os.getpgrp(), signal.SIGKILL)


def die_with_parent(parent: int) -> None:
    """Kill this process group as soon as ``parent`` is gone."""
    signal.signal(signal.SIGHUP, _die_with_group)
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGHUP)
    except (OSError, AttributeError):  # not Linux: the watchdog alone
        pass
    if os.getppid() != parent:  # it went before we asked
        _die_with_group()

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                _die_with_group()
            threading.Event().wait(WATCHDOG_INTERVAL)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def main(argv: list[str]) -> int:
    source, *spider_names = argv
    parent = os.environ.get("MONITOR_CRAWL_PARENT")
    if parent and parent.isdigit():
        die_with_parent(int(parent))
    data = _read_settings(source)
    # The memory limit is enforced by the parent watching this process's RSS
    # (monitor/crawl/runner.py): an address-space rlimit here would also stop Chromium,
    # which reserves far more address space than it uses.
    from monitor.crawl.logs import quiet_libraries, quiet_startup, silence_deprecations

    silence_deprecations()
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from spiders.gc_tuning import tune_gc
    from spiders.redact import Scrubber, install_log_filter

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "spiders.settings")
    settings = get_project_settings()
    settings.setdict(data["settings"], priority="cmdline")
    # The WARC writer replaces the configured secrets wherever they appear in a record.
    settings.set("MONITOR_SECRET_VALUES", data.get("secrets") or [], priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", True, priority="cmdline")
    quiet_startup(settings)
    process = CrawlerProcess(settings)
    quiet_libraries()
    install_log_filter(Scrubber(data.get("secrets") or []))
    for name in spider_names:
        process.crawl(name)
    tune_gc()  # spiders/gc_tuning.py: full collections of a big heap cost 15–19 % of the CPU
    process.start()
    failed = any(getattr(c.spider, "fatal_error", None) for c in process.crawlers if c.spider)
    from spiders.writer_process import failure

    # A writer process that died lost rows: the crawl failed even if every spider finished.
    return 1 if failed or failure() else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
