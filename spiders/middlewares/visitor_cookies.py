"""Weibo visitor cookies and "slow down" handling for requests marked ``meta["weibo"]``.

m.weibo.cn answers HTTP 432 without visitor cookies (``SUB``/``SUBP``). They are obtained
the way RSSHub does (research §1.3): a real browser (Debian Chromium through Playwright)
loads the site's home page, goes through the visitor system's JavaScript, and we read the
cookies it was given. They are put on every Weibo request (Scrapy's cookie jar keeps them).

- The browser starts when the first Weibo request is scheduled, so it runs while the
  night's first requests queue up; no Weibo request, no browser.
- Renewal on 432 or ``ok:-100``: one retry per request with renewed cookies. Concurrent
  failures share one renewal (a generation counter), and a browser is launched at most
  once per ``WEIBO_COOKIE_COOLDOWN`` seconds, so a wall of 432s never becomes a storm of
  browser launches; inside the cool-down the 432 goes to the spider (``blocked``).
- ``meta["weibo_fresh_cookies"]``: the spider's one retry after an ``ok:0 这里还没有内容``
  placeholder; cookies younger than the cool-down count as fresh, older ones are renewed.
- Operator cookies (``WEIBO_COOKIES``, "SUB=…; SUBP=…") replace the browser; they cannot be
  renewed, and their values are never logged.
- ``meta["weibo_renew_cookies"]``: the spider's one retry after an ``ok:1`` page without
  posts for an account that has posts (an expired visitor session answers that way). The
  cookies are renewed even inside the cool-down, but at most ``FORCED_RENEWALS`` times per
  crawl and once per cookie generation, so a visibility limit never becomes a launch storm.
- ``meta["weibo_keep_cookies_on_login_wall"]``: a deeper page's ``ok:-100`` is the visitor
  page limit; it goes to the spider (partial coverage) without a renewal.
- HTTP 418 and ``{"ok":0,"msg":"访问频次过高…"}`` ("slow down"): the retried request
  (Scrapy's RetryMiddleware for 418, the spider for the message) waits
  ``WEIBO_418_BACKOFF·2ⁿ`` seconds, and every Weibo request is spaced by an interval that
  doubles on each slow-down and decays on each success.
- The browser: Chromium with ``--disable-blink-features=AutomationControlled`` (headless
  Chromium otherwise reports ``navigator.webdriver``, which the visitor system checks) and an
  iPhone user agent, as the maintained clients launch it; the whole cookie jar it ends with
  is kept (432 waves of 2025 were fixed by keeping every cookie, not only SUB/SUBP).

Priority 560: after RetryMiddleware (550) sees responses, before CookiesMiddleware (700)
sees requests.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Optional

from spiders import fastjson
from spiders.weibo.client import BROWSER_ARGS, IPHONE_UA
from spiders.weibo.payload import is_rate_limit_message

logger = logging.getLogger(__name__)

FORCED_RENEWALS = 3


def parse_cookie_string(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (text or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            out[name.strip()] = value.strip()
    return out


def is_rate_limited(body: bytes) -> bool:
    """The HTTP-200 form of "slow down": ``{"ok":0,"msg":"访问频次过高…"}``."""
    if b'"ok"' not in body[:200] or len(body) > 4000:
        return False
    try:
        payload = fastjson.loads(body)
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("ok") != 1 and is_rate_limit_message(payload.get("msg"))


def is_login_required(body: bytes) -> bool:
    if b'"ok"' not in body[:200] or b"-100" not in body[:200]:
        return False
    try:
        return fastjson.loads(body).get("ok") == -100
    except (ValueError, AttributeError):
        return False


@contextlib.asynccontextmanager
async def _stopping(manager):
    try:
        yield manager
    finally:
        await manager.stop()


# A failed browser fetch is retried after 15 s, 30 s, 60 s … (capped at the cool-down),
# at most this many times in a row per crawl.
FAILURE_RETRY = 15.0
MAX_FAILED_LAUNCHES = 4


class WeiboVisitorCookies:
    def __init__(self, base_url: str, operator_cookies: str = "", cooldown: float = 300.0,
                 chromium_path: str = "/usr/bin/chromium", user_agent: Optional[str] = None,
                 backoff: float = 2.5, browser_timeout: float = 30.0):
        self.home = base_url.rstrip("/") + "/"
        self.cookies: dict[str, str] = parse_cookie_string(operator_cookies)
        self.operator = bool(self.cookies)
        self.cooldown = cooldown
        self.chromium_path = chromium_path
        self.user_agent = user_agent
        self.backoff = backoff
        self.browser_timeout = browser_timeout
        self.generation = 1 if self.operator else 0
        self._in_jar = -1  # the generation of cookies last handed to Scrapy's jar
        self.obtained_at: Optional[float] = time.monotonic() if self.operator else None
        self.last_attempt: Optional[float] = None
        self.last_error: Optional[str] = None
        self.launches = 0
        self.failures = 0  # failed browser fetches in a row
        self.forced = 0  # renewals inside the cool-down (expired sessions)
        self._forced_generation = -1
        self.interval = 0.0
        self._next_slot = 0.0
        self._last_slowdown = float("-inf")
        self._lock: Optional[asyncio.Lock] = None

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals

        s = crawler.settings
        mw = cls(s.get("WEIBO_BASE_URL", "https://m.weibo.cn"), s.get("WEIBO_COOKIES", "") or "",
                 s.getfloat("WEIBO_COOKIE_COOLDOWN", 300.0), s.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                 s.get("WEIBO_USER_AGENT") or IPHONE_UA, s.getfloat("WEIBO_418_BACKOFF", 2.5),
                 s.getfloat("DOWNLOAD_TIMEOUT", 30.0))
        if not mw.operator:
            mw._signals = crawler.signals
            crawler.signals.connect(mw._warm_up, signal=signals.request_scheduled)
        return mw

    # ── warm-up ─────────────────────────────────────────────────────────────
    _signals = None
    _warming: Optional[asyncio.Task] = None

    def _warm_up(self, request, spider=None) -> None:
        """The first Weibo request entering the scheduler starts the browser: it then runs
        while that request and its followers wait their turn in the queues (≈1 s of a
        night's start, issue 24), not after the first one reaches this middleware. Only
        once: the handler disconnects itself, so later requests pay nothing for it."""
        if not request.meta.get("weibo"):
            return
        from scrapy import signals

        self._signals.disconnect(self._warm_up, signal=signals.request_scheduled)
        if self.generation == 0:
            # Kept: the event loop holds only a weak reference to a task.
            self._warming = asyncio.ensure_future(self.renew(0, "first Weibo request"))

    # ── requests ────────────────────────────────────────────────────────────
    async def process_request(self, request, spider=None):
        if not request.meta.get("weibo"):
            return None
        await self._pace(request)
        if not self.operator:
            if not self.cookies and self.failures < MAX_FAILED_LAUNCHES:
                # No cookies yet, or the last fetch failed and another try is due soon: wait
                # for it rather than sending a request that can only be refused.
                # (While a fetch is under way, renew() simply waits for it on the lock.)
                delay = self._next_attempt_at() - time.monotonic() if self.last_error else 0
                if delay > 0:
                    await asyncio.sleep(delay)
                await self.renew(self.generation, "first Weibo request" if self.generation == 0
                                 else f"retry after a failed fetch ({self.last_error})")
            elif request.meta.get("weibo_renew_cookies"):
                seen = request.meta.get("weibo_cookie_generation", self.generation)
                if not await self.renew(seen, "ok:1 without posts for an account with posts (expired session?)",
                                        force=True):
                    request.meta["weibo_cookie_note"] = ("visitor cookies not renewed: "
                                                         + (self.last_error or "renewal budget of this crawl spent"))
            elif request.meta.get("weibo_fresh_cookies") and not self._fresh():
                await self.renew(self.generation, "placeholder answer, retry with fresh cookies")
        elif request.meta.get("weibo_renew_cookies"):
            request.meta["weibo_cookie_note"] = "operator cookies (WEIBO_COOKIES) cannot be renewed: update them"
        if self.cookies and self._in_jar != self.generation:
            # Into Scrapy's cookie jar once per set: the jar puts them on every Weibo request
            # after this one (re-adding them each time cost ~0.2 ms of CPU per request: parsing,
            # a public-suffix lookup, the jar's policy checks). This request reaches the cookie
            # middleware before any later one does: nothing between here and there awaits.
            # Path "/": the jar would otherwise scope them to this request's folder (/api/…).
            request.cookies = [{"name": k, "value": v, "path": "/"} for k, v in self.cookies.items()]
            self._in_jar = self.generation
        request.meta["weibo_cookie_generation"] = self.generation
        if self.last_error and not self.cookies:
            request.meta["weibo_cookie_note"] = f"visitor cookies unavailable: {self.last_error}"
        return None

    async def _pace(self, request) -> None:
        now = time.monotonic()
        backoff = request.meta.pop("weibo_backoff", None)
        if backoff:
            request.meta["weibo_not_before"] = now + backoff
        wait_until = max(request.meta.get("weibo_not_before", 0.0), now)
        if self.interval > 0:
            slot = max(self._next_slot, now)
            self._next_slot = slot + self.interval
            wait_until = max(wait_until, slot)
        if wait_until > now:
            await asyncio.sleep(wait_until - now)

    # ── responses ───────────────────────────────────────────────────────────
    async def process_response(self, request, response, spider=None):
        if not request.meta.get("weibo"):
            return response
        if response.status in (418, 429) or (response.status == 200 and is_rate_limited(response.body)):
            retries = request.meta.get("retry_times", 0)
            now = time.monotonic()
            request.meta["weibo_not_before"] = now + self.backoff * (2 ** retries)
            # One burst of concurrent 418s is one "slow down", not many.
            if now - self._last_slowdown > max(self.interval, self.backoff):
                self.interval = min(max(self.interval * 2, 0.1), 10.0)
                self._last_slowdown = now
            return response
        login_wall = response.status == 200 and is_login_required(response.body)
        if login_wall and request.meta.get("weibo_keep_cookies_on_login_wall"):
            return response
        wall = response.status == 432 or login_wall
        if not wall:
            if response.status == 200 and self.interval:
                self.interval = 0.0 if self.interval < 0.05 else self.interval * 0.8
            return response
        if self.operator:
            request.meta["weibo_cookie_note"] = "operator cookies (WEIBO_COOKIES) rejected: update them"
            return response
        if request.meta.get("weibo_cookie_retry"):
            request.meta["weibo_cookie_note"] = "still refused after renewing visitor cookies"
            return response
        renewed = await self.renew(request.meta.get("weibo_cookie_generation", 0), f"HTTP {response.status}")
        if not renewed:
            request.meta["weibo_cookie_note"] = (f"visitor cookies not renewed ({self.last_error})" if self.last_error
                                                 else "visitor cookies not renewed: cool-down after the last browser launch")
            return response
        retry = request.replace(dont_filter=True)
        retry.meta["weibo_cookie_retry"] = True
        return retry

    # ── cookies ─────────────────────────────────────────────────────────────
    def _next_attempt_at(self) -> float:
        """A success earns the full cool-down; a failed fetch (a slow page under load, a
        browser hiccup) is retried soon, with a growing wait, a few times per crawl."""
        if self.last_attempt is None:
            return 0.0
        if self.last_error is None:
            return self.last_attempt + self.cooldown
        if self.failures >= MAX_FAILED_LAUNCHES:
            return float("inf")
        return self.last_attempt + min(self.cooldown, FAILURE_RETRY * 2 ** (self.failures - 1))

    def _fresh(self) -> bool:
        return self.obtained_at is not None and time.monotonic() - self.obtained_at < self.cooldown

    async def renew(self, seen_generation: int, why: str, force: bool = False) -> bool:
        """True when cookies newer than ``seen_generation`` are available afterwards.
        ``force`` skips the cool-down after a success (not after failures), within budget."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.generation != seen_generation and self.cookies:
                return True  # renewed by a concurrent request meanwhile
            now = time.monotonic()
            forced = (force and self.last_error is None and self.forced < FORCED_RENEWALS
                      and self._forced_generation != self.generation)
            if now < self._next_attempt_at() and not forced:
                return False
            if forced and now < self._next_attempt_at():
                self.forced += 1
                self._forced_generation = self.generation
            self.last_attempt = now
            self.launches += 1
            logger.info("weibo: obtaining visitor cookies with Chromium (%s; launch %d)", why, self.launches)
            try:
                cookies = await asyncio.wait_for(self._browser_cookies(), self.browser_timeout + 10)
            except Exception as exc:  # any browser failure is reported on the accounts, not raised
                self.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]
                self.failures += 1
                logger.warning("weibo: visitor cookies could not be obtained: %s", self.last_error)
                return False
            self.cookies, self.last_error, self.failures = cookies, None, 0
            self.generation += 1
            self.obtained_at = time.monotonic()
            logger.info("weibo: visitor cookies obtained (%s)", ", ".join(sorted(cookies)))
            return True

    async def _browser_cookies(self) -> dict[str, str]:
        from playwright.async_api import async_playwright

        manager = await async_playwright().start()
        async with _stopping(manager) as pw:
            browser = await pw.chromium.launch(executable_path=self.chromium_path, args=BROWSER_ARGS, headless=True)
            try:
                context = await browser.new_context(user_agent=self.user_agent or IPHONE_UA, is_mobile=True,
                                                    viewport={"width": 390, "height": 844})
                page = await context.new_page()
                await page.goto(self.home, wait_until="load", timeout=self.browser_timeout * 1000)
                deadline = time.monotonic() + self.browser_timeout
                while True:  # the visitor JavaScript may still be redirecting
                    found = {c["name"]: c["value"] for c in await context.cookies(self.home)}
                    if found.get("SUB") and found.get("SUBP"):
                        return found
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"no SUB/SUBP cookies after loading {self.home} (page {page.url})")
                    await asyncio.sleep(0.2)
            finally:
                await browser.close()

