"""Keep every HTTP exchange of a crawl as WARC records, so a finding can cite the very
response it was decided on (``response.meta["warc_ref"]`` → ``Observation.capture_ref``).

Records go to ``{MONITOR_WARC_DIR}/{run id or 'adhoc'}/{spider}-{pid}.warc.gz``, one gzip
member per record, so a reader can seek straight to a record by its offset. The reference
is ``"{run}/{spider}-{pid}.warc.gz#{offset}"``, relative to the WARC folder, pointing at the
response record; its request record follows it, linked by ``WARC-Concurrent-To``.

Sits next to the downloader (priority above HttpCompressionMiddleware), so the payload is
the body as it came off the wire (still content-encoded), which is what WARC archives.
The body Scrapy already holds is written through a memoryview: no copy is made, and bodies
above ``MONITOR_WARC_MAX_BODY`` bytes are cut there and marked ``WARC-Truncated: length``.

Building, compressing and writing the records happens on the crawl's writer thread
(``spiders.writer``; zlib releases the GIL there), so the event loop hands out a
``PendingRef`` at once; the storage pipeline, on the same thread and after the record,
writes its final string. Built without a crawler (tests, tools) the writer runs inline.

Secrets never reach a record (packages built from these records go to third parties): the
values of ``Cookie``, ``Set-Cookie`` and ``Authorization`` headers are replaced (cookie names
and attributes kept), the configured secret values (``MONITOR_SECRET_VALUES``: cookies,
tokens, passwords) are replaced wherever they appear in a header or the target URI, and
each record that was changed says so in a ``WARC-Redacted`` field naming what was hidden.
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from spiders.redact import SECRET_HEADERS, Scrubber, redact_header
from spiders.writer import BackgroundWriter, PendingRef, writer_for

DEFAULT_MAX_BODY = 20 * 1024 * 1024
# Scrapy has already removed the chunked framing: keep the header for the record, renamed
# the way pywb does, so readers do not try to de-chunk a body that is not chunked.
_RENAMED = {b"transfer-encoding"}


class _ViewReader(io.RawIOBase):
    """Reads a slice of a body Scrapy already holds, chunk by chunk, without copying it whole
    (``BytesIO(memoryview)`` would copy)."""

    def __init__(self, view: memoryview):
        self._view, self._pos = view, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = min(len(buf), len(self._view) - self._pos)
        buf[:n] = self._view[self._pos:self._pos + n]
        self._pos += n
        return n


def _headers(scrapy_headers, scrub: Scrubber, redacted: list[str]) -> list[tuple[str, str]]:
    """The headers as archived: credential values replaced, the names of what was hidden
    collected in ``redacted``."""
    out = []
    for key, values in scrapy_headers.items():
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
    def __init__(self, warc_dir: str, run_id, max_body: int = DEFAULT_MAX_BODY, secrets=()):
        self.scrub = Scrubber(secrets)
        self.root = Path(warc_dir)
        self.run_dir = str(run_id) if run_id else "adhoc"
        self.max_body = max_body
        self._fh = None
        self._writer: WARCWriter | None = None
        self._relpath = ""
        self.crawler = None
        self.writer = BackgroundWriter(threaded=False)

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        mw = cls(s.get("MONITOR_WARC_DIR") or "var/warc", s.get("MONITOR_RUN_ID"),
                 s.getint("MONITOR_WARC_MAX_BODY", DEFAULT_MAX_BODY), s.getlist("MONITOR_SECRET_VALUES") or [])
        mw.crawler = crawler
        mw.writer = writer_for(crawler)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def _open(self, spider_name: str) -> None:
        self._relpath = f"{self.run_dir}/{spider_name}-{os.getpid()}.warc.gz"
        path = self.root / self._relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(path, "ab")
        self._writer = WARCWriter(self._fh, gzip=True, warc_version="1.1")
        if self._fh.tell() == 0:
            self._writer.write_record(self._writer.create_warcinfo_record(
                path.name, {"software": "gov-newmedia-monitor spiders (warcio)", "format": "WARC File Format 1.1",
                            "isPartOf": self.run_dir}))

    def process_response(self, request, response, spider=None):
        # Scrapy ≥ 2.13 no longer passes the spider to downloader middlewares.
        spider = spider or getattr(self.crawler, "spider", None)
        ref = PendingRef()
        self.writer.submit(self._write_ref, ref, request, response, spider)
        # response.meta is request.meta once Scrapy ties the two together.
        request.meta["warc_ref"] = ref.result(0) if not self.writer.threaded else ref
        if request.meta["warc_ref"] is None:
            del request.meta["warc_ref"]
        return response

    def _write_ref(self, ref: PendingRef, request, response, spider) -> None:
        try:
            ref.set(self._write(request, response, getattr(spider, "name", None) or "spider"))
        except OSError as exc:  # a full disk must not stop the crawl; the observation just lacks a ref
            ref.set(None)
            if spider is not None:
                spider.logger.error("WARC write failed for %s: %s", response.url, exc)
        except BaseException:
            ref.set(None)
            raise

    def record(self, request, response, spider_name: str) -> str:
        """Archive an exchange made outside Scrapy's downloader (a browser's); its reference."""
        return self._write(request, response, spider_name)

    def _write(self, request, response, spider_name: str) -> str:
        if self._writer is None:
            self._open(spider_name)
        w = self._writer
        body = response.body
        warc_headers = {}
        view = memoryview(body)
        if len(body) > self.max_body:
            view = view[: self.max_body]
            warc_headers["WARC-Truncated"] = "length"
        reason = (getattr(response, "reason", None) or "").strip()
        status_line = f"{response.status} {reason}".strip()
        protocol = (getattr(response, "protocol", None) or "HTTP/1.1").upper()
        hidden: list[str] = []
        http = StatusAndHeaders(status_line, _headers(response.headers, self.scrub, hidden), protocol=protocol)
        response_url = self.scrub.text(response.url)
        if response_url != response.url:
            hidden.append("WARC-Target-URI")
        warc_headers.update(_redacted_field(hidden))
        ip = getattr(response, "ip_address", None)
        if ip is not None:
            warc_headers["WARC-IP-Address"] = str(ip)
        resp_rec = w.create_warc_record(response_url, "response", payload=_ViewReader(view),
                                        length=len(view), http_headers=http,
                                        warc_headers_dict=warc_headers)

        request_url = self.scrub.text(request.url)
        parts = urlsplit(request_url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_hidden = ["WARC-Target-URI"] if request_url != request.url else []
        req_headers = _headers(request.headers, self.scrub, req_hidden)
        if not any(k.lower() == "host" for k, _ in req_headers):
            req_headers.insert(0, ("Host", parts.netloc))
        req_http = StatusAndHeaders(f"{request.method} {target} {protocol}", req_headers,
                                    protocol=protocol, is_http_request=True)
        req_body = request.body or b""
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
        self._fh.flush()  # a crawl killed by its timeout still leaves readable records
        return f"{self._relpath}#{offset}"

    def spider_closed(self, spider=None):
        self.writer.submit(self._close)
        self.writer.flush()

    def _close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = self._writer = None
