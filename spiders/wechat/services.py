"""Is the service behind a 订阅源 still syncing? A feed proves an account's silence only then.

The feed services lose their WeChat/WeRead logins for days and keep answering HTTP 200 with
the old items (cooderl/wewe-rss #407 #417 #427 #458): a stale feed looks exactly like a
dormant account. So every feed belongs to a service, and each service is checked once per
night, in one of two ways:

- ``feed-list`` — wewe-rss answers ``GET {origin}/feeds/`` with every feed it serves, each
  with ``syncTime`` (its last successful sync) and ``updateTime`` (the account's last
  article), epoch seconds. A feed whose ``syncTime`` is older than the allowed age proves
  nothing. wewe-rss is recognised by its URL shape ``{origin}/feeds/{id}.atom|rss|json``.
- ``canary`` — services that publish nothing about their syncing (we-mp-rss, RSSHub) are
  judged by an operator-chosen feed of an account known to publish daily: when its newest
  item is older than the allowed age, every feed of that service is unverifiable that night.

A service we cannot judge (list unreachable, feed missing from the list, canary failing) is
*unknown*, which proves nothing either. Services with neither check are ``unchecked``: their
feeds keep proving silence, as before (the README tells operators to configure a canary).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from spiders.wechat.feeds import ParsedFeed

SYNCING, STALE, UNKNOWN, UNCHECKED = "syncing", "stale", "unknown", "unchecked"
FEED_LIST, CANARY, NONE = "feed-list", "canary", "none"
# wewe-rss serves /feeds/all.atom too: the aggregate of every feed, not one account.
_WEWE_FEED = re.compile(r"^(?P<origin>https?://[^?#]+?)/feeds/(?P<id>[^/?#.]+)\.(?:atom|rss|json)$")


class ServiceError(ValueError):
    """The service's status answer is unusable; ``str()`` says why."""


@dataclass(frozen=True)
class FeedService:
    """One feed service as the crawl checks it."""

    key: str  # what alerts and facts name it by: the configured prefix or the origin
    kind: str  # wewe-rss, we-mp-rss, rsshub, other
    check: str  # feed-list, canary, none
    max_age: timedelta
    url: str | None = None  # the feed list or the canary feed
    refresh: bool = False  # wewe-rss: ask ?update=true with each feed


@dataclass
class FeedSync:
    id: str
    name: str | None
    sync_time: datetime | None  # None: never synced (0)
    update_time: datetime | None


@dataclass
class Freshness:
    state: str  # syncing, stale, unknown, unchecked
    since: datetime | None = None  # stale: the last sync (or the canary's newest item)
    reason: str | None = None  # the observation reason when the feed proves nothing
    facts: dict = field(default_factory=dict)

    @property
    def proves_silence(self) -> bool:
        return self.state in (SYNCING, UNCHECKED)


def wewe_feed_id(feed_url: str | None) -> tuple[str, str] | None:
    """(origin, feed id) of a wewe-rss per-account feed URL, else None."""
    if not feed_url:
        return None
    parts = urlsplit(feed_url.strip())
    m = _WEWE_FEED.match(f"{parts.scheme}://{parts.netloc}{parts.path}")
    if not m or m["id"] == "all":
        return None
    return m["origin"], m["id"]


def _configured(feed_url: str, configured: list[dict]) -> dict | None:
    """The configured service whose URL prefix is the longest match for this feed."""
    best = None
    for svc in configured or ():
        prefix = str(svc.get("url_prefix") or "").rstrip("/")
        if prefix and (feed_url == prefix or feed_url.startswith(prefix + "/")):
            if best is None or len(prefix) > len(str(best.get("url_prefix")).rstrip("/")):
                best = svc
    return best


def resolve(feed_url: str | None, configured: list[dict], default_max_age: timedelta) -> tuple[FeedService, str | None] | None:
    """(service, feed id in its list) for an account's feed; None for a feed of no known
    service (nothing to check)."""
    if not feed_url:
        return None
    wewe = wewe_feed_id(feed_url)
    conf = _configured(feed_url, configured)
    if conf is not None:
        max_age = timedelta(hours=float(conf["max_age_hours"])) if conf.get("max_age_hours") else default_max_age
        key = str(conf["url_prefix"]).rstrip("/")
        kind = str(conf.get("kind") or ("wewe-rss" if wewe else "other"))
        if conf.get("canary"):
            return FeedService(key, kind, CANARY, max_age, str(conf["canary"])), None
        if kind == "wewe-rss" and wewe:
            return FeedService(wewe[0], kind, FEED_LIST, max_age, wewe[0] + "/feeds/",
                               bool(conf.get("refresh"))), wewe[1]
        return FeedService(key, kind, NONE, max_age), None
    if wewe:
        return FeedService(wewe[0], "wewe-rss", FEED_LIST, default_max_age, wewe[0] + "/feeds/"), wewe[1]
    return None


def _epoch(value, what: str, tz: ZoneInfo) -> datetime | None:
    if value in (None, 0, "0", ""):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ServiceError(f"feed list: {what} {value!r} is not epoch seconds") from None
    if seconds > 1e11:  # milliseconds, as some forks write
        seconds /= 1000
    return datetime.fromtimestamp(seconds, tz)


def parse_feed_list(body: bytes, tz: ZoneInfo) -> dict[str, FeedSync]:
    """wewe-rss ``GET /feeds/``: ``[{id, name, intro, cover, syncTime, updateTime}, …]``."""
    try:
        doc = json.loads((body or b"").decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ServiceError(f"feed list is not JSON: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("data"), list):  # forks wrap it
        doc = doc["data"]
    if not isinstance(doc, list):
        raise ServiceError("feed list is not a JSON array of feeds")
    out: dict[str, FeedSync] = {}
    for i, row in enumerate(doc):
        if not isinstance(row, dict) or not row.get("id"):
            raise ServiceError(f"feed list: entry #{i + 1} has no id")
        if "syncTime" not in row:
            raise ServiceError(f"feed list: feed {row['id']} has no syncTime")
        out[str(row["id"])] = FeedSync(str(row["id"]), row.get("name"),
                                       _epoch(row.get("syncTime"), "syncTime", tz),
                                       _epoch(row.get("updateTime"), "updateTime", tz))
    return out


def _when(dt: datetime | None, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if dt else "never"


def stale(since: datetime | None, tz: ZoneInfo, facts: dict) -> Freshness:
    return Freshness(STALE, since, f"feed_stale: 订阅源停止同步 since {_when(since, tz)}", facts)


def unknown(why: str, facts: dict | None = None) -> Freshness:
    return Freshness(UNKNOWN, None, f"feed_service_unknown: 订阅源服务状态未知（{why}）", facts or {})


def judge_listed(feed_id: str, listing: dict[str, FeedSync], at: datetime, max_age: timedelta,
                 tz: ZoneInfo) -> Freshness:
    """One feed's freshness from the service's feed list."""
    sync = listing.get(feed_id)
    if sync is None:
        return unknown(f"feed {feed_id} is not in the service's feed list")
    facts = {"feed_id": feed_id, "sync_time": sync.sync_time.isoformat() if sync.sync_time else None,
             "update_time": sync.update_time.isoformat() if sync.update_time else None}
    if sync.sync_time is None or at - sync.sync_time > max_age:
        return stale(sync.sync_time, tz, facts)
    return Freshness(SYNCING, None, None, facts)


def judge_canary(feed: ParsedFeed, at: datetime, max_age: timedelta, tz: ZoneInfo) -> Freshness:
    """The whole service's freshness from its canary feed's newest dated item."""
    dates = [e.date for e in feed.entries if e.date is not None and e.date <= at]
    if not dates:
        return unknown("the canary feed has no dated items")
    newest = max(dates)
    facts = {"canary_newest": newest.isoformat()}
    if at - newest > max_age:
        return stale(newest, tz, facts)
    return Freshness(SYNCING, None, None, facts)
