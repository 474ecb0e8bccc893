"""The ``apps`` spider: every registered government app's channels, once per night.

For each app account: the official download URL (range-based APK check; a landing page is
opened in Chromium and each Android download it offers is checked, see appcheck/landing.py),
each store listing in ``Account.store_ids`` plus the App Store / AppGallery listings the
landing page links to, and IPv6 reachability of the download host. Yields one AppCheckItem
per channel (``download``, ``apple``, ``yyb``, …; ``checked_at`` = the crawl clock T) and then
one ObservationItem(kind="app") per account. A check that could not be made is ``unknown``,
never a failure.

All HTTP goes through Scrapy's downloader (``engine.download_async``): middlewares, WARC
capture, per-host download slots and delays apply to the range requests too. Servers that
ignore Range are stopped after ``limit`` bytes through the ``bytes_received`` signal.

Settings: APPLE_LOOKUP_URL, STORE_URLS, APP_FULL_DOWNLOAD (on_change | always | never; a
full download with CRC test and sha256 when the download channel's version code differs
from its last stored check), APP_MAX_DOWNLOAD_BYTES, APP_LANDING_BROWSER (bool),
CHROMIUM_PATH, APP_CHECK_IPV6 (bool).
"""
from __future__ import annotations

import asyncio
import json
import os
import re
from typing import Any, AsyncIterator
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import StopDownload
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy import select

from spiders.appcheck import result as R
from spiders.appcheck.download import DEFAULT_MAX_BYTES, check_download, verify_full
from spiders.appcheck.ipv6 import ipv6_support
from spiders.appcheck.landing import LandingBrowser, check_landing, store_ids
from spiders.appcheck.result import CheckResult
from spiders.appcheck.stores import STORES
from spiders.appcheck.transport import Fetched, classify_error
from spiders.items import AppCheckItem, ObservationItem
from spiders.middlewares.outbound import policy_from_settings
from spiders.spiders.base import AccountSpider
from storage.db import make_engine, session_scope
from storage.models import AppCheck

DOWNLOAD = "download"
MAX_REDIRECTS = 10  # a CDN chain is 2–4 hops; more is a loop
_PACKAGE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")


def expected_package(account) -> str | None:
    """The registered package name; None while an app is keyed by its 下载地址 (no package yet)."""
    pid = account.platform_id or ""
    return pid if _PACKAGE.match(pid) else None


class ScrapyTransport:
    """spiders.appcheck's Transport over Scrapy's downloader."""

    def __init__(self, spider: scrapy.Spider):
        self.spider = spider
        self.bytes_transferred = 0
        spider.crawler.signals.connect(self._bytes_received, signal=signals.bytes_received)

    def _bytes_received(self, data, request, spider=None):
        limit = request.meta.get("appcheck_limit")
        if limit:
            got = request.meta["appcheck_got"] = request.meta.get("appcheck_got", 0) + len(data)
            if got >= limit:
                raise StopDownload(fail=False)

    async def get(self, url: str, *, range: str | None = None, limit: int | None = None,
                  headers: dict[str, str] | None = None, method: str = "GET", json_body: Any = None) -> Fetched:
        hdrs = {"Accept-Encoding": "identity", **(headers or {})}
        if range:
            hdrs["Range"] = range
        body = None
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            hdrs["Content-Type"] = "application/json"
        maxsize = self.spider.settings.getint("APP_MAX_DOWNLOAD_BYTES", DEFAULT_MAX_BYTES)
        req = scrapy.Request(url, method=method, headers=hdrs, body=body, dont_filter=True,
                             meta={"appcheck_limit": limit, "redirect_ttl": MAX_REDIRECTS,
                                   "download_maxsize": maxsize + 1, "download_warnsize": 0})
        try:
            resp = await self.spider.crawler.engine.download_async(req)
        except Exception as exc:  # Twisted/Scrapy raise many kinds: all mean "could not check"
            raise classify_error(exc) from None
        data = resp.body
        stopped = "download_stopped" in resp.flags
        if limit is not None and len(data) > limit:
            data, stopped = data[:limit], True
        self.bytes_transferred += len(resp.body)
        urls = list(resp.meta.get("redirect_urls") or [])
        reasons = list(resp.meta.get("redirect_reasons") or [])
        hops = [{"url": u, "status": reasons[i] if i < len(reasons) else None,
                 "location": (urls[i + 1] if i + 1 < len(urls) else resp.url)} for i, u in enumerate(urls)]
        headers_out = {k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in resp.headers.items()}
        return Fetched(resp.url, resp.status, headers_out, data, hops, stopped, resp.meta.get("warc_ref"))


class AppsSpider(AccountSpider):
    name = "apps"
    platform = "app"

    browser: LandingBrowser | None = None

    def closed(self, reason: str):
        if self.browser is not None:
            return deferred_from_coro(self.browser.close())
        return None

    async def start(self) -> AsyncIterator[Any]:
        self.transport = ScrapyTransport(self)
        self.previous = self._previous_versions()
        limit = asyncio.Semaphore(max(1, self.settings.getint("CONCURRENT_REQUESTS", 8)))
        done: asyncio.Queue = asyncio.Queue()
        pending = 0

        async def run(account) -> None:
            async with limit:
                try:
                    items = await self.check_account(account)
                except Exception as exc:  # one account's bug never stops the others
                    self.logger.exception("app check of account %s failed", account.id)
                    items = [ObservationItem(account_id=account.id, platform=self.platform, kind="app",
                                             outcome="error", url=account.download_url, observed_at=self.at,
                                             reason=f"check_error: {type(exc).__name__}: {exc}"[:200])]
            await done.put(items)

        tasks = []
        for account in self.load_accounts():
            tasks.append(asyncio.ensure_future(run(account)))
            pending += 1
            while not done.empty():
                for item in done.get_nowait():
                    yield item
                pending -= 1
        while pending:
            for item in await done.get():
                yield item
            pending -= 1

    def _previous_versions(self) -> dict[int, int]:
        """Version code of each account's last download checked in full (one query): a
        change the night's plan left unverified is still a change the next night."""
        engine = make_engine(self.settings.get("MONITOR_DATABASE_URL"))
        try:
            with session_scope(engine) as s:
                rows = s.execute(select(AppCheck.account_id, AppCheck.version_code)
                                 .where(AppCheck.channel == DOWNLOAD, AppCheck.version_code.is_not(None),
                                        AppCheck.sha256.is_not(None), AppCheck.checked_at < self.at)
                                 .order_by(AppCheck.checked_at, AppCheck.id)).all()
        finally:
            engine.dispose()
        return {account_id: code for account_id, code in rows}  # later rows win

    async def check_account(self, account) -> list[Any]:
        items: list[Any] = []
        results: list[tuple[str, CheckResult]] = []
        stores = dict(account.store_ids or {})
        if account.download_url:
            download, linked = await self.check_download_channel(account)
            results.append((DOWNLOAD, download))
            for store, store_id in linked.items():  # App Store / AppGallery links on the landing page
                if str(stores.get(store, store_id)) != str(store_id):
                    store = f"{store}:{store_id}"
                stores.setdefault(store, store_id)
        urls = {"apple": self.settings.get("APPLE_LOOKUP_URL"), **(self.settings.getdict("STORE_URLS") or {})}
        fallbacks = self.settings.getdict("STORE_FALLBACK_URLS") or {}
        for channel, store_id in sorted(stores.items()):
            store = channel.split(":", 1)[0]
            adapter = STORES.get(store)
            if adapter is None or not urls.get(store):
                results.append((channel, CheckResult(url=None, outcome=R.UNKNOWN, reason=R.NO_ADAPTER,
                                                     detail=f"no automatic check for store {store!r} ({store_id})")))
                continue
            try:
                res = await adapter.check(self.transport, urls[store], str(store_id), expected_package(account),
                                          fallback_url=fallbacks.get(store) or None)
            except Exception as exc:  # an adapter bug is "could not check", never a failure
                self.logger.exception("store %s check failed", store)
                res = CheckResult(url=urls[store], outcome=R.UNKNOWN, reason=R.CHECK_ERROR, detail=str(exc)[:500])
            if channel not in (account.store_ids or {}):
                res.details["found_on_landing_page"] = True
            results.append((channel, res))
        for channel, res in results:
            items.append(AppCheckItem(account_id=account.id, channel=channel, checked_at=self.at, **vars(res)))
        items.append(self._observation(account, results))
        return items

    async def check_download_channel(self, account) -> tuple[CheckResult, dict[str, str]]:
        """The download channel's result, and the store ids a landing page links to."""
        url = account.download_url
        expected = expected_package(account)
        maxsize = self.settings.getint("APP_MAX_DOWNLOAD_BYTES", DEFAULT_MAX_BYTES)
        res = await check_download(self.transport, url, expected, max_bytes=maxsize)
        linked: dict[str, str] = {}
        if res.reason == R.HTML_NOT_APK:
            chromium = self.settings.get("CHROMIUM_PATH", "/usr/bin/chromium")
            if not self.settings.getbool("APP_LANDING_BROWSER", True):
                res.unknown(R.BROWSER_ERROR, "a page, not opened: [apps] landing_browser = false")
            elif not os.path.exists(chromium):
                res.unknown(R.BROWSER_ERROR, f"a landing page, and no browser at {chromium} to open it")
            else:
                if self.browser is None:
                    self.browser = LandingBrowser(chromium, policy=policy_from_settings(self.settings))
                res, landing = await check_landing(self.transport, res, expected, browser=self.browser,
                                                   max_bytes=maxsize)
                linked = store_ids(landing) if landing else {}
        if res.outcome == R.OK and self._wants_full(account.id, res.version_code):
            res = await verify_full(self.transport, res, maxsize)
        if res.outcome != R.UNKNOWN and self.settings.getbool("APP_CHECK_IPV6", True):
            parts = urlsplit(res.final_url or url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            res.ipv6, res.details["ipv6"] = await ipv6_support(parts.hostname or "", port)
        return res, linked

    def _wants_full(self, account_id: int, version_code: int | None) -> bool:
        if not self.planned(account_id, "full_download"):
            return False  # a later night's plan downloads it (the version stays "changed" until then)
        policy = self.settings.get("APP_FULL_DOWNLOAD", "on_change")
        if policy == "always":
            return True
        if policy == "never":
            return False
        return version_code is not None and self.previous.get(account_id) != version_code

    def _observation(self, account, results: list[tuple[str, CheckResult]]) -> ObservationItem:
        outcomes = {channel: res.outcome for channel, res in results}
        if not results:
            outcome, reason = "error", "no_channels: neither 下载地址 nor 应用商店 registered"
        elif all(o == R.UNKNOWN for o in outcomes.values()):
            outcome, reason = "error", "all_channels_unknown: no channel gave a definite answer"
        else:
            outcome, reason = "ok", None
        main = results[0][1] if results else None
        return ObservationItem(
            account_id=account.id, platform=self.platform, kind="app", outcome=outcome,
            url=account.download_url or (main.url if main else None), observed_at=self.at, reason=reason,
            request_count=sum(len(r.details.get("requests", [])) or 1 for _, r in results),
            capture_ref=main.capture_ref if main else None,
            details={"channels": {c: {"outcome": r.outcome, "reason": r.reason} for c, r in results}},
        )
