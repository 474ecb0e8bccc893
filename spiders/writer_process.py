"""The crawl's writer process (``MONITOR_WRITER = "process"``): WARC records and database
rows written by a second Python process beside the crawl child, on the other core, instead
of by a thread that shares the crawl's GIL.

Crawl side (``ProcessWriter``): the loop pickles each job — a sink's method name and its
plain arguments (an exchange's captured bytes, an account's items) — and writes the frame
into a pipe (1 MiB where the kernel allows). A full pipe blocks the loop: a slow disk or
database back-pressures the crawl. No sender thread: handing each frame to one would cost a
GIL hand-over per frame, while writing into a pipe with room is one system call. Sinks are objects the writer builds from a picklable
spec (class and arguments, the configured secrets among them: they travel in the pipe,
never in a file or argv); the crawl side only holds their keys.

Writer side (``main``): reads the frames in order, calls the sinks, and runs their ``on_idle``
flushes (the storage pipeline's batch commit) whenever the pipe runs dry. It answers only
barriers (flush, close) and questions for a WARC token's string.

Lifecycle: the writer is in the crawl child's process group (runner.py kills the group), gets
SIGKILL when the child goes (PR_SET_PDEATHSIG) and exits on EOF of its pipe. One writer
process serves every crawler of the child; it stops once the last has closed. A writer
that dies before it was stopped fails the crawl: the spiders are stopped with a
``fatal_error``, the child exits non-zero, and every account whose observation did not reach
the database is recorded 未能核验 (monitor/crawl/unreached.py), never judged.
"""
from __future__ import annotations

import itertools
import logging
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any, Callable

from spiders import writer as W

log = logging.getLogger(__name__)

PIPE_BYTES = 1 << 20  # asked of the kernel (F_SETPIPE_SZ); the default 64 KiB holds one article page
REPLY_TIMEOUT = 600.0  # a flush waits this long for a live writer (a database lock, a slow disk)
PR_SET_PDEATHSIG = 1

_shared: "ProcessWriter | None" = None
_lock = threading.Lock()


class WriterDied(RuntimeError):
    pass


def failure() -> str | None:
    """Why this crawl's writer process failed (None: it did not): the child's exit code."""
    return _shared.failed if _shared is not None else None


def process_writer_for(crawler) -> "ProcessHandle":
    """The crawler's view of the child's one writer process (started on first use)."""
    global _shared
    with _lock:
        if _shared is None or _shared.stopped:
            _shared = ProcessWriter(crawler.settings.getlist("MONITOR_SECRET_VALUES") or [],
                                    crawler.settings.get("LOG_LEVEL") or "INFO")
        return _shared.handle(crawler)


class ProcessWriter:
    def __init__(self, secrets: list[str], log_level: str = "INFO"):
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        try:
            import fcntl

            fcntl.fcntl(cmd_w, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
        except (OSError, ImportError):  # a smaller pipe only means more waiting
            pass
        env = dict(os.environ, MONITOR_WRITER_PARENT=str(os.getpid()))
        try:
            self.proc = subprocess.Popen([sys.executable, "-m", "spiders.writer_process", str(cmd_r), str(rep_w)],
                                         pass_fds=(cmd_r, rep_w), env=env, stdin=subprocess.DEVNULL)
        except BaseException:
            for fd in (cmd_r, cmd_w, rep_r, rep_w):
                os.close(fd)
            raise
        os.close(cmd_r)
        os.close(rep_w)
        self._out = Connection(cmd_w, readable=False)
        self._in = Connection(rep_r, writable=False)
        self._send_lock = threading.Lock()
        self._death_lock = threading.Lock()
        self._tokens = itertools.count(1)
        self._asks = itertools.count(1)
        self._replies: dict[int, Any] = {}
        self._waiting: dict[int, threading.Event] = {}
        self._keys = itertools.count(1)
        self._handles: list[ProcessHandle] = []
        self.failed: str | None = None
        self.blocked = 0.0  # seconds the crawl spent handing frames over (a full pipe: the writer lags)
        self.stopped = False
        self._stopping = False
        self._send(("hello", list(secrets), log_level))
        threading.Thread(target=self._reader, name="writer-reader", daemon=True).start()
        W._asker = self.ask

    # ── crawl side ─────────────────────────────────────────────────────────
    def handle(self, crawler) -> "ProcessHandle":
        h = ProcessHandle(self, crawler)
        self._handles.append(h)
        return h

    def put(self, message: tuple) -> None:
        if self.failed:
            return  # nothing reaches the database any more; the crawl is being stopped
        frame = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        try:
            with self._send_lock:
                t0 = time.perf_counter()
                self._out.send_bytes(frame)
                self.blocked += time.perf_counter() - t0
        except OSError as exc:
            self._gone(f"{exc.__class__.__name__} writing to it")

    def token(self) -> int:
        return next(self._tokens)

    def new_key(self) -> int:
        return next(self._keys)

    def request(self, message: tuple, timeout: float = REPLY_TIMEOUT) -> Any:
        """Send a message that is answered, and wait for its answer (None if the writer died)."""
        seq = next(self._asks)
        done = self._waiting[seq] = threading.Event()
        self.put((*message, seq))
        if not self.failed:
            done.wait(timeout)
        self._waiting.pop(seq, None)
        return self._replies.pop(seq, None)

    def ask(self, number: int) -> str | None:
        return self.request(("ask", number))

    def release(self, handle: "ProcessHandle") -> None:
        """A crawler closed: the writer stops with the last one."""
        if handle in self._handles:
            self._handles.remove(handle)
        if not self._handles:
            self.stop()

    def stop(self) -> None:
        if self.stopped:
            return
        self.request(("barrier",))
        self._stopping = True
        self.put(("stop",))
        try:
            self._out.close()
        except OSError:
            pass
        try:
            rc = self.proc.wait(REPLY_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.stopped = True
        log.info("writer process: the crawl spent %.1f s handing it work (waiting on a full pipe)", self.blocked)
        if rc != 0 and not self.failed:
            self._died(f"writer process exited with code {rc}")

    # ── threads ────────────────────────────────────────────────────────────
    def _send(self, message: tuple) -> None:  # before the reader runs
        self._out.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))

    def _reader(self) -> None:
        while True:
            try:
                seq, value = self._in.recv()
            except (EOFError, OSError):
                break
            self._replies[seq] = value
            event = self._waiting.get(seq)
            if event is not None:
                event.set()
        if not self._stopping:
            self._gone("its pipe closed")

    def _gone(self, how: str) -> None:
        try:
            rc = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            rc = None
        what = f"killed by signal {-rc}" if rc is not None and rc < 0 else f"exit code {rc}"
        self._died(f"writer process died ({what}; {how})")

    def _died(self, why: str) -> None:
        with self._death_lock:  # the reader and a failed write may both notice
            if self.failed:
                return
            self.failed = why
        log.critical("%s: WARC records and database rows after this point are lost; stopping the crawl "
                     "(its unwritten accounts are 未能核验)", why)
        for event in list(self._waiting.values()):
            event.set()
        for h in list(self._handles):
            h.writer_died(why)


class ProcessHandle:
    """One crawler's writer, as the WARC middleware and the storage pipeline see it (the
    interface of ``spiders.writer.BackgroundWriter``)."""

    mode = "process"
    threaded = True

    def __init__(self, shared: ProcessWriter, crawler):
        self.shared = shared
        self.crawler = crawler
        self._keys: dict[int, int] = {}
        self._closed = False

    def on_idle(self, flush: Callable[[], None]) -> None:
        """Batches are flushed by the writer's own copy of the sink."""

    def attach(self, sink: Any, spec: tuple) -> None:
        key = self.shared.new_key()
        self._keys[id(sink)] = key
        self.shared.put(("open", key, spec))

    def _key(self, job) -> tuple[int, str]:
        return self._keys[id(job.__self__)], job.__name__

    def submit(self, job: Callable[..., Any], *args: Any) -> None:
        self.shared.put(("call", *self._key(job), args))

    def submit_ref(self, job: Callable[..., str | None], *args: Any) -> W.WarcToken:
        number = self.shared.token()
        self.shared.put(("ref", *self._key(job), number, args))
        return W.WarcToken(number)

    def close_sink(self, sink: Any) -> dict[str, int] | None:
        key = self._keys.pop(id(sink), None)
        return None if key is None else self.shared.request(("close", key))

    def flush(self) -> None:
        self.shared.request(("barrier",))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.shared.release(self)
        if self.shared.failed:
            self.writer_died(self.shared.failed)

    def writer_died(self, why: str) -> None:
        """Stop this crawl loudly (from any thread): the child then exits non-zero."""
        spider = getattr(self.crawler, "spider", None)
        if spider is not None and not getattr(spider, "fatal_error", None):
            spider.fatal_error = why
        engine = getattr(self.crawler, "engine", None)
        if spider is None or engine is None or self._closed:
            return
        from twisted.internet import reactor

        reactor.callFromThread(_close_spider, engine, spider)


def _close_spider(engine, spider) -> None:
    if not getattr(engine, "running", False) or getattr(engine, "spider", None) is not spider:
        return
    from scrapy.utils.defer import deferred_from_coro

    d = deferred_from_coro(engine.close_spider_async(reason="writer_failed"))
    d.addErrback(lambda f: log.error("could not stop the crawl after its writer failed: %s", f.value))


# ── writer side ────────────────────────────────────────────────────────────
class _Local(W.BackgroundWriter):
    """The sinks' writer inside the writer process: jobs run as they come; idle flushes run
    when the pipe runs dry (``main``), so batches fill while work is waiting."""

    def __init__(self):
        super().__init__(threaded=False)

    def submit(self, job, *args):
        self._call(job, args)

    def flush_idle(self) -> None:
        self._flush_idle()


def _die_with_parent(parent: int) -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: EOF of the pipe ends us
        pass
    if os.getppid() != parent:
        os._exit(3)


def main(argv: list[str]) -> int:
    parent = os.environ.get("MONITOR_WRITER_PARENT")
    if parent and parent.isdigit():
        _die_with_parent(int(parent))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the crawl, which stops us in order
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the child's SIGTERM stop closes the spiders, then us
    inp = Connection(int(argv[0]), writable=False)
    out = Connection(int(argv[1]), readable=False)
    _, secrets, level = pickle.loads(inp.recv_bytes())
    from spiders.redact import Scrubber, install_log_filter

    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s [%(name)s] %(levelname)s: %(message)s (writer process)")
    install_log_filter(Scrubber(secrets))
    from spiders.gc_tuning import tune_gc

    tune_gc()
    W.written_refs = refs = {}
    local = _Local()
    sinks: dict[int, Any] = {}
    call = W.BackgroundWriter._call
    while True:
        try:
            frame = inp.recv_bytes()
        except EOFError:  # the crawl child went without stopping us: nothing more will come
            local.flush_idle()
            return 0
        message = pickle.loads(frame)
        kind = message[0]
        if kind == "ref":
            _, key, method, number, args = message
            refs[number] = call(getattr(sinks[key], method), args)
        elif kind == "call":
            _, key, method, args = message
            call(getattr(sinks[key], method), args)
        elif kind == "open":
            _, key, (cls, args) = message
            sink = sinks[key] = cls(*args)
            sink.writer = local
            if hasattr(sink, "open_spider"):
                sink.open_spider()
        elif kind == "ask":
            _, number, seq = message
            out.send((seq, refs.get(number)))
        elif kind == "barrier":
            local.flush_idle()
            out.send((message[1], True))
        elif kind == "close":
            _, key, seq = message
            local.flush_idle()
            sink = sinks.pop(key)
            local._idle = [f for f in local._idle if getattr(f, "__self__", None) is not sink]
            closer = getattr(sink, "close_spider", None) or getattr(sink, "spider_closed", None)
            if closer is not None:
                call(closer, ())
            out.send((seq, dict(getattr(sink, "counts", {}) or {})))
        elif kind == "stop":
            local.flush_idle()
            return 0
        if not inp.poll():
            local.flush_idle()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
