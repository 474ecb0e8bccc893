"""Start the crawl as a child process with a hard timeout and a memory limit, so a hung
browser or a leaking crawl can never take the daemon down.

The child gets its settings (database password, cookies, Redis URL) through an inherited
pipe, never a file: nothing is left on disk whatever way the cycle ends. It runs in its own
session (so its process group, browsers included, can be killed as one) and dies with its
parent: ``monitor.crawl.child`` asks the kernel for a signal when the parent goes
(PR_SET_PDEATHSIG) and watches the parent's pid. An interrupt of the parent (Ctrl-C) stops
the child's whole group before the interrupt goes on.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from monitor.app import App
from monitor.crawl.settings import scrapy_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
WATCH_INTERVAL = 0.5  # seconds between RSS/time checks of the crawl child
STOP_GRACE = 10.0  # seconds an interrupted child gets to stop before it is killed
SCRATCH_ENV = "MONITOR_CRAWL_SCRATCH"  # the children's temporary folder (monitor.crawl.child)


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


def crawl_rss_mb(pid: int) -> float:
    """Resident memory of the crawl child and its writer process (spiders.writer_process),
    which holds the child's queued records and rows. Browsers in the child's group stay out,
    as before: the limit is sized for the crawl's Python processes."""
    return rss_mb(pid) + sum(rss_mb(c) for c in _writer_children(pid))


def _writer_children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            children = [int(c) for c in fh.read().split()]
    except (OSError, ValueError):
        return []
    out = []
    for c in children:
        try:
            with open(f"/proc/{c}/cmdline", "rb") as fh:
                if b"spiders.writer_process" in fh.read():
                    out.append(c)
        except OSError:
            pass
    return out


def spider_groups(spiders: list[str], processes: int, weights: dict[str, float] | None = None) -> list[list[str]]:
    """The spiders split over at most ``processes`` crawl children, the heaviest first onto
    the least loaded child (``weights``: expected work per spider, default 1 each)."""
    weights = weights or {}
    n = max(1, min(processes, len(spiders)))
    groups: list[list[str]] = [[] for _ in range(n)]
    load = [0.0] * n
    for name in sorted(spiders, key=lambda s: (-weights.get(s, 1.0), s)):
        i = min(range(n), key=lambda k: (load[k], k))
        groups[i].append(name)
        load[i] += weights.get(name, 1.0)
    return [sorted(g) for g in groups if g]


def crawl_processes(app: App) -> int:
    """[crawl] processes; 0 is one per core, at most 4 (each is a Python process and a writer)."""
    return app.settings.crawl.processes or min(os.cpu_count() or 1, 4)


def run_crawl(app: App, at: datetime, spiders: list[str], run_id: int | None = None,
              account_ids: list[int] | None = None, timeout: float | None = None,
              log_path: Path | None = None, extra: dict | None = None,
              on_tick: Callable[[], None] | None = None,
              weights: dict[str, float] | None = None) -> CrawlResult:
    """Crawl with ``spiders`` split over up to [crawl] processes children running side by side
    (one Twisted reactor is one core: the spiders of a night are independent, each with its own
    hosts, accounts and WARC file). The children share the log, the time limit and the memory
    limit (their RSS summed); when one is killed for time or memory, all are.
    ``on_tick`` is called about once a second while they run (progress display)."""
    values = scrapy_settings(app.settings, at, run_id, account_ids)
    values.update(extra or {})
    timeout = timeout or app.settings.crawl.child_timeout
    log_path = log_path or Path(app.settings.warc_dir).parent / "logs" / f"crawl-{'-'.join(spiders)}-{run_id or 'adhoc'}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"settings": values, "secrets": sorted(_secrets(app))}, ensure_ascii=False).encode("utf-8")
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="spiders.settings", MONITOR_CRAWL_PARENT=str(os.getpid()))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    # The children's own temporary folder, Chromium's and Playwright's files included: a
    # browser stopped mid-launch (Ctrl-C, SIGKILL) cannot clean up after itself, so this is
    # removed when they are done, and by a child that dies with its parent.
    scratch = tempfile.mkdtemp(prefix="monitor-crawl-")
    env["TMPDIR"] = env[SCRATCH_ENV] = scratch
    try:
        return _run_children(app, spiders, payload, env, log_path, timeout, on_tick, weights)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run_children(app: App, spiders: list[str], payload: bytes, env: dict, log_path: Path, timeout: float,
                  on_tick: Callable[[], None] | None, weights: dict[str, float] | None) -> CrawlResult:
    limit_mb = app.settings.crawl.child_memory_mb
    timed_out = over_memory = False
    peak = 0.0
    procs: list[subprocess.Popen] = []
    try:
        with log_path.open("ab") as log:
            for group in spider_groups(spiders, crawl_processes(app), weights):
                procs.append(_start_child(group, payload, log, env))
    except BaseException:
        _stop_all(procs)
        raise
    try:
        deadline = time.monotonic() + timeout
        last_tick = 0.0
        # Watch from outside: a hung browser or a leaking crawl is killed with its whole
        # process group (Chromium included) and the daemon lives on.
        while True:
            running = [p for p in procs if p.poll() is None]
            if not running:
                break
            try:
                running[0].wait(timeout=WATCH_INTERVAL)
                continue
            except subprocess.TimeoutExpired:
                pass
            peak = max(peak, sum(crawl_rss_mb(p.pid) for p in running))
            if on_tick is not None and time.monotonic() - last_tick >= 1.0:
                last_tick = time.monotonic()
                on_tick()
            timed_out = time.monotonic() > deadline
            over_memory = bool(limit_mb) and peak > limit_mb
            if timed_out or over_memory:
                for p in running:
                    with contextlib.suppress(ProcessLookupError):  # it may have ended meanwhile
                        os.killpg(p.pid, signal.SIGKILL)
                for p in running:
                    p.wait()
                break
    except BaseException as exc:  # Ctrl-C, SIGTERM turned into an exception, a bug here
        how = _stop_all(procs)
        if isinstance(exc, KeyboardInterrupt):
            who = "crawl child" if len(procs) == 1 else "crawl children"
            raise KeyboardInterrupt(f"{who} {', '.join(str(p.pid) for p in procs)} ({', '.join(spiders)}) {how}") from None
        raise
    if over_memory:
        with log_path.open("a", encoding="utf-8") as log:
            log.write(f"\nmonitor: crawl child killed at {peak:.0f} MB RSS (limit {limit_mb} MB)\n")
    # The night's exit is its worst child's: a killed one (negative) before a failed one.
    codes = [p.returncode for p in procs]
    rc = min(codes) if min(codes) < 0 else max(codes)
    return CrawlResult(spiders, rc, timed_out, log_path, over_memory, peak)


def _start_child(spiders: list[str], payload: bytes, log, env: dict) -> subprocess.Popen:
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "monitor.crawl.child", f"fd:{read_end}", *spiders],
                                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=os.getcwd(),
                                start_new_session=True, pass_fds=(read_end,))
    except BaseException:
        os.close(write_end)
        raise
    finally:
        os.close(read_end)
    _send(write_end, payload)
    return proc


def _stop_all(procs: list[subprocess.Popen], grace: float = STOP_GRACE) -> str:
    """Stop every child side by side within one grace period, then its whole process group:
    SIGTERM to each child alone (Scrapy closes its spiders, Playwright its browsers, which then
    clean up their temporary folders — a SIGTERM of their own races that), SIGKILL to whatever
    of a group is left once its child has gone or after ``grace`` seconds. Returns what was
    done, in words."""
    if not procs:
        return "had not started"
    deadline = time.monotonic() + grace
    signalled = [_terminate(p) for p in procs]
    done = [how if how else _await_stop(p, deadline, grace) for p, how in zip(procs, signalled)]
    return done[0] if len(set(done)) == 1 else "; ".join(f"{p.pid} {how}" for p, how in zip(procs, done))


def _send(fd: int, payload: bytes) -> None:
    """Write the settings into the child's pipe and close it (a child that died at start
    leaves a broken pipe: its exit code tells the rest)."""
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
    except BrokenPipeError:
        pass


def _secrets(app: App) -> set[str]:
    from monitor.secrets import known_secrets

    return known_secrets(app.settings)


def _terminate(proc: subprocess.Popen) -> str:
    """SIGTERM to the child; what happened instead when it had already gone, else ""."""
    if proc.poll() is not None:
        return f"had already exited ({proc.returncode})"
    try:
        os.kill(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return "had already exited"
    return ""


def _await_stop(proc: subprocess.Popen, deadline: float, grace: float) -> str:
    try:
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        how = "stopped (SIGTERM)"
        # Browsers closing after the child: a moment to finish, within the same grace.
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    except subprocess.TimeoutExpired:
        how = f"killed (SIGKILL after {grace:g} s)"
    except KeyboardInterrupt:  # a second Ctrl-C: no more patience
        how = "killed (SIGKILL, second interrupt)"
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # whatever of its group is left (browsers)
    except ProcessLookupError:
        pass
    proc.wait()
    return how


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
