"""Full-page screenshots of an account's public page in Playwright/Chromium, checked so that a
blank page or Chinese drawn as tofu boxes is reported as a failed capture, never kept silently.

Bounded by design: one browser per run, relaunched after ``browser_restart_after`` captures;
a fresh context (no cookies, clean state) and page per capture, always closed; every browser
call carries the time left of ``capture_timeout``, so a page that never finishes loading ends
the capture with a note instead of hanging the run.

The browser connects only through ``spiders.policyproxy``: the page, its redirects and its
subresources reach only addresses the outbound policy allows; what it refused is noted, and
a page that was itself refused is a failed capture (the proxy's refusal is not the site).
"""
from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from monitor.config import Settings
from spiders.policyproxy import PolicyProxy

CHROMIUM = "/usr/bin/chromium"
# Without the last flag headless Chromium reports navigator.webdriver, and Weibo's visitor
# system (genvisitor2) refuses it: the screenshot would show the visitor wall.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-blink-features=AutomationControlled"]
MAX_HEIGHT = 16000  # CSS px; endless feeds are cut here rather than filling the disk
DEVICE_SCALE = 2
# Share of pixels that must differ from the background colour (after a 4× reduction).
MIN_INK = 0.002

# Draw CJK characters with the page's own font stack on a canvas: if two different
# characters give the same pixels, or the same pixels as a character no font has, the
# browser is drawing .notdef boxes (tofu), i.e. the Chinese text is not readable.
_GLYPH_PROBE = """
(chars) => {
  const family = getComputedStyle(document.body || document.documentElement).fontFamily || 'sans-serif';
  const draw = (ch) => {
    const c = document.createElement('canvas'); c.width = 48; c.height = 48;
    const g = c.getContext('2d'); g.fillStyle = '#fff'; g.fillRect(0, 0, 48, 48);
    g.fillStyle = '#000'; g.font = `32px ${family}`; g.textBaseline = 'top'; g.fillText(ch, 6, 6);
    const d = g.getImageData(0, 0, 48, 48).data; let s = '', ink = 0;
    for (let i = 0; i < d.length; i += 4) { const on = d[i] < 128 ? 1 : 0; s += on; ink += on; }
    return {bits: s, ink};
  };
  const notdef = draw('\\u{10FFFD}');
  const out = chars.map(draw);
  const distinct = new Set(out.map(o => o.bits)).size;
  return {family, distinct, n: out.length, inked: out.every(o => o.ink > 10),
          same_as_notdef: out.some(o => o.bits === notdef.bits)};
}
"""


@dataclass
class PageCapture:
    url: str
    started_at: datetime
    finished_at: datetime | None = None
    final_url: str | None = None
    http_status: int | None = None
    png: bytes | None = None
    html: str | None = None
    text: str = ""
    timed_out: bool = False
    ok: bool = False  # a usable screenshot: loaded, not blank, CJK rendered
    browser_version: str | None = None
    checks: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _cjk(text: str) -> list[str]:
    return list(dict.fromkeys(ch for ch in text if "\u4e00" <= ch <= "\u9fff"))


def ink_ratio(png: bytes) -> float:
    """Share of pixels that differ clearly from the most common (background) colour."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        small = im.convert("L").reduce(4) if min(im.size) >= 8 else im.convert("L")
    hist = small.histogram()
    background = max(range(256), key=hist.__getitem__)
    total = sum(hist)
    near = sum(hist[max(0, background - 24):min(256, background + 25)])
    return (total - near) / total if total else 0.0


class Capturer:
    """Use as a context manager; ``capture(url, expect=...)`` for each page."""

    def __init__(self, settings: Settings, browser_env: dict[str, str] | None = None):
        ev = settings.evidence
        self.timeout = float(ev.capture_timeout)
        self.restart_after = max(1, int(ev.browser_restart_after))
        self.viewport = {"width": ev.viewport_width, "height": ev.viewport_height}
        self.user_agent = settings.crawl.user_agent
        self.tz = ZoneInfo(settings.timezone)
        self.timezone = settings.timezone
        self._pw = None
        self._browser = None
        self.captures = 0  # on the current browser
        self.launches = 0
        self.browser_version: str | None = None
        self.browser_env = browser_env  # e.g. FONTCONFIG_FILE, to prove the tofu check works
        self.policy = settings.crawl.policy
        self._proxy: PolicyProxy | None = None

    def __enter__(self) -> "Capturer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._close_browser()
        if self._pw is not None:
            self._pw.stop()
            self._pw = None
        if self._proxy is not None:
            self._proxy.__exit__(None, None, None)
            self._proxy = None

    def _close_browser(self) -> None:
        if self._browser is not None:
            try:
                self._browser.close()
            except Exception:  # a crashed browser is being replaced anyway
                pass
            self._browser = None

    def _ensure_browser(self, timeout_ms: float):
        if self._browser is not None and (self.captures >= self.restart_after or not self._browser.is_connected()):
            # Long runs leak browser memory; a fresh process every N captures bounds it.
            self._close_browser()
        if self._browser is None:
            if self._pw is None:
                from playwright.sync_api import sync_playwright

                self._pw = sync_playwright().start()
            if self._proxy is None:
                self._proxy = PolicyProxy(self.policy).__enter__()
            self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                                     headless=True, timeout=timeout_ms, proxy=self._proxy.playwright(),
                                                     **({"env": {**os.environ, **self.browser_env}} if self.browser_env else {}))
            self.browser_version = self._browser.version
            self.captures = 0
            self.launches += 1
        return self._browser

    def capture(self, url: str, expect: list[str] | None = None) -> PageCapture:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        deadline = time.monotonic() + self.timeout
        left = lambda: max(1.0, (deadline - time.monotonic()) * 1000)  # noqa: E731
        cap = PageCapture(url=url, started_at=datetime.now(self.tz))
        context = None
        refused_before = len(self._proxy.refused) if self._proxy else 0
        try:
            browser = self._ensure_browser(left())
            cap.browser_version = self.browser_version
            self.captures += 1
            context = browser.new_context(viewport=self.viewport, user_agent=self.user_agent,
                                          is_mobile=True, has_touch=True, device_scale_factor=DEVICE_SCALE,
                                          locale="zh-CN", timezone_id=self.timezone)
            page = context.new_page()
            resp = page.goto(url, wait_until="load", timeout=left())
            cap.http_status = resp.status if resp else None
            try:  # pages that fill themselves by XHR (m.weibo.cn) need their data first
                page.wait_for_load_state("networkidle", timeout=min(5000, left()))
            except PlaywrightTimeout:
                pass
            cap.final_url = page.url
            cap.text = page.inner_text("body", timeout=left())
            cap.html = page.content()
            height = page.evaluate("Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)")
            clip = {"x": 0, "y": 0, "width": self.viewport["width"], "height": max(1, min(int(height), MAX_HEIGHT))}
            cap.png = page.screenshot(full_page=True, clip=clip, type="png", timeout=left())
            if height > MAX_HEIGHT:
                cap.notes.append(f"页面高度 {height}px，截图截取前 {MAX_HEIGHT}px")
            self._check(page, cap, expect or [])
        except PlaywrightTimeout:
            cap.timed_out = True
            cap.notes.append(f"截图失败：页面在 {self.timeout:g} 秒内未加载完成（{url}）")
        except PlaywrightError as exc:
            cap.notes.append(f"截图失败：浏览器错误 {str(exc).splitlines()[0]}（{url}）")
            if "closed" in str(exc).lower() or "crash" in str(exc).lower():
                self._close_browser()
        finally:
            if context is not None:
                try:
                    context.close()  # closes its pages too
                except Exception:
                    self._close_browser()
            cap.finished_at = datetime.now(self.tz)
        self._note_refusals(cap, refused_before)
        return cap

    def _note_refusals(self, cap: PageCapture, before: int) -> None:
        refused = list(dict.fromkeys(self._proxy.refused[before:])) if self._proxy else []
        if not refused:
            return
        cap.checks["refused_by_policy"] = refused
        page = cap.final_url or cap.url
        if any(r.startswith(f"refused by outbound policy: {u}:") for r in refused for u in {cap.url, page}):
            # What the browser shows is the proxy's refusal, not the account's page.
            cap.ok, cap.png, cap.html = False, None, None
            cap.notes.append(f"截图失败：出站策略拒绝访问该页面（{refused[0]}）")
        else:
            cap.notes.append(f"页面的 {len(refused)} 个请求被出站策略拒绝：" + "；".join(refused[:5]))

    def _check(self, page, cap: PageCapture, expect: list[str]) -> None:
        problems = []
        ink = ink_ratio(cap.png)
        cap.checks["ink_ratio"] = round(ink, 5)
        if ink < MIN_INK:
            problems.append(f"截图近乎空白（非背景像素占比 {ink:.4%}）")
        sample = _cjk(" ".join(expect) + cap.text)[:6]
        cap.checks["cjk_in_text"] = bool(sample)
        if sample:
            probe = page.evaluate(_GLYPH_PROBE, sample if len(sample) > 1 else sample + ["政", "务"])
            cap.checks["glyphs"] = probe
            if probe["distinct"] < probe["n"] or probe["same_as_notdef"] or not probe["inked"]:
                problems.append(f"中文字形未正常渲染（豆腐块），字体 {probe['family']}")
        for want in expect:
            found = want in cap.text
            cap.checks[f"text_contains:{want}"] = found
            if not found:
                cap.notes.append(f"页面文字中未见“{want}”")
        cap.notes.extend(problems)
        cap.ok = not problems
