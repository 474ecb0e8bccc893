"""Open a public profile page in Chromium and keep the JSON answers the page itself loads.

The platforms sign their list APIs (抖音/头条 ``a_bogus``, 快手 ``NS_sig3``) in the page's
script; we never compute a signature — loading the page makes the page ask, and we read its
answers (what RSSHub's 抖音 and 快手 routes do with Puppeteer/Playwright). One browser per
crawl, one fresh context per account; images, media and fonts are not loaded. The browser
goes through the outbound-policy proxy like every other browser of the product.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Callable

from spiders.netpolicy import NetPolicy
from spiders.policyproxy import PolicyProxy
from spiders.weibo.client import BROWSER_ARGS

DESKTOP_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")
_SKIPPED = {"image", "media", "font"}
# What the platforms' verification pages say (抖音's 验证码中间页, 快手/头条 slider pages).
CAPTCHA_MARKS = ("验证码中间页", "安全验证", "请完成下列验证", "captcha", "verifycenter", "验证后继续")


@dataclass
class Answer:
    url: str
    method: str
    status: int
    headers: dict[str, str]
    body: bytes
    request_headers: dict[str, str]
    post_data: bytes | None = None


@dataclass
class Visit:
    url: str
    final_url: str | None = None
    status: int | None = None  # the page's own HTTP status
    title: str = ""
    captcha: bool = False
    answers: list[Answer] = field(default_factory=list)
    requests: int = 0  # every request the page made (what the platform saw)
    seconds: float = 0.0
    error: str | None = None


class ProfileBrowser:
    def __init__(self, chromium_path: str, policy: NetPolicy, timeout: float = 30.0,
                 user_agent: str | None = None):
        self.chromium_path = chromium_path
        self.policy = policy
        self.timeout = timeout
        self.user_agent = user_agent or DESKTOP_UA
        self._pw = self._browser = self._proxy = None
        self.page_loads = 0

    async def _ensure(self):
        if self._browser is None:
            from playwright.async_api import async_playwright

            self._proxy = await PolicyProxy(self.policy).astart()
            self._pw = await async_playwright().start()
            self._browser = await self._pw.chromium.launch(
                executable_path=self.chromium_path, args=BROWSER_ARGS, headless=True,
                proxy=self._proxy.playwright(), timeout=self.timeout * 1000)
        return self._browser

    async def close(self) -> None:
        for closing in (self._browser, self._pw):
            if closing is not None:
                try:
                    await (closing.close() if closing is self._browser else closing.stop())
                except Exception:  # a crashed browser is gone anyway
                    pass
        if self._proxy is not None:
            await self._proxy.aclose()
        self._pw = self._browser = self._proxy = None

    async def visit(self, url: str, wanted: Callable[[str], bool], done: Callable[[list[Answer]], bool]) -> Visit:
        """Load ``url``; keep answers whose URL ``wanted`` accepts, until ``done`` says the
        page has given what we need or the timeout passes."""
        visit = Visit(url)
        started = time.monotonic()
        try:
            browser = await self._ensure()
        except Exception as exc:
            visit.error = f"browser_error: Chromium did not start ({exc!r})"[:300]
            return visit
        context = await browser.new_context(user_agent=self.user_agent, locale="zh-CN",
                                            timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
        pending: set[asyncio.Task] = set()
        try:
            page = await context.new_page()

            async def route(r):
                if r.request.resource_type in _SKIPPED:
                    await r.abort()
                else:
                    await r.continue_()

            await page.route("**/*", route)

            def on_request(_):
                visit.requests += 1

            async def keep(response):
                try:
                    body = await response.body()
                except Exception:  # the page navigated away; the answer is gone
                    body = b""
                req = response.request
                visit.answers.append(Answer(response.url, req.method, response.status, dict(await response.all_headers()),
                                            body, dict(await req.all_headers()), req.post_data_buffer))

            def on_response(response):
                if wanted(response.url):
                    task = asyncio.ensure_future(keep(response))
                    pending.add(task)
                    task.add_done_callback(pending.discard)

            page.on("request", on_request)
            page.on("response", on_response)
            self.page_loads += 1
            main = await page.goto(url, wait_until="domcontentloaded", timeout=self.timeout * 1000)
            visit.status = main.status if main else None
            deadline = started + self.timeout
            while time.monotonic() < deadline:
                await asyncio.sleep(0.1)
                if pending:
                    continue
                if done(visit.answers):
                    break
                text = await _page_text(page)
                if any(mark.lower() in text.lower() for mark in CAPTCHA_MARKS):
                    visit.captcha = True
                    break
            if pending:
                await asyncio.wait(pending, timeout=2)
            visit.final_url = page.url
            visit.title = (await page.title()) or ""
            if not visit.captcha:
                text = await _page_text(page)
                visit.captcha = any(mark.lower() in text.lower() for mark in CAPTCHA_MARKS) and not done(visit.answers)
        except Exception as exc:
            visit.error = f"browser_error: {type(exc).__name__}: {exc}"[:300]
        finally:
            await context.close()
            visit.seconds = round(time.monotonic() - started, 3)
        return visit


async def _page_text(page) -> str:
    try:
        return (await page.title() or "") + " " + page.url + " " + (
            await page.evaluate("() => document.body ? document.body.innerText.slice(0, 2000) : ''"))
    except Exception:  # mid-navigation
        return ""
