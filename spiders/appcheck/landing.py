"""Landing pages that start the download by JavaScript: open them in Chromium with an
Android user agent and capture the URL of the download they trigger (the download itself
is cancelled: the HTTP checker reads the file); with an iPhone user agent, capture the App
Store link the page offers or navigates to (never followed)."""
from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

ANDROID_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0 Mobile Safari/537.36")
IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
             "Version/17.5 Mobile/15E148 Safari/604.1")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
_APP_STORE = re.compile(r"^(itms-apps://|https?://(apps|itunes)\.apple\.com/)", re.IGNORECASE)


@dataclass
class LandingResult:
    url: str
    download_url: str | None = None
    app_store_url: str | None = None
    errors: list[str] = field(default_factory=list)

    def as_details(self) -> dict:
        return {"page": self.url, "download_url": self.download_url, "app_store_url": self.app_store_url,
                "errors": self.errors}


async def resolve_landing(url: str, chromium: str = "/usr/bin/chromium", wait_seconds: float = 8.0,
                          policy=None) -> LandingResult:
    """``policy`` (a ``spiders.netpolicy.NetPolicy``): the browser connects only through the
    policy proxy, so the page, its redirects and scripts reach allowed addresses only."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    from spiders.policyproxy import PolicyProxy

    out = LandingResult(url)
    proxy = await PolicyProxy(policy).astart() if policy is not None else None
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True,
                                              **({"proxy": proxy.playwright()} if proxy else {}))
            try:
                out.download_url = await _android(browser, url, wait_seconds, out.errors, PlaywrightError)
                out.app_store_url = await _iphone(browser, url, out.errors, PlaywrightError)
            finally:
                await browser.close()
    finally:
        if proxy is not None:
            await proxy.aclose()
            out.errors.extend(dict.fromkeys(proxy.refused))
    return out


async def _android(browser, url, wait_seconds, errors, PlaywrightError) -> str | None:
    ctx = await browser.new_context(user_agent=ANDROID_UA, accept_downloads=True, is_mobile=True,
                                    viewport={"width": 412, "height": 915})
    try:
        page = await ctx.new_page()
        got: asyncio.Future = asyncio.get_running_loop().create_future()

        def on_download(download) -> None:
            if not got.done():
                got.set_result(download)
        page.on("download", on_download)
        ctx.on("page", lambda popup: popup.on("download", on_download))  # downloads from popups
        try:
            await page.goto(url, wait_until="domcontentloaded")
        except PlaywrightError as exc:  # "Download is starting" when the URL is the file itself
            if "download" not in str(exc).lower():
                errors.append(f"android: {exc}".splitlines()[0])
        try:
            download = await asyncio.wait_for(got, wait_seconds)
        except asyncio.TimeoutError:
            return None
        dl_url = download.url
        await download.cancel()
        return dl_url
    finally:
        await ctx.close()


async def _iphone(browser, url, errors, PlaywrightError) -> str | None:
    ctx = await browser.new_context(user_agent=IPHONE_UA, is_mobile=True, viewport={"width": 390, "height": 844})
    found: list[str] = []
    try:
        page = await ctx.new_page()

        async def block_store(route):
            found.append(route.request.url)  # an App Store target: note it, never fetch it
            await route.abort()
        await page.route(_APP_STORE, block_store)
        try:
            await page.goto(url, wait_until="load")
            await page.wait_for_timeout(300)
            hrefs = await page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            found.extend(h for h in hrefs if _APP_STORE.match(h))
        except PlaywrightError as exc:
            if not found:
                errors.append(f"iphone: {exc}".splitlines()[0])
        return found[0] if found else None
    finally:
        await ctx.close()
