"""A failed visitor-cookie fetch (a slow page under load) is retried soon, not after the
long cool-down, and the Weibo requests waiting meanwhile get the cookies (through Scrapy's
cookie jar, which each set of cookies enters once)."""
from __future__ import annotations

import asyncio

import scrapy
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware

from spiders.middlewares import visitor_cookies as vc


def _fake_browser(outcomes):
    async def fake_browser():
        await asyncio.sleep(0.01)
        result = outcomes.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    return fake_browser


def _mw(monkeypatch, outcomes):
    monkeypatch.setattr(vc, "FAILURE_RETRY", 0.05)
    mw = vc.WeiboVisitorCookies("http://127.0.0.1:9/weibo", cooldown=300.0)
    monkeypatch.setattr(mw, "_browser_cookies", _fake_browser(outcomes))
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


def _crawler_mw(monkeypatch, outcomes):
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(scrapy.Spider, {"WEIBO_BASE_URL": "http://127.0.0.1:9/weibo"})
    mw = vc.WeiboVisitorCookies.from_crawler(crawler)
    monkeypatch.setattr(mw, "_browser_cookies", _fake_browser(outcomes))
    return crawler, mw


def _scheduled(crawler, request):
    from scrapy import signals

    crawler.signals.send_catch_log(signal=signals.request_scheduled, request=request, spider=None)


def test_the_browser_starts_when_the_first_weibo_request_is_scheduled(monkeypatch):
    """The cookies are being fetched while the first requests wait in the queues; the first
    request to reach the middleware waits for that one fetch, not a second."""
    crawler, mw = _crawler_mw(monkeypatch, [{"SUB": "s", "SUBP": "p"}])

    async def scenario():
        feed = scrapy.Request("http://127.0.0.1:9/wewe-rss/feeds/1.atom")
        _scheduled(crawler, feed)
        assert mw._warming is None  # not a Weibo request: no browser
        first, second = _requests(2)
        _scheduled(crawler, first)
        _scheduled(crawler, second)
        assert mw._warming is not None and not mw._warming.done()
        await asyncio.sleep(0)  # the queues: the fetch is under way before the request arrives
        await mw.process_request(first)
        assert mw._warming.done()
        await mw.process_request(second)
        return first, second

    first, second = asyncio.run(scenario())
    assert mw.launches == 1 and mw.cookies == {"SUB": "s", "SUBP": "p"}
    assert first.meta["weibo_cookie_generation"] == second.meta["weibo_cookie_generation"] == 1


def test_no_weibo_request_no_browser_and_operator_cookies_never_start_one(monkeypatch):
    crawler, mw = _crawler_mw(monkeypatch, [{"SUB": "s", "SUBP": "p"}])

    async def scenario():
        for n in range(3):
            _scheduled(crawler, scrapy.Request(f"http://127.0.0.1:9/wechat/s/{n}"))

    asyncio.run(scenario())
    assert mw.launches == 0 and mw._warming is None

    from scrapy.utils.test import get_crawler

    crawler = get_crawler(scrapy.Spider, {"WEIBO_COOKIES": "SUB=op; SUBP=op"})
    mw = vc.WeiboVisitorCookies.from_crawler(crawler)

    async def operator():
        _scheduled(crawler, _requests(1)[0])

    asyncio.run(operator())
    assert mw.launches == 0 and mw._warming is None and mw.cookies == {"SUB": "op", "SUBP": "op"}
