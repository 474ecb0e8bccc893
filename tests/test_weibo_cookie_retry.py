"""A failed visitor-cookie fetch (a slow page under load) is retried soon, not after the
long cool-down, and the Weibo requests waiting meanwhile get the cookies."""
from __future__ import annotations

import asyncio

import scrapy

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

    async def scenario():
        reqs = _requests(5)
        await asyncio.gather(*(mw.process_request(r) for r in reqs[:3]))   # first fetch fails
        assert mw.failures == 1 and not mw.cookies
        await asyncio.gather(*(mw.process_request(r) for r in reqs[3:]))   # retried after a short wait
        return reqs

    reqs = asyncio.run(scenario())
    assert mw.launches == 2 and mw.failures == 0
    assert all(r.cookies == {"SUB": "s", "SUBP": "p"} for r in reqs[3:])


def test_failed_fetches_stop_after_a_bounded_number_of_launches(monkeypatch):
    mw = _mw(monkeypatch, [TimeoutError("down")] * 10)

    async def scenario():
        for r in _requests(8):
            await mw.process_request(r)

    asyncio.run(scenario())
    assert mw.launches == vc.MAX_FAILED_LAUNCHES
    assert "TimeoutError" in mw.last_error
