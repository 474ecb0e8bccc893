"""What one night's list of an account's works proves, and how an RSSHub answer is read.

A list (RSSHub feed or the JSON a profile page loaded) shows the newest works, pinned ones
first. The span it vouches for ("nothing else was published from ``covered_from`` until
now") runs down the leading run of dated, non-pinned items. An undated item can sit anywhere,
so a list whose newest items are undated proves no silence: the account is shown active only
by a dated item inside the veto window, else it is 未能核验 with that reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from spiders.shortvideo.payloads import VideoPost
from spiders.timespan import updated_within, vouched_from

MAX_PINNED = 3  # 抖音/快手/头条 let an account pin at most three works


@dataclass
class Verdict:
    outcome: str  # ok, blocked, error
    reason: str | None
    covered_from: datetime | None
    exhaustive: bool = False


def infer_pinned(posts: list[VideoPost]) -> None:
    """Feeds drop the pinned flag; pinned works lead the list out of time order. A leading
    item older than a later one is pinned (at most MAX_PINNED of them)."""
    for i, post in enumerate(posts[:MAX_PINNED]):
        if post.pinned or post.published_at is None:
            continue
        if any(p.published_at is not None and p.published_at > post.published_at for p in posts[i + 1:]):
            post.pinned = True
            post.details["pinned_inferred"] = True


def verdict(posts: list[VideoPost], at: datetime, veto_days: float, post_count: int | None = None) -> Verdict:
    if not posts:
        if post_count == 0:  # the profile itself says it has published nothing
            return Verdict("ok", None, None, exhaustive=True)
        return Verdict("error", "feed_empty: the list carried no works (not proof of silence)", None)
    covered_from = vouched_from([p.published_at for p in posts if not p.pinned])
    if covered_from is not None:
        return Verdict("ok", None, covered_from)
    if updated_within((p.published_at for p in posts), at, veto_days):
        return Verdict("ok", None, None)  # an update inside the window is proven, the rest is not
    undated = sum(1 for p in posts if p.published_at is None)
    return Verdict("error", f"untimed_items: {undated} of {len(posts)} works have no publish time; "
                            "silence cannot be proven", None)


# ── RSSHub answers ──────────────────────────────────────────────────────────
_RSSHUB_PAGE = re.compile(rb"Looks like something went wrong|Error in RSSHub|<title>Error", re.I)
_MESSAGE = re.compile(rb"Error [Mm]essage:?\s*(?:</?\w[^>]*>\s*)*([^<\n]{1,300})")
_WAF = ("WAF", "验证码", "captcha", "verify", "风控", "Empty post data", "Empty html")


def rsshub_failure(status: int, body: bytes, content_type: str) -> tuple[str, str] | None:
    """(outcome, reason) when RSSHub answered an error (its error page, JSON error, a WAF or
    captcha it met upstream); None when the answer may be a feed."""
    head = (body or b"")[:20000]
    is_page = b"<rss" not in head[:2000] and b"<feed" not in head[:2000] and _RSSHUB_PAGE.search(head)
    json_error = re.search(rb'^\s*\{\s*"error"\s*:', head)
    if status == 200 and not is_page and not json_error:
        return None
    message = ""
    m = _MESSAGE.search(head) or re.search(rb'"message"\s*:\s*"([^"]{1,300})"', head)
    if m:
        message = m.group(1).decode("utf-8", "replace").strip()
    detail = f"HTTP {status}" + (f": {message}" if message else "")
    if any(w.lower() in message.lower() for w in _WAF):
        return "blocked", f"captcha: RSSHub met a verification page or WAF upstream ({detail})"
    if status == 403:
        return "blocked", f"rsshub_rejected: the platform refused RSSHub ({detail})"
    if status == 404:
        # RSSHub's NotFoundError: "暂未发表作品" for 头条, but also any route it does not know.
        return "error", f"rsshub_not_found: {detail}"
    return "error", f"rsshub_error: {detail}"
