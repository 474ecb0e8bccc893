"""How our m.weibo.cn client presents itself: the way the maintained clients do in 2025–26
(RSSHub, nonebot-bison, crawl4weibo; see research/platforms_2026.md). The API requests and
the browser that fetches the visitor cookies use the same iPhone user agent, so the
session the visitor system issued matches the requests that use it."""
from __future__ import annotations

IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")

# Headless Chromium reports navigator.webdriver = true unless told otherwise; the visitor
# system's JavaScript sends that flag with genvisitor2.
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-blink-features=AutomationControlled"]


def api_headers(base: str, uid: str, user_agent: str | None = None) -> dict[str, str]:
    return {"Accept": "application/json, text/plain, */*", "MWeibo-Pwa": "1",
            "X-Requested-With": "XMLHttpRequest", "Referer": f"{base}/u/{uid}",
            "User-Agent": user_agent or IPHONE_UA,
            "sec-fetch-mode": "cors", "sec-fetch-site": "same-origin", "sec-fetch-dest": "empty"}
