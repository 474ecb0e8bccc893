"""Start the crawl as a child process with a hard timeout and a memory limit, so a hung
browser or a leaking crawl can never take the daemon down."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor.app import App
from monitor.crawl.settings import scrapy_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
WATCH_INTERVAL = 0.5  # seconds between RSS/time checks of the crawl child


@dataclass
class CrawlResult:
    spiders: list[str]
    returncode: int
    timed_out: bool
    log_path: Path
    memory_exceeded: bool = False
    peak_rss_mb: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.memory_exceeded


def rss_mb(pid: int) -> float:
    """Resident memory of one process (Linux /proc), 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError, ValueError):
        return 0.0


def run_crawl(app: App, at: datetime, spiders: list[str], run_id: int | None = None,
              account_ids: list[int] | None = None, timeout: float | None = None,
              log_path: Path | None = None, extra: dict | None = None) -> CrawlResult:
    values = scrapy_settings(app.settings, at, run_id, account_ids)
    values.update(extra or {})
    timeout = timeout or app.settings.crawl.child_timeout
    log_path = log_path or Path(app.settings.warc_dir).parent / "logs" / f"crawl-{'-'.join(spiders)}-{run_id or 'adhoc'}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(values, fh, ensure_ascii=False)
        settings_file = fh.name
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="spiders.settings")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    limit_mb = app.settings.crawl.child_memory_mb
    timed_out = over_memory = False
    peak = 0.0
    try:
        with log_path.open("ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "monitor.crawl.child", settings_file, *spiders],
                                    stdout=log, stderr=subprocess.STDOUT, env=env, cwd=os.getcwd(),
                                    start_new_session=True)
            deadline = time.monotonic() + timeout
            # Watch from outside: a hung browser or a leaking crawl is killed with its whole
            # process group (Chromium included) and the daemon lives on.
            while True:
                try:
                    rc = proc.wait(timeout=WATCH_INTERVAL)
                    break
                except subprocess.TimeoutExpired:
                    pass
                peak = max(peak, rss_mb(proc.pid))
                timed_out = time.monotonic() > deadline
                over_memory = bool(limit_mb) and peak > limit_mb
                if timed_out or over_memory:
                    os.killpg(proc.pid, signal.SIGKILL)
                    rc = proc.wait()
                    break
    finally:
        os.unlink(settings_file)
    if over_memory:
        with log_path.open("a", encoding="utf-8") as log:
            log.write(f"\nmonitor: crawl child killed at {peak:.0f} MB RSS (limit {limit_mb} MB)\n")
    return CrawlResult(spiders, rc, timed_out, log_path, over_memory, peak)
