"""Which publish time an article gets, and what one night's feed proves about an account.

The article page's own ``ct`` is the publish time. A feed date stands in only when the page
could not be read *and* the feed comes from a tool that writes real publish times
(``WECHAT_TRUSTED_FEED_KINDS``); aggregators stamp crawl times, which never prove an update.

Feeds list the newest articles first. An article without a trustworthy time could sit
anywhere above the next dated one, so the span a feed vouches for ("nothing else was
published from ``covered_from`` until now") runs only down the leading run of dated items.
When even the newest item is undated, the feed proves nothing about silence: unless a dated
article already shows an update inside the veto window, the account cannot be judged.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from spiders.timespan import updated_within, vouched_from


@dataclass
class ItemTime:
    post_id: str
    published_at: datetime | None  # trustworthy time, or None
    source: str  # article, feed, stored, none
    why_untimed: str | None = None  # captcha, http 500, deleted … when published_at is None


@dataclass
class FeedVerdict:
    outcome: str  # ok, blocked, error
    reason: str | None
    covered_from: datetime | None


def choose_time(article_time: datetime | None, feed_date: datetime | None, feed_kind: str,
                trusted_kinds) -> tuple[datetime | None, str]:
    if article_time is not None:
        return article_time, "article"
    if feed_date is not None and feed_kind in set(trusted_kinds or ()):
        return feed_date, "feed"
    return None, "none"


def feed_verdict(items: list[ItemTime], at: datetime, veto_days: float = 14) -> FeedVerdict:
    """Outcome and covered span of one feed observation; ``items`` in feed order."""
    if not items:
        return FeedVerdict("error", "feed_empty: feed lists no articles", None)
    times = [i.published_at for i in items]
    covered_from = vouched_from(times)
    if covered_from is not None:
        return FeedVerdict("ok", None, covered_from)
    if updated_within(times, at, veto_days):
        # An update inside the window is proven; which weeks are empty is not.
        return FeedVerdict("ok", "untimed_articles: newest articles have no trustworthy time", None)
    why = Counter(i.why_untimed or "unknown" for i in items if i.published_at is None)
    summary = ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in why.most_common())
    blocked = any(k.startswith(("captcha", "blocked")) for k in why)
    return FeedVerdict("blocked" if blocked else "error", f"articles_unverifiable: {summary}", None)
