"""The crawl's blocking writes — WARC records, database rows — done by one thread beside the
event loop, in the order they were handed in, so the loop only fetches, parses and schedules.

One writer per crawler (``writer_for(crawler)``), shared by the WARC middleware and the
storage pipeline: a single FIFO means a response's WARC record is written before the
observation that cites it, so the pipeline can resolve the record's reference (a
``PendingRef`` the middleware handed out at once) when it writes the row. The queue is
bounded: a slow disk or database slows the crawl down instead of filling memory. Jobs that
want batching register an ``on_idle`` flush, run whenever the queue runs dry and at close.

``MONITOR_WRITER_THREAD = False`` runs every job inline on the loop (what the crawl did
before; bench/run.py measures both side by side).
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable

log = logging.getLogger(__name__)

_STOP = object()


class PendingRef:
    """A WARC reference ("run/file.warc.gz#offset") known once the writer has written the
    record; ``str()`` waits for it. None when the write failed."""

    __slots__ = ("_value", "_done")

    def __init__(self) -> None:
        self._value: str | None = None
        self._done = threading.Event()

    def set(self, value: str | None) -> None:
        self._value = value
        self._done.set()

    def result(self, timeout: float | None = 60.0) -> str | None:
        self._done.wait(timeout)
        return self._value

    def __str__(self) -> str:
        return self.result() or ""

    def __deepcopy__(self, memo) -> "PendingRef":
        return self


def resolved(value: Any) -> Any:
    """A PendingRef's string (or None); any other value as it is."""
    return value.result() if isinstance(value, PendingRef) else value


class BackgroundWriter:
    def __init__(self, threaded: bool = True, maxsize: int = 512):
        self.threaded = threaded
        self._idle: list[Callable[[], None]] = []
        self._queue: queue.Queue = queue.Queue(maxsize)
        self._thread: threading.Thread | None = None
        self._closed = False
        if threaded:
            self._thread = threading.Thread(target=self._run, name="crawl-writer", daemon=True)
            self._thread.start()

    def on_idle(self, flush: Callable[[], None]) -> None:
        self._idle.append(flush)

    def submit(self, job: Callable[..., Any], *args: Any) -> None:
        if not self.threaded or self._closed:
            self._call(job, args)
            if not self.threaded:
                self._flush_idle()
            return
        self._queue.put((job, args))  # blocks while the queue is full: back-pressure on the crawl

    def flush(self) -> None:
        """Wait until every job handed in so far is done (and batches are flushed)."""
        if self.threaded and not self._closed:
            self._queue.put((self._flush_idle, ()))
            self._queue.join()
        else:
            self._flush_idle()

    def close(self) -> None:
        if self._closed:
            return
        self.flush()
        self._closed = True
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                job, args = item
                self._call(job, args)
                if self._queue.empty():
                    self._flush_idle()
            finally:
                self._queue.task_done()

    @staticmethod
    def _call(job, args) -> None:
        try:
            job(*args)
        except Exception:  # one failed write never stops the writer (each job records its own failure)
            log.exception("crawl writer job %s failed", getattr(job, "__qualname__", job))

    def _flush_idle(self) -> None:
        for flush in self._idle:
            self._call(flush, ())


def writer_for(crawler) -> BackgroundWriter:
    """The crawler's one writer, made on first use and closed when the engine stops."""
    writer = getattr(crawler, "_monitor_writer", None)
    if writer is None:
        from scrapy import signals

        writer = BackgroundWriter(crawler.settings.getbool("MONITOR_WRITER_THREAD", True))
        crawler._monitor_writer = writer
        crawler.signals.connect(writer.close, signal=signals.engine_stopped)
    return writer
