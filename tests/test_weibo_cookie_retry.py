"""A failed visitor-cookie fetch (a slow page under load) is retried soon, not after the
long cool-down, and the Weibo requests waiting meanwhile get the cookies (through Scrapy's
cookie jar, which each set of cookies enters once)."""
from __future__ import annotations

import asyncio

import scrapy
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware

from spiders.middlewares import visitor_cookies as vc


def _mw(monkeypatch, outcomes):
    monkeypatch.setattr(vc, "FAILURE_RETRY", 0.05)
    mw = vc.WeiboVisitorCookies("http://127.0.0.1:9/weibo", cooldown=300.0)

    async def fake_browser():
        await asyncio.sleep(0.01)
        result = outcomes.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    monkeypatch.setattr(mw, "_browser_cookies", fake_browser)
    return mw


def _requests(n):
    return [scrapy.Request(f"http://127.0.0.1:9/weibo/api/container/getIndex?value={i}", meta={"weibo": True})
            for i in range(n)]


def test_a_failed_fetch_is_retried_soon_and_waiting_requests_get_cookies(monkeypatch):
    mw = _mw(monkeypatch, [TimeoutError("page load"), {"SUB": "s", "SUBP": "p"}])

    jar = CookiesMiddleware()

    async def chain(request):
        # As in Scrapy's downloader: the cookie middleware runs right after ours, with no
        # await between them.
        await mw.process_request(request)
        jar.process_request(request)

    async def scenario():
        reqs = _requests(5)
        await asyncio.gather(*(chain(r) for r in reqs[:3]))   # first fetch fails
        assert mw.failures == 1 and not mw.cookies
        await asyncio.gather(*(chain(r) for r in reqs[3:]))   # retried after a short wait
        return reqs

    reqs = asyncio.run(scenario())
    assert mw.launches == 2 and mw.failures == 0
    assert all(r.headers.get("Cookie") in (b"SUB=s; SUBP=p", b"SUBP=p; SUB=s") for r in reqs[3:]), \
        [r.headers.get("Cookie") for r in reqs]
    assert not any(r.headers.get("Cookie") for r in reqs[:3])  # nothing to send while the fetch failed


def test_failed_fetches_stop_after_a_bounded_number_of_launches(monkeypatch):
    mw = _mw(monkeypatch, [TimeoutError("down")] * 10)

    async def scenario():
        for r in _requests(8):
            await mw.process_request(r)

    asyncio.run(scenario())
    assert mw.launches == vc.MAX_FAILED_LAUNCHES
    assert "TimeoutError" in mw.last_error
