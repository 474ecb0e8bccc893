"""The crawl's blocking writes — WARC records, database rows — done beside the event loop,
in the order they were handed in, so the loop only fetches, parses and schedules.

One writer per crawler (``writer_for(crawler)``), shared by the WARC middleware and the
storage pipeline: a single FIFO means a response's WARC record is written before the
observation that cites it, so the row can carry the record's reference although the
middleware handed out only a placeholder at once. Jobs that want batching register an
``on_idle`` flush, run whenever the queue runs dry and at close.

``MONITOR_WRITER`` (``[crawl] writer``) chooses where the writes run:

- ``"process"`` (default): a writer process beside the crawl child
  (``spiders.writer_process``), so they use another core instead of sharing the crawl's
  GIL. The middleware and the pipeline hand it plain picklable captures and items; the
  placeholder is a ``WarcToken`` that becomes the reference string when the writer unpickles
  a row citing it (the record was written first: FIFO). Bounded: a slow disk or database
  back-pressures the crawl instead of filling memory. A writer that dies fails the crawl.
  With the night's spiders split over two crawl children (``[crawl] processes``) it was both
  the fastest and the cheapest in CPU in all (10,000 accounts: 1.76 against 1.87 CPU s per
  1,000 requests for the thread): a thread's writes contend with its loop for the GIL.
- ``"thread"``: one thread in the crawl process (a ``PendingRef`` placeholder).
- ``"inline"``: on the loop, what the crawl did first; also how the middleware and the
  pipeline work when built without a crawler (tests, tools).

bench/run.py measures the three side by side.
"""
from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable

log = logging.getLogger(__name__)

MODES = ("process", "thread", "inline")
_STOP = object()


class PendingRef:
    """A WARC reference ("run/file.warc.gz#offset") known once the writer thread has
    written the record; ``str()`` waits for it. None when the write failed."""

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


# In the writer process: token number → the reference its record got (None: write failed).
# Set there only; in the crawl process a token stays a token.
written_refs: dict[int, str | None] | None = None
# In the crawl process: the writer process client, which answers a token's string.
_asker: Callable[[int], str | None] | None = None


def _token(number: int):
    """Unpickling a WarcToken: in the writer process its reference string."""
    if written_refs is not None:
        return written_refs.get(number)
    return WarcToken(number)


class WarcToken:
    """The writer process's placeholder for a WARC reference: the n-th record handed to it.
    A row citing it is written by that process after the record, and gets the string;
    in the crawl process ``result()`` asks the writer (a round trip, for the few consumers
    that need the string there: the discovery pipeline, browser exchanges)."""

    __slots__ = ("number",)

    def __init__(self, number: int) -> None:
        self.number = number

    def __reduce__(self):
        return (_token, (self.number,))

    def result(self, timeout: float | None = 60.0) -> str | None:
        return _asker(self.number) if _asker is not None else None

    def __str__(self) -> str:
        return self.result() or ""

    def __repr__(self) -> str:
        return f"WarcToken({self.number})"

    def __deepcopy__(self, memo) -> "WarcToken":
        return self


def resolved(value: Any) -> Any:
    """A placeholder's reference string (or None); any other value as it is."""
    return value.result() if isinstance(value, (PendingRef, WarcToken)) else value


class BackgroundWriter:
    """The writer inside the crawl process: a thread (``threaded``) or inline on the loop."""

    def __init__(self, threaded: bool = True, maxsize: int = 512):
        self.threaded = threaded
        self.mode = "thread" if threaded else "inline"
        self._idle: list[Callable[[], None]] = []
        self._queue: queue.Queue = queue.Queue(maxsize)
        self._thread: threading.Thread | None = None
        self._closed = False
        if threaded:
            self._thread = threading.Thread(target=self._run, name="crawl-writer", daemon=True)
            self._thread.start()

    def on_idle(self, flush: Callable[[], None]) -> None:
        self._idle.append(flush)

    def attach(self, sink: Any, spec: tuple) -> None:
        """A sink (an object whose methods are the jobs) of a process writer: here the sink
        is the object itself."""

    def submit(self, job: Callable[..., Any], *args: Any) -> None:
        if not self.threaded or self._closed:
            self._call(job, args)
            if not self.threaded:
                self._flush_idle()
            return
        self._queue.put((job, args))  # blocks while the queue is full: back-pressure on the crawl

    def submit_ref(self, job: Callable[..., str | None], *args: Any):
        """Run ``job`` (which returns a WARC reference); its result, or a placeholder for it."""
        if not self.threaded or self._closed:
            return self._call(job, args)
        ref = PendingRef()
        self._queue.put((_set_ref, (ref, job, args)))
        return ref

    def close_sink(self, sink: Any) -> dict[str, int] | None:
        """Nothing to do here: the crawl side is the sink and closes itself."""
        return None

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
    def _call(job, args):
        try:
            return job(*args)
        except Exception:  # one failed write never stops the writer (each job records its own failure)
            log.exception("crawl writer job %s failed", getattr(job, "__qualname__", job))
            return None

    def _flush_idle(self) -> None:
        for flush in self._idle:
            self._call(flush, ())


def _set_ref(ref: PendingRef, job, args) -> None:
    value = None
    try:
        value = job(*args)
    finally:
        ref.set(value)


def writer_mode(settings) -> str:
    mode = settings.get("MONITOR_WRITER") or "process"
    if mode not in MODES:
        raise ValueError(f"MONITOR_WRITER must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def writer_for(crawler):
    """The crawler's one writer, made on first use and closed when the engine stops."""
    writer = getattr(crawler, "_monitor_writer", None)
    if writer is None:
        from scrapy import signals

        mode = writer_mode(crawler.settings)
        if mode == "process":
            from spiders.writer_process import process_writer_for

            writer = process_writer_for(crawler)
        else:
            writer = BackgroundWriter(mode == "thread")
        crawler._monitor_writer = writer
        crawler.signals.connect(writer.close, signal=signals.engine_stopped)
    return writer
