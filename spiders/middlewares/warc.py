"""Keep every HTTP exchange of a crawl as WARC records, so a finding can cite the very
response it was decided on (``response.meta["warc_ref"]`` → ``Observation.capture_ref``).

Records go to ``{MONITOR_WARC_DIR}/{run id or 'adhoc'}/{spider}-{pid}.warc.gz``, one gzip
member per record, so a reader can seek straight to a record by its offset. The reference
is ``"{run}/{spider}-{pid}.warc.gz#{offset}"``, relative to the WARC folder, pointing at the
response record; its request record follows it, linked by ``WARC-Concurrent-To``.

Sits next to the downloader (priority above HttpCompressionMiddleware), so the payload is
the body as it came off the wire (still content-encoded), which is what WARC archives.
Bodies above ``MONITOR_WARC_MAX_BODY`` bytes are cut and marked ``WARC-Truncated: length``.

The loop only captures the exchange (``Exchange``: URLs, status line, header lists, bodies)
and hands it to the crawl's writer (``spiders.writer``), which builds, compresses and writes
the records — in the writer process by default, so the event loop hands out a placeholder
at once (a ``WarcToken``; a ``PendingRef`` on a writer thread) and the row citing it gets the
final string when the same writer writes it, after the record. Built without a crawler
(tests, tools) the writer runs inline and the reference is a string at once.

Secrets never reach a record (packages built from these records go to third parties): the
values of ``Cookie``, ``Set-Cookie`` and ``Authorization`` headers are replaced (cookie names
and attributes kept), the configured secret values (``MONITOR_SECRET_VALUES``: cookies,
tokens, passwords) are replaced wherever they appear in a header or the target URI, and
each record that was changed says so in a ``WARC-Redacted`` field naming what was hidden.
"""
from __future__ import annotations

import io
import logging
import os
import zlib
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from spiders.redact import SECRET_HEADERS, Scrubber, redact_header
from spiders.writer import BackgroundWriter, resolved, writer_for

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY = 20 * 1024 * 1024
GZIP_LEVEL = 6
# Scrapy has already removed the chunked framing: keep the header for the record, renamed
# the way pywb does, so readers do not try to de-chunk a body that is not chunked.
_RENAMED = {b"transfer-encoding"}


class Exchange(NamedTuple):
    """One HTTP exchange as captured on the loop: plain values, cheap to take and to pickle
    (the writer process builds the records from them)."""

    request_url: str
    method: str
    request_headers: list
    request_body: bytes
    url: str
    status: int
    reason: str
    protocol: str
    headers: list
    body: bytes  # cut to the cap already
    truncated: bool
    ip: str | None


class _GzipMembers:
    """The WARC file as warcio writes to it, one gzip member per record (warcio's own
    wrapper compresses at level 9: level 6 costs about 30% less time for +0.4% size)."""

    def __init__(self, fh, level: int = GZIP_LEVEL):
        self.fh, self.level = fh, level
        self._z = None

    def write(self, data) -> None:
        if self._z is None:
            self._z = zlib.compressobj(self.level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.fh.write(self._z.compress(data))

    def flush(self) -> None:  # warcio flushes once at the end of each record
        if self._z is not None:
            self.fh.write(self._z.flush())
            self._z = None
        self.fh.flush()  # a crawl killed by its timeout still leaves readable records

    def tell(self) -> int:
        return self.fh.tell()


def _headers(pairs, scrub: Scrubber, redacted: list[str]) -> list[tuple[str, str]]:
    """The headers as archived: credential values replaced, the names of what was hidden
    collected in ``redacted``."""
    out = []
    for key, values in pairs:
        name = key.decode("latin-1")
        if key.lower() in _RENAMED:
            name = "X-Archive-Orig-" + name
        for v in values:
            value = v.decode("latin-1")
            shown = redact_header(name, value) if name.lower() in SECRET_HEADERS else scrub.text(value)
            if shown != value:
                redacted.append(name)
            out.append((name, shown))
    return out


def _redacted_field(names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    return {"WARC-Redacted": "values of " + ", ".join(dict.fromkeys(names)) + " replaced by REDACTED (secrets)"}


class WarcWriterMiddleware:
    """On the loop: capture each exchange and hand it to the crawl's writer. In the writer
    (the same object in "inline"/"thread" mode, a copy built from ``sink_spec`` in the
    writer process): build and write the records."""

    def __init__(self, warc_dir: str, run_id, max_body: int = DEFAULT_MAX_BODY, secrets=(), pid: int | None = None):
        self.scrub = Scrubber(secrets)
        self.secrets = list(secrets)
        self.root = Path(warc_dir)
        self.run_id = run_id
        self.run_dir = str(run_id) if run_id else "adhoc"
        self.max_body = max_body
        self.pid = pid or os.getpid()  # the crawl child's, whichever process writes
        self._fh = None
        self._writer: WARCWriter | None = None
        self._relpath = ""
        self.crawler = None
        self.writer = BackgroundWriter(threaded=False)

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        s = crawler.settings
        mw = cls(s.get("MONITOR_WARC_DIR") or "var/warc", s.get("MONITOR_RUN_ID"),
                 s.getint("MONITOR_WARC_MAX_BODY", DEFAULT_MAX_BODY), s.getlist("MONITOR_SECRET_VALUES") or [])
        mw.crawler = crawler
        mw.writer = writer_for(crawler)
        mw.writer.attach(mw, (cls, (str(mw.root), mw.run_id, mw.max_body, mw.secrets, mw.pid)))
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _open(self, spider_name: str) -> None:
        self._relpath = f"{self.run_dir}/{spider_name}-{self.pid}.warc.gz"
        path = self.root / self._relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "ab")
        self._writer = WARCWriter(_GzipMembers(self._fh), gzip=False, warc_version="1.1")
        if self._fh.tell() == 0:
            self._writer.write_record(self._writer.create_warcinfo_record(
                path.name, {"software": "gov-newmedia-monitor spiders (warcio)", "format": "WARC File Format 1.1",
                            "isPartOf": self.run_dir}))

    def capture(self, request, response) -> Exchange:
        body = response.body
        truncated = len(body) > self.max_body
        if truncated:
            body = body[: self.max_body]
        ip = getattr(response, "ip_address", None)
        return Exchange(request.url, request.method, list(request.headers.items()), request.body or b"",
                        response.url, response.status, (getattr(response, "reason", None) or "").strip(),
                        (getattr(response, "protocol", None) or "HTTP/1.1").upper(),
                        list(response.headers.items()), body, truncated, None if ip is None else str(ip))

    def process_response(self, request, response, spider=None):
        # Scrapy ≥ 2.13 no longer passes the spider to downloader middlewares.
        spider = spider or getattr(self.crawler, "spider", None)
        ref = self.writer.submit_ref(self.write_exchange, self.capture(request, response),
                                     getattr(spider, "name", None) or "spider")
        # response.meta is request.meta once Scrapy ties the two together.
        if ref is not None:
            request.meta["warc_ref"] = ref
        else:
            request.meta.pop("warc_ref", None)
        return response

    def record(self, request, response, spider_name: str) -> str | None:
        """Archive an exchange made outside Scrapy's downloader (a browser's) through the
        crawl's writer, in order with the rest; its reference (None: the write failed)."""
        return resolved(self.writer.submit_ref(self.write_exchange, self.capture(request, response), spider_name))

    def write_exchange(self, exchange: Exchange, spider_name: str) -> str | None:
        try:
            return self._write(exchange, spider_name)
        except OSError as exc:  # a full disk must not stop the crawl; the observation just lacks a ref
            log.error("WARC write failed for %s: %s", self.scrub.text(exchange.url), exc)
            return None

    def _write(self, x: Exchange, spider_name: str) -> str:
        if self._writer is None:
            self._open(spider_name)
        w = self._writer
        warc_headers = {"WARC-Truncated": "length"} if x.truncated else {}
        status_line = f"{x.status} {x.reason}".strip()
        hidden: list[str] = []
        http = StatusAndHeaders(status_line, _headers(x.headers, self.scrub, hidden), protocol=x.protocol)
        response_url = self.scrub.text(x.url)
        if response_url != x.url:
            hidden.append("WARC-Target-URI")
        warc_headers.update(_redacted_field(hidden))
        if x.ip is not None:
            warc_headers["WARC-IP-Address"] = x.ip
        # BytesIO over bytes shares them (no copy) and is seekable, so warcio digests the
        # body in place instead of copying it into a temporary file first.
        resp_rec = w.create_warc_record(response_url, "response", payload=io.BytesIO(x.body),
                                        length=len(x.body), http_headers=http,
                                        warc_headers_dict=warc_headers)

        request_url = self.scrub.text(x.request_url)
        parts = urlsplit(request_url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_hidden = ["WARC-Target-URI"] if request_url != x.request_url else []
        req_headers = _headers(x.request_headers, self.scrub, req_hidden)
        if not any(k.lower() == "host" for k, _ in req_headers):
            req_headers.insert(0, ("Host", parts.netloc))
        req_http = StatusAndHeaders(f"{x.method} {target} {x.protocol}", req_headers,
                                    protocol=x.protocol, is_http_request=True)
        req_body = x.request_body
        if self.scrub and req_body:  # our own request bodies (a login form, a token in a POST)
            clean = self.scrub.text(req_body.decode("latin-1")).encode("latin-1")
            if clean != req_body:
                req_body = clean
                req_hidden.append("request body")
        req_rec = w.create_warc_record(request_url, "request", payload=io.BytesIO(req_body),
                                       length=len(req_body), http_headers=req_http,
                                       warc_headers_dict={"WARC-Concurrent-To": resp_rec.rec_headers.get_header("WARC-Record-ID"),
                                                          **_redacted_field(req_hidden)})
        offset = self._fh.tell()
        w.write_record(resp_rec)
        w.write_record(req_rec)
        return f"{self._relpath}#{offset}"

    def spider_closed(self, spider=None):
        self.writer.submit(self._close)
        self.writer.flush()

    def _close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = self._writer = None
