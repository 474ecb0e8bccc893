"""Re-checks started from the workspace run beside the web server, not inside the request: a
re-check crawls the account through the crawl child (up to ``RECHECK_TIMEOUT``), and an
inspector's browser, a proxy or uvicorn must not hold a request open that long. The order
page shows the re-check as running (and refreshes itself) until it is done; its result is
what ``recheck_account`` stores on the order (最近复核, the history). One re-check per account
at a time; a second click while one runs is told so. Jobs live in this process only: a
restart forgets a running one, whose crawl child dies with it and stores nothing."""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

log = logging.getLogger(__name__)


@dataclass
class RecheckJob:
    account_id: int
    started_at: datetime
    who: str
    error: str | None = None  # a RecheckError's words, or what went wrong
    done: bool = False


class RecheckJobs:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[int, RecheckJob] = {}

    def running(self, account_id: int) -> RecheckJob | None:
        with self._lock:
            job = self._jobs.get(account_id)
            return job if job is not None and not job.done else None

    def last(self, account_id: int) -> RecheckJob | None:
        with self._lock:
            return self._jobs.get(account_id)

    def start(self, account_id: int, at: datetime, who: str, work: Callable[[], object]) -> RecheckJob | None:
        """Run ``work`` on a thread of its own; None when a re-check of the account is running."""
        with self._lock:
            current = self._jobs.get(account_id)
            if current is not None and not current.done:
                return None
            job = self._jobs[account_id] = RecheckJob(account_id, at, who)
        threading.Thread(target=self._run, args=(job, work), name=f"recheck-{account_id}", daemon=True).start()
        return job

    @staticmethod
    def _run(job: RecheckJob, work: Callable[[], object]) -> None:
        from monitor.orders.recheck import RecheckError

        try:
            work()
        except RecheckError as exc:
            job.error = str(exc)
        except Exception as exc:  # the page says so; the log has the traceback
            log.exception("re-check of account %s failed", job.account_id)
            job.error = f"复核出错：{type(exc).__name__}: {exc}"
        finally:
            job.done = True
