"""Start the crawl as a child process with a hard timeout and a memory limit, so a hung
browser or a leaking crawl can never take the daemon down."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor.app import App
from monitor.crawl.settings import scrapy_settings

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CrawlResult:
    spiders: list[str]
    returncode: int
    timed_out: bool
    log_path: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def run_crawl(app: App, at: datetime, spiders: list[str], run_id: int | None = None,
              account_ids: list[int] | None = None, timeout: float | None = None,
              log_path: Path | None = None, extra: dict | None = None) -> CrawlResult:
    values = scrapy_settings(app.settings, at, run_id, account_ids)
    values["MONITOR_MEMORY_LIMIT_MB"] = app.settings.crawl.child_memory_mb
    values.update(extra or {})
    timeout = timeout or app.settings.crawl.child_timeout
    log_path = log_path or Path(app.settings.warc_dir).parent / "logs" / f"crawl-{'-'.join(spiders)}-{run_id or 'adhoc'}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as fh:
        json.dump(values, fh, ensure_ascii=False)
        settings_file = fh.name
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="spiders.settings")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    timed_out = False
    try:
        with log_path.open("ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "monitor.crawl.child", settings_file, *spiders],
                                    stdout=log, stderr=subprocess.STDOUT, env=env, cwd=os.getcwd(),
                                    start_new_session=True)
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)  # the whole group: Chromium included
                rc = proc.wait()
    finally:
        os.unlink(settings_file)
    return CrawlResult(spiders, rc, timed_out, log_path)
