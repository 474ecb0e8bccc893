"""Helpers shared by the evidence tests (no tests here): a tiny loopback HTTP server whose
pages a test sets, and hand-made accounts, observations and findings."""
from __future__ import annotations

import asyncio
import gzip
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web

from storage.models import Account, Finding, Observation, Post
from tests.fixtures.core import TZ


class PageServer:
    """aiohttp on 127.0.0.1 in a thread. ``pages[path] = (status, html)``; ``/gzip`` answers
    gzip-encoded; ``/never`` sends half a page and never finishes."""

    def __init__(self):
        self.pages: dict[str, tuple[int, str]] = {
            "/plain": (200, "<html><body><h1>崇川公安</h1></body></html>"),
        }
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/gzip":
            body = gzip.compress("<html><body><p>南通发布 gzip</p></body></html>".encode("utf-8"))
            return web.Response(body=body, headers={"Content-Encoding": "gzip",
                                                    "Content-Type": "text/html; charset=utf-8"})
        if request.path == "/never":
            resp = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
            await resp.prepare(request)
            await resp.write("<html><body><p>加载中……".encode("utf-8"))
            await asyncio.sleep(3600)
            return resp
        status, html = self.pages.get(request.path, (404, "<html><body>404 页面不存在</body></html>"))
        return web.Response(status=status, text=html, content_type="text/html", charset="utf-8")

    def _run(self):
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.1)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._runner = runner
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> "PageServer":
        self._thread.start()
        assert self._ready.wait(10), "page server did not start"
        return self

    def stop(self):
        async def _shutdown():
            await self._runner.cleanup()
        fut = asyncio.run_coroutine_threadsafe(_shutdown(), self._loop)
        try:
            fut.result(5)
        except Exception:
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@pytest.fixture
def page_server():
    srv = PageServer().start()
    yield srv
    srv.stop()


def profile_html(name: str, posts: list[tuple[datetime, str]], pinned: bool = True) -> str:
    """A mobile-style account page: name, then posts with their dates (the first pinned)."""
    items = "".join(
        f'<div class="post"><span class="tag">{"置顶" if pinned and i == 0 else ""}</span>'
        f'<time>{when:%Y-%m-%d %H:%M}</time><p>{text}</p></div>'
        for i, (when, text) in enumerate(posts))
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{name}的微博</title>'
            f'<meta name="viewport" content="width=device-width"></head>'
            f'<body style="font-family: sans-serif; margin: 16px"><h1>{name}</h1>'
            f'<p>微博认证：{name}官方微博</p>{items}</body></html>')


def add_dormant_case(session, at: datetime, *, profile_url: str, capture_ref: str | None,
                     name: str = "崇川公安", uid: str = "1000000002", latest_days: float = 400,
                     state: str = "auto") -> Finding:
    """An account whose newest post is ``latest_days`` old, one ok timeline observation at
    T (citing ``capture_ref``) and the veto.no_update_2w finding resting on it."""
    acc = Account(name=name, platform="weibo", host_unit="南通市公安局崇川分局", district="崇川区",
                  platform_id=uid, profile_url=profile_url, registered_verified=True,
                  opened_on=(at - timedelta(days=2000)).date())
    session.add(acc)
    session.flush()
    latest = at - timedelta(days=latest_days)
    session.add(Post(account_id=acc.id, platform_post_id="4900000000000001", published_at=latest,
                     kind="original", pinned=True, text="置顶：欢迎关注崇川公安",
                     url=f"{profile_url}/4900000000000001", first_seen_at=at, last_seen_at=at))
    obs = Observation(account_id=acc.id, platform="weibo", kind="timeline", outcome="ok",
                      url=profile_url, observed_at=at - timedelta(minutes=30), http_status=200,
                      covered_from=latest, exhaustive=True, request_count=2, capture_ref=capture_ref)
    session.add(obs)
    session.flush()
    start = at - timedelta(days=14)
    finding = Finding(account_id=acc.id, rule="veto.no_update_2w", at=at, window_start=start,
                      window_end=at, state=state,
                      facts={"latest_post_at": latest.isoformat(), "latest_post_url": f"{profile_url}/4900000000000001",
                             "latest_post_id": "4900000000000001", "days_silent": latest_days,
                             "observation_id": obs.id, "window": [start.isoformat(), at.isoformat()],
                             "posts_in_window": 0})
    session.add(finding)
    session.flush()
    return finding


def write_capture(warc_dir, url: str, body: str, status: int = 200, run: str = "7") -> str:
    """Write one exchange with the real WARC middleware (as a crawl would) and return its ref."""
    from scrapy import Request
    from scrapy.http import HtmlResponse

    from spiders.middlewares.warc import WarcWriterMiddleware

    mw = WarcWriterMiddleware(str(warc_dir), run)
    req = Request(url)
    resp = HtmlResponse(url, status=status, body=body.encode("utf-8"),
                        headers={"Content-Type": "text/html; charset=utf-8"}, request=req)
    mw.process_response(req, resp)
    mw.spider_closed()
    return req.meta["warc_ref"]


LATEST_DAYS = 400


def dormant(app, at, page_server, path="/u/1000000002"):
    latest = at - timedelta(days=LATEST_DAYS)
    url = page_server.url + path
    page_server.pages[path] = (200, profile_html("崇川公安", [(latest.astimezone(TZ), "置顶：欢迎关注崇川公安")]))
    ref = write_capture(app.settings.warc_dir, url, page_server.pages[path][1])
    with app.session() as s:
        f = add_dormant_case(s, at, profile_url=url, capture_ref=ref, latest_days=LATEST_DAYS)
        return f.id, latest.astimezone(TZ), url


def flip_byte(path: Path) -> None:
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
