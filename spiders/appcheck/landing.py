"""Landing pages: a 下载地址 that answers an HTML page ("XX政务APP下载") instead of the APK.

The page's HTML is read first: its ``<a href>`` links to an ``.apk`` or saying 安卓 / Android /
下载, its meta refresh and store links are tried without a browser (most pages are plain
links). When none of them works, the page is opened in Chromium as an Android phone would
open it and every plausible Android download is collected, in this order: a download the page starts by itself (JS ``location``,
meta refresh, timers), links whose URL is an ``.apk``, links whose text says 安卓 / Android /
APK, links whose text says 下载, then buttons and ``javascript:`` links with such text, which
are clicked (the download a click starts, or the page it opens). Downloads are cancelled in
the browser: each candidate is checked with the same range-based APK check as a bare link,
and the first that works is the channel's result; a candidate that is itself a page is
opened the same way once more (a link to a "安卓下载" page). App Store and AppGallery links are
collected (never followed) so they are read as store listings. A second pass with an iPhone
user agent collects the App Store link pages show only to iPhones (when the Android pass saw
none).

A page with no candidate at all (a CMS "页面不存在", an empty template) stays the failure the
HTTP check found — unless the browser saw something other than the page as published (an
error status, a verification page, a body cut before ``</html>``) or a button did nothing for
our click: then it is ``unknown``. A page that only links to store listings is
``unknown(store_links_only)``: the listings are judged. The facts record the path: page →
link (how it was found, its text) → final URL after redirects, and every candidate tried.
"""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from spiders.appcheck import classify
from spiders.appcheck import result as r
from spiders.appcheck.download import DEFAULT_MAX_BYTES, check_download
from spiders.appcheck.result import CheckResult
from spiders.appcheck.transport import ANDROID_UA, Transport
from spiders.policyproxy import PolicyProxy

IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Version/17.5 Mobile/15E148 Safari/604.1")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
APP_STORE = re.compile(r"^(itms-apps://|https?://(apps|itunes)\.apple\.com/)", re.IGNORECASE)
APPGALLERY = re.compile(r"^(appmarket://|hiapplink://|https?://(appgallery\.huawei\.com|appgallery\.cloud\.huawei\.com|"
                        r"url\.cloud\.huawei\.com)/)", re.IGNORECASE)
_APPLE_ID = re.compile(r"/id(\d{5,})")
_GALLERY_ID = re.compile(r"(C\d{6,})")
_ANDROID = re.compile(r"安卓|android|apk", re.IGNORECASE)
_DOWNLOAD = re.compile(r"下载|download|立即安装|安装", re.IGNORECASE)
_IOS = re.compile(r"ios|iphone|ipad|苹果|app\s*store|鸿蒙|harmony|华为应用市场", re.IGNORECASE)
_APK_PATH = re.compile(r"\.apk$", re.IGNORECASE)
MAX_CANDIDATES = 6  # per page: more is a download portal, not a landing page
MAX_CLICKS = 3
MAX_DEPTH = 2  # the registered page and one page it links to

_COLLECT = """els => els.map((e, i) => {
  e.setAttribute('data-appcheck', String(i));
  const href = e.getAttribute('href') || '';
  return {i, tag: e.tagName.toLowerCase(), href: href ? (e.href || href) : '',
          text: (e.innerText || e.value || e.title || e.getAttribute('aria-label') || '').trim().slice(0, 80),
          onclick: !!e.getAttribute('onclick'),
          meta: ''};
})"""
_META_REFRESH = """() => { const m = document.querySelector('meta[http-equiv="refresh" i]');
  return m ? m.getAttribute('content') : null; }"""


@dataclass
class Candidate:
    url: str
    how: str  # page_download, meta_refresh, link, click
    text: str = ""
    page: str = ""  # the page it was found on

    def as_fact(self) -> dict:
        return {"url": self.url, "how": self.how, "text": self.text, "page": self.page}


@dataclass
class LandingResult:
    url: str
    final_page: str | None = None  # where the page's own redirects ended (JS / meta refresh to a page)
    candidates: list[Candidate] = field(default_factory=list)
    app_store_urls: list[str] = field(default_factory=list)
    appgallery_urls: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    details_bytes: int = 0  # the page bytes the HTML pass read

    @property
    def download_url(self) -> str | None:
        return self.candidates[0].url if self.candidates else None

    @property
    def app_store_url(self) -> str | None:
        return self.app_store_urls[0] if self.app_store_urls else None

    def add(self, c: Candidate) -> None:
        same = [x for x in self.candidates if x.url == c.url]
        if same and c.how == "page_download":
            same[0].how = c.how  # a link the page's own script then followed
        elif c.url and not same and len(self.candidates) < MAX_CANDIDATES:
            self.candidates.append(c)

    def store_link(self, url: str) -> bool:
        for pattern, found in ((APP_STORE, self.app_store_urls), (APPGALLERY, self.appgallery_urls)):
            if pattern.match(url):
                if url not in found:
                    found.append(url)
                return True
        return False

    def as_details(self) -> dict:
        return {"page": self.url, "final_page": self.final_page,
                "candidates": [c.as_fact() for c in self.candidates],
                "app_store_urls": self.app_store_urls, "appgallery_urls": self.appgallery_urls, "errors": self.errors}


def store_ids(landing: LandingResult) -> dict[str, str]:
    """Store ids the page links to: ``{"apple": "1660000015", "huawei": "C…"}`` (first of each)."""
    out = {}
    for url in landing.app_store_urls:
        m = _APPLE_ID.search(url)
        if m:
            out.setdefault("apple", m.group(1))
    for url in landing.appgallery_urls:
        m = _GALLERY_ID.search(url)
        if m:
            out.setdefault("huawei", m.group(1))
    return out


def _rank(el: dict) -> tuple[int, str] | None:
    """(priority, how) for an element that may be an Android download, or None."""
    text, href = el["text"], el["href"]
    usable = href.startswith(("http://", "https://"))
    if _IOS.search(text) and not _ANDROID.search(text):
        return None
    if usable and _APK_PATH.search(urlsplit(href).path):
        return 0, "link"
    if usable and _ANDROID.search(text):
        return 1, "link"
    if usable and _DOWNLOAD.search(text) and not href.split("#")[0] == "":
        return 2, "link"
    if not usable and (_ANDROID.search(text) or _DOWNLOAD.search(text)):
        return 3, "click"
    return None


class LandingBrowser:
    """One Chromium for all of a crawl's landing pages, launched on first use (a launch costs
    more than reading a page); each page gets its own browser contexts."""

    def __init__(self, chromium: str = "/usr/bin/chromium", policy=None):
        """``policy`` (a ``spiders.netpolicy.NetPolicy``): the browser connects only through the
        policy proxy, so pages, their redirects and scripts reach allowed addresses only."""
        self.chromium, self.policy = chromium, policy
        self.proxy = None
        self._playwright = self._browser = None
        self._lock = asyncio.Lock()
        # Pages at once: a page's timers and clicks run late when many share one browser.
        self.pages = asyncio.Semaphore(2)

    async def get(self):
        async with self._lock:
            if self._browser is None:
                from playwright.async_api import async_playwright

                if self.policy is not None:
                    self.proxy = await PolicyProxy(self.policy).astart()
                self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=self.chromium, args=CHROMIUM_ARGS, headless=True,
                    **({"proxy": self.proxy.playwright()} if self.proxy else {}))
            return self._browser

    async def close(self) -> None:
        async with self._lock:
            if self._browser is not None:
                await self._browser.close()
                await self._playwright.stop()
            if self.proxy is not None:
                await self.proxy.aclose()
            self._playwright = self._browser = self.proxy = None

    def refused(self) -> list[str]:
        """What the policy proxy refused so far (a page reaching for a private address)."""
        return list(self.proxy.refused) if self.proxy is not None else []

    async def __aenter__(self) -> "LandingBrowser":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()


async def resolve_landing(url: str, browser: LandingBrowser, settle_seconds: float = 0.5,
                          click_seconds: float = 15.0, timeout_seconds: float = 30.0) -> LandingResult:
    """Open ``url`` (Android, then iPhone) and collect the download candidates and store links."""
    out = LandingResult(url)
    chromium = await browser.get()
    async with browser.pages:
        before = len(browser.refused())
        await _android(chromium, out, settle_seconds, click_seconds, timeout_seconds)
        if not out.app_store_urls:  # most pages show the App Store link to every phone
            await _iphone(chromium, out, timeout_seconds)
        out.errors.extend(dict.fromkeys(browser.refused()[before:]))
    return out


async def _android(browser, out: LandingResult, settle: float, click_wait: float, timeout: float) -> None:
    from playwright.async_api import Error as PlaywrightError

    ctx = await browser.new_context(user_agent=ANDROID_UA, accept_downloads=True, is_mobile=True,
                                    viewport={"width": 412, "height": 915})
    ctx.set_default_timeout(timeout * 1000)
    downloads: asyncio.Queue = asyncio.Queue()
    aborted: list[str] = []  # navigations Chromium turned into downloads (their event follows)
    seen: list[str] = []

    def on_download(download) -> None:
        seen.append(download.url)
        downloads.put_nowait(download.url)
        asyncio.ensure_future(_cancel(download))

    def on_failed(request) -> None:
        if request.is_navigation_request() and "ERR_ABORTED" in (request.failure or ""):
            aborted.append(request.url)

    async def downloads_arrived() -> None:
        for _ in range(int(timeout * 10)):
            if len(seen) >= len(aborted):
                return
            await asyncio.sleep(0.1)

    async def block_store(route) -> None:
        out.store_link(route.request.url)  # a store page: note it, never fetch it
        await route.abort()

    try:
        await ctx.route(APP_STORE, block_store)
        await ctx.route(APPGALLERY, block_store)
        ctx.on("page", lambda pg: pg.on("download", on_download))  # popups and target=_blank
        page = await ctx.new_page()
        page.on("download", on_download)
        page.on("requestfailed", on_failed)
        try:
            response = await page.goto(out.url, wait_until="domcontentloaded")
        except PlaywrightError as exc:  # "Download is starting" when the URL is the file itself
            response = None
            if "download" not in str(exc).lower():
                out.errors.append(f"android: {exc}".splitlines()[0])
                return
        if response is not None:
            await _read_page(response, out)
        try:  # JS timers, meta refresh and scripts that fetch the current file's URL
            await page.wait_for_load_state("networkidle", timeout=timeout * 1000)
        except PlaywrightError:
            pass  # a page that keeps polling: read it as it is
        await page.wait_for_timeout(settle * 1000)
        await downloads_arrived()
        for dl in _drain(downloads):
            out.add(Candidate(dl, "page_download", page=out.url))
        out.final_page = page.url if page.url != out.url else None
        try:
            meta = await page.evaluate(_META_REFRESH)
            elements = await page.eval_on_selector_all(
                "a, button, [onclick], [role=button], input[type=button], input[type=submit], "
                "[class*=btn], [class*=download], [id*=download], [class*=dl], [id*=dl]", _COLLECT)
        except PlaywrightError as exc:  # the page navigated away while we read it
            out.errors.append(f"android: {exc}".splitlines()[0])
            return
        here = page.url
        if meta and "url=" in meta.lower():
            target = urljoin(here, meta[meta.lower().index("url=") + 4:].strip(" '\""))
            if not out.store_link(target):
                out.add(Candidate(target, "meta_refresh", page=here))
        ranked = []
        for el in elements:
            if el["href"] and out.store_link(el["href"]):
                continue
            rank = _rank(el)
            if rank is not None:
                ranked.append((rank, el))
        ranked.sort(key=lambda x: x[0][0])
        for (prio, how), el in ranked:
            if how == "link":
                out.add(Candidate(el["href"], "link", el["text"], here))
        # The innermost element first: a container's text also says 下载 but clicking it does nothing.
        await downloads_arrived()  # a script that navigated while we read the links
        for dl in _drain(downloads):
            out.add(Candidate(dl, "page_download", page=out.url))
        clicks = sorted((el for (prio, how), el in ranked if how == "click"), key=lambda e: len(e["text"]))[:MAX_CLICKS]
        for el in clicks:
            await _click(page, el, here, out, downloads, click_wait, timeout, PlaywrightError)
            await downloads_arrived()
            for dl in _drain(downloads):
                out.add(Candidate(dl, "click", el["text"], here))
    finally:
        await ctx.close()


async def _click(page, el: dict, here: str, out: LandingResult, downloads: asyncio.Queue, wait: float,
                 timeout: float, PlaywrightError) -> None:
    """Click one button and note the download or page it leads to, then come back. ``wait``
    bounds only a click that does nothing; one that starts something is seen at once."""
    moved = asyncio.Event()

    def on_nav(frame) -> None:
        if frame == page.main_frame and frame.url != here:
            moved.set()
    def on_download(_) -> None:
        moved.set()
    page.on("framenavigated", on_nav)
    page.on("download", on_download)
    try:
        if page.url != here:
            await page.goto(here, wait_until="domcontentloaded")
        await page.click(f'[data-appcheck="{el["i"]}"]', timeout=timeout * 1000, no_wait_after=True)
        try:
            await asyncio.wait_for(moved.wait(), wait)
        except asyncio.TimeoutError:
            pass
        await page.wait_for_timeout(200)  # the download event follows the navigation it aborts
    except PlaywrightError as exc:
        if "download" not in str(exc).lower():
            out.errors.append(f"click {el['text']!r}: {exc}".splitlines()[0])
    finally:
        page.remove_listener("framenavigated", on_nav)
        page.remove_listener("download", on_download)
    found = _drain(downloads)
    for dl in found:
        out.add(Candidate(dl, "click", el["text"], here))
    if page.url != here and not out.store_link(page.url):
        out.add(Candidate(page.url, "click", el["text"], here))
    elif not found and not moved.is_set():
        # Our click may not be the user's (gestures, anti-bot): not evidence by itself.
        out.errors.append(f"clicked {el['text']!r}: nothing started")


async def _read_page(response, out: LandingResult) -> None:
    """Note a page that is not the landing page as published (an error, a verification page,
    a body cut short): finding no download on it says nothing about the app."""
    from playwright.async_api import Error as PlaywrightError

    if response.status >= 400:
        out.errors.append(f"android: the page answered HTTP {response.status} in the browser")
        return
    try:
        body = await response.body()
    except PlaywrightError:
        return
    if classify.looks_like_captcha(body):
        out.errors.append(f"android: a verification page: {classify.first_bytes_text(body, 80)!r}")
    elif not re.search(rb"</(html|body)\s*>", body[-8192:], re.IGNORECASE):
        out.errors.append(f"android: the page ends before </html> ({len(body)} bytes): cut short")


def _drain(q: asyncio.Queue) -> list[str]:
    items = []
    while not q.empty():
        items.append(q.get_nowait())
    return items


async def _cancel(download) -> None:
    try:
        await download.cancel()
    except Exception:  # the browser may already be gone; nothing was saved either way
        pass


async def _iphone(browser, out: LandingResult, timeout: float) -> None:
    from playwright.async_api import Error as PlaywrightError

    ctx = await browser.new_context(user_agent=IPHONE_UA, is_mobile=True, viewport={"width": 390, "height": 844})
    ctx.set_default_timeout(timeout * 1000)
    try:
        async def block_store(route) -> None:
            out.store_link(route.request.url)
            await route.abort()
        await ctx.route(APP_STORE, block_store)
        page = await ctx.new_page()
        try:
            await page.goto(out.url, wait_until="domcontentloaded")
            await page.wait_for_timeout(300)
            for href in await page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                out.store_link(href)
        except PlaywrightError as exc:
            if not out.app_store_urls:
                out.errors.append(f"iphone: {exc}".splitlines()[0])
    finally:
        await ctx.close()


MAX_PAGE_BYTES = 2 * 1024 * 1024


async def read_static(transport: Transport, url: str) -> LandingResult | None:
    """The candidates a page's HTML itself offers (``<a href>``, meta refresh, store links),
    read without a browser; None when the page could not be fetched whole."""
    from parsel import Selector

    try:
        f = await transport.get(url, limit=MAX_PAGE_BYTES)
    except Exception:  # the browser pass will look again
        return None
    if f.status >= 400 or f.stopped_early or not f.body:
        return None
    out = LandingResult(url)
    out.final_page = f.url if f.url != url else None
    page = Selector(text=f.body.decode("utf-8", "replace"))
    meta = page.css('meta[http-equiv="refresh" i]::attr(content), meta[http-equiv="Refresh"]::attr(content)').get()
    if meta and "url=" in meta.lower():
        target = urljoin(f.url, meta[meta.lower().index("url=") + 4:].strip(" '\""))
        if not out.store_link(target):
            out.add(Candidate(target, "meta_refresh", page=f.url))
    ranked = []
    for a in page.css("a[href]"):
        href = urljoin(f.url, a.attrib["href"].strip())
        if out.store_link(href):
            continue
        el = {"href": href, "text": " ".join(t.strip() for t in a.css("::text").getall() if t.strip())[:80]}
        rank = _rank(el)
        if rank is not None and rank[1] == "link":
            ranked.append((rank[0], el))
    for _, el in sorted(ranked, key=lambda x: x[0]):
        out.add(Candidate(el["href"], "link", el["text"], f.url))
    out.details_bytes = len(f.body)
    return out


async def check_landing(transport: Transport, page_result: CheckResult, expected: str | None, *,
                        browser: LandingBrowser, max_bytes: int = DEFAULT_MAX_BYTES,
                        depth: int = 1) -> tuple[CheckResult, LandingResult | None]:
    """The download channel's result for a registered URL that answered a page
    (``page_result``): the first candidate that is a working APK, else the most telling
    failure. Returns it with what the page offered (for its store links)."""
    url = page_result.url
    # Most pages are plain links: read the HTML first and open a browser only when that
    # finds no working download.
    static = await read_static(transport, url)
    checked: dict[str, CheckResult] = {}
    if static is not None and static.candidates:
        best, tried = await _try(transport, static, expected, browser, max_bytes, depth, checked)
        if best[1].outcome == r.OK:
            return _with_path(best, page_result, static, tried, "html"), static
    try:
        landing = await resolve_landing(url, browser)
    except Exception as exc:  # the browser failing says nothing about the app
        res = CheckResult(url=url, outcome=r.UNKNOWN, reason=r.BROWSER_ERROR, detail=str(exc)[:500],
                          final_url=page_result.final_url, redirects=page_result.redirects,
                          bytes_transferred=page_result.bytes_transferred,
                          details={"first": page_result.details.get("first")})
        return res, None
    if static is not None:  # links only the HTML showed (hidden from a phone) still count
        for c in static.candidates:
            landing.add(c)
        for link in static.app_store_urls + static.appgallery_urls:
            landing.store_link(link)
        landing.details_bytes += static.details_bytes
    if not landing.candidates:
        page_result.details["landing"] = landing.as_details()
        if landing.app_store_urls or landing.appgallery_urls:
            # A page that only points at store listings (a HarmonyOS NEXT app has no APK):
            # the listings are the channels and are checked as such.
            return page_result.unknown(r.STORE_LINKS_ONLY, "no Android download on the page; it links to "
                                       + ", ".join(landing.app_store_urls + landing.appgallery_urls)), landing
        if landing.errors:
            # Chromium could not read the page as published, or a button did nothing for our
            # click: that says nothing about the download.
            return page_result.unknown(r.BROWSER_ERROR, "; ".join(landing.errors)[:500]), landing
        page_result.detail = (page_result.detail or "") + " — no Android download on the page"
        return page_result, landing
    best, tried = await _try(transport, landing, expected, browser, max_bytes, depth, checked)
    return _with_path(best, page_result, landing, tried, "browser"), landing


async def _try(transport, landing: LandingResult, expected, browser, max_bytes: int, depth: int,
               checked: dict[str, CheckResult]):
    """Check the candidates in order until one is a working APK (each URL once)."""
    tried: list[tuple[Candidate, CheckResult]] = []
    for cand in landing.candidates:
        res = checked.get(cand.url)
        if res is None:
            res = await check_download(transport, cand.url, expected, max_bytes=max_bytes)
            if res.reason == r.HTML_NOT_APK and depth < MAX_DEPTH:
                res, _ = await check_landing(transport, res, expected, browser=browser, max_bytes=max_bytes,
                                             depth=depth + 1)
            checked[cand.url] = res
        tried.append((cand, res))
        if res.outcome == r.OK:
            break
    return _best(tried), tried


def _with_path(best_pair, page_result: CheckResult, landing: LandingResult, tried, via: str) -> CheckResult:
    cand, best = best_pair
    url = page_result.url
    # A candidate that was itself a page brings its own path (page → link → final).
    inner = (best.details.get("landing", {}).get("path") or [None, {"url": best.final_url, "how": "final"}])[1:]
    best.url = url
    best.redirects = [*page_result.redirects, {"url": landing.final_page or url, "status": f"landing_{cand.how}",
                                               "location": cand.url}, *best.redirects]
    best.bytes_transferred = (best.bytes_transferred or 0) + (page_result.bytes_transferred or 0) \
        + sum(x.bytes_transferred or 0 for c, x in tried if x is not best) + landing.details_bytes
    best.details["landing"] = {**landing.as_details(), "via": via,
                               "path": [{"url": url, "how": "page"}, cand.as_fact(), *inner],
                               "tried": [{"url": c.url, "how": c.how, "outcome": x.outcome, "reason": x.reason}
                                         for c, x in tried]}
    best.details["first_page"] = page_result.details.get("first")
    return best


def _best(tried: list[tuple[Candidate, CheckResult]]) -> tuple[Candidate, CheckResult]:
    """The working candidate; else the first we could not look at (it may work: not
    evidence); else the first positive failure (every download the page offers is broken)."""
    for outcome in (r.OK, r.UNKNOWN, r.FAIL):
        for cand, res in tried:
            if res.outcome == outcome:
                return cand, res
    return tried[0]
