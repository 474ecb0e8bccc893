"""The WARC middleware: a real Scrapy crawl (child process, the project's settings) against a
local HTTP server writes records warcio can read, and hands each response a warc_ref that
points at its own response record."""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from monitor.evidence.warc_records import read_ref
from tests.test_evidence_support import page_server  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[1]

SPIDER = textwrap.dedent("""
    import json, sys
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    base, warc_dir, out = sys.argv[1:4]
    refs = {}

    class Probe(scrapy.Spider):
        name = "probe"
        async def start(self):
            for path in ("/plain", "/gzip", "/missing"):
                yield scrapy.Request(base + path, callback=self.parse, dont_filter=True)
        def parse(self, response):
            # The record is written off the event loop: str() waits for its reference.
            refs[response.url] = [response.status, str(response.meta.get("warc_ref")), response.text]

    settings = get_project_settings()
    settings.setdict({"MONITOR_WARC_DIR": warc_dir, "MONITOR_RUN_ID": 42, "LOG_LEVEL": "WARNING",
                      "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "RETRY_ENABLED": False,
                      "ITEM_PIPELINES": {},
                      "OUTBOUND_ALLOW_NETWORKS": ["127.0.0.0/8"]}, priority="cmdline")
    p = CrawlerProcess(settings)
    p.crawl(Probe)
    p.start()
    json.dump(refs, open(out, "w"), ensure_ascii=False)
""")


def test_crawl_writes_readable_warc_records_with_refs(tmp_path, page_server):
    base = page_server.url
    warc_dir = tmp_path / "warc"
    out = tmp_path / "refs.json"
    script = tmp_path / "probe.py"
    script.write_text(SPIDER, encoding="utf-8")
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="spiders.settings", PYTHONPATH=str(REPO))
    r = subprocess.run([sys.executable, str(script), base, str(warc_dir), str(out)], env=env,
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    refs = json.loads(out.read_text(encoding="utf-8"))
    assert refs, r.stderr[-3000:]
    assert set(refs) == {base + "/plain", base + "/gzip", base + "/missing"}

    files = list((warc_dir / "42").glob("probe-*.warc.gz"))
    assert len(files) == 1, files
    # Every record of the file reads back with warcio, with the right target URIs.
    with files[0].open("rb") as fh:
        records = [(rec.rec_type, rec.rec_headers.get_header("WARC-Target-URI"))
                   for rec in ArchiveIterator(fh)]
    assert records[0][0] == "warcinfo"
    for url in refs:
        assert ("response", url) in records and ("request", url) in records

    for url, (status, ref, text) in refs.items():
        assert ref and ref.startswith("42/probe-") and "#" in ref
        rec = read_ref(warc_dir, ref)
        assert rec.rec_type == "response"
        assert rec.target_uri == url
        assert rec.http_status == status
        # The payload as it came off the wire: the gzip page is still gzip-encoded here.
        if url.endswith("/gzip"):
            assert gzip.decompress(rec.payload).decode("utf-8") == text
        else:
            assert rec.payload.decode("utf-8") == text
    assert refs[base + "/missing"][0] == 404
    assert "崇川公安" in refs[base + "/plain"][2]


def test_bodies_above_the_cap_are_cut_and_marked(tmp_path):
    from scrapy import Request
    from scrapy.http import Response

    from spiders.middlewares.warc import WarcWriterMiddleware

    mw = WarcWriterMiddleware(str(tmp_path), None, max_body=1000)
    req = Request("http://127.0.0.1:9/app.apk")
    body = bytes(range(256)) * 40
    mw.process_response(req, Response(req.url, body=body, request=req))
    mw.spider_closed()
    rec = read_ref(tmp_path, req.meta["warc_ref"])
    assert req.meta["warc_ref"].startswith("adhoc/spider-")
    assert rec.payload == body[:1000]
    with (tmp_path / req.meta["warc_ref"].split("#")[0]).open("rb") as fh:
        [truncated] = [r.rec_headers.get_header("WARC-Truncated") for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert truncated == "length"


def test_cookies_tokens_and_passwords_never_reach_a_record(tmp_path):
    """Operator cookies in the request, a session cookie set by the site, an Authorization
    header and a configured token in the URL: all replaced, the record says what it hid."""
    from scrapy import Request
    from scrapy.http import Response

    from spiders.middlewares.warc import WarcWriterMiddleware

    mw = WarcWriterMiddleware(str(tmp_path), 7, secrets=["OPSTOKEN123456", "SUBSECRET987654"])
    req = Request("http://127.0.0.1:9/api/container/getIndex?value=1&key=OPSTOKEN123456",
                  headers={"Cookie": "SUB=SUBSECRET987654; SUBP=0033WrSXqPxfM725Ws9jqgMF55529P9D9W",
                           "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig", "X-Note": "via SUBSECRET987654"})
    resp = Response(req.url, status=200, body=b'{"ok":1}', request=req,
                    headers={"Set-Cookie": ["XSRF-TOKEN=abcdef123456; Path=/; HttpOnly", "_T_WM=98765432101; Max-Age=3600"],
                             "Content-Type": "application/json"})
    mw.process_response(req, resp)
    mw.spider_closed()
    raw = gzip.decompress((tmp_path / req.meta["warc_ref"].split("#")[0]).read_bytes()).decode("latin-1")
    for secret in ("OPSTOKEN123456", "SUBSECRET987654", "0033WrSXqPxfM725Ws9jqgMF55529P9D9W", "eyJhbGciOiJIUzI1NiJ9",
                   "abcdef123456", "98765432101"):
        assert secret not in raw
    # What was set stays readable: which cookie, for how long; the scheme of the credential.
    assert "Set-Cookie: XSRF-TOKEN=REDACTED; Path=/; HttpOnly" in raw and "_T_WM=REDACTED; Max-Age=3600" in raw
    assert "Cookie: SUB=REDACTED; SUBP=REDACTED" in raw and "Authorization: Bearer REDACTED" in raw
    with (tmp_path / req.meta["warc_ref"].split("#")[0]).open("rb") as fh:
        marks = {r.rec_type: r.rec_headers.get_header("WARC-Redacted") for r in ArchiveIterator(fh)
                 if r.rec_type in ("request", "response")}
    assert "Set-Cookie" in marks["response"] and "WARC-Target-URI" in marks["response"]
    assert all(h in marks["request"] for h in ("Cookie", "Authorization", "X-Note", "WARC-Target-URI"))
    assert read_ref(tmp_path, req.meta["warc_ref"]).target_uri.endswith("key=REDACTED")
