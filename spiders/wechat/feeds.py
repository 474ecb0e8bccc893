"""Read an account's 订阅源 (feed) into a list of article links with the dates the feed states.

Shapes real deployments produce (research §2.2):
- wewe-rss Atom: the publish time is in ``<updated>``; there is no ``<published>``;
- RSSHub / wewe-rss / hellodword RSS 2.0: ``<pubDate>`` in RFC 822;
- we-mp-rss RSS: ``<pubDate>`` written without a zone (a naive ``strftime('%z')``), which is
  Beijing time — feedparser would read it as UTC, eight hours off;
- JSON Feed (wewe-rss ``.json``, aggregators): feedparser does not read it, so ``json`` does.

A feed's dates are only as good as the tool behind it (aggregators stamp crawl times), so
the feed *kind* is recognised and recorded; which kinds are trusted is configuration.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import feedparser
import feedparser.mixin

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _memoise_base_uri_join() -> None:
    """feedparser re-joins the document's base URI with itself at every start tag (xml:base
    tracking: ``make_safe_absolute_uri(base, base)``, two ``urllib.parse`` passes per element).
    It is a pure function of its string arguments, so answering the repeats from a cache
    changes no result. Skipped if a later feedparser moves it."""
    fn = getattr(feedparser.mixin, "make_safe_absolute_uri", None)
    if callable(fn) and not hasattr(fn, "cache_info"):
        feedparser.mixin.make_safe_absolute_uri = lru_cache(maxsize=256)(fn)


_memoise_base_uri_join()

# feedparser flags these as "bozo" although the entries are fine.
_BENIGN = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
_TAG = re.compile(r"<[^>]*>")
_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|div|section|li|h[1-6])\s*>", re.I)
_INVISIBLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.I | re.S)
_HAS_ZONE = re.compile(r"(?:[+-]\d{2}:?\d{2}|\b(?:GMT|UTC|UT|[ECMP][SD]T)|\dZ)\s*$", re.I)


class FeedError(ValueError):
    """The body is not a usable feed; ``str()`` says why (feedparser's reason when it has one)."""


@dataclass
class FeedEntry:
    link: str | None
    title: str | None
    date: datetime | None  # what the feed says; may be a crawl time (see ParsedFeed.kind)
    date_field: str | None = None  # published / updated / date_published / date_modified
    raw_date: str | None = None
    zone_assumed: bool = False  # the feed wrote no zone: read as local (Beijing) time
    # The entry's text as the feed gives it (content, else description), tags stripped: the
    # post's body only when its article page cannot be read.
    summary: str | None = None


@dataclass
class ParsedFeed:
    kind: str  # wewe-rss, we-mp-rss, rsshub, wechat-feeds, json-feed, atom, rss
    format: str  # atom, rss, json
    title: str | None
    entries: list[FeedEntry] = field(default_factory=list)
    generator: str | None = None


def feed_kind(generator: str | None, title: str | None, url: str | None, fmt: str) -> str:
    """Which tool made the feed: its generator tag first, then tell-tale titles and URLs."""
    g = (generator or "").lower()
    if "wewe" in g:
        return "wewe-rss"
    if "mp-we-rss" in g or "we-mp-rss" in g:
        return "we-mp-rss"
    if "rsshub" in g:
        return "rsshub"
    if (title or "").rstrip().endswith("wechat-feeds"):
        return "wechat-feeds"
    u = (url or "").lower()
    if "/feeds/mp_wxs_" in u:
        return "wewe-rss"
    if "rsshub" in u:
        return "rsshub"
    return {"json": "json-feed"}.get(fmt, fmt)


def _parse_loose(raw: str, tz: ZoneInfo) -> tuple[datetime | None, bool]:
    """Dates feedparser gives up on, chiefly RFC 822 without a zone (we-mp-rss)."""
    text = raw.strip()
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            return None, False
    if dt.tzinfo is None:
        return dt.replace(tzinfo=tz), True
    return dt.astimezone(tz), False


def _entry_date(entry, tz: ZoneInfo) -> tuple[datetime | None, str | None, str | None, bool]:
    for name in ("published", "updated"):
        parsed = entry.get(f"{name}_parsed")
        raw = entry.get(name)
        if raw and (not parsed or not _HAS_ZONE.search(raw.strip())):
            # A date without a zone: the tools that write those (we-mp-rss) run on Beijing
            # time, so it is read as local time — never as UTC, as feedparser would.
            date, assumed = _parse_loose(raw, tz)
            if date is not None:
                return date, name, raw, assumed
        if parsed:
            return datetime(*parsed[:6], tzinfo=timezone.utc).astimezone(tz), name, raw, False
    return None, None, None, False


def _plain(markup: str | None) -> str | None:
    """Feed HTML as text: one line per block, entities decoded, nothing executable kept."""
    if not markup or not markup.strip():
        return None
    return _lines(html.unescape(_TAG.sub("", _INVISIBLE.sub("", _BLOCK_END.sub("\n", markup)))))


def _lines(text: str) -> str | None:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line) or None


def _xml_summary(entry) -> str | None:
    content = entry.get("content") or []
    values = [c.get("value") for c in content if isinstance(c, dict) and c.get("value")]
    return _plain(max(values, key=len) if values else entry.get("summary"))


def _parse_xml(body: bytes, url: str, content_type: str, tz: ZoneInfo) -> ParsedFeed:
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    d = feedparser.parse(body, response_headers=headers)
    if d.bozo and not isinstance(d.bozo_exception, _BENIGN):
        raise FeedError(f"malformed feed: {d.bozo_exception}")
    if not d.version:
        raise FeedError("not a feed: no RSS, Atom or JSON Feed document found")
    fmt = "atom" if d.version.startswith("atom") else "rss"
    title = d.feed.get("title")
    generator = d.feed.get("generator")
    entries = []
    for e in d.entries:
        date, date_field, raw, assumed = _entry_date(e, tz)
        entries.append(FeedEntry(e.get("link") or e.get("id"), e.get("title"), date, date_field, raw, assumed,
                                 _xml_summary(e)))
    return ParsedFeed(feed_kind(generator, title, url, fmt), fmt, title, entries, generator)


def _iso(raw: str | None, tz: ZoneInfo) -> tuple[datetime | None, bool]:
    if not raw:
        return None, False
    try:
        dt = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None, False
    if dt.tzinfo is None:
        return dt.replace(tzinfo=tz), True
    return dt.astimezone(tz), False


def _parse_json(body: bytes, url: str, tz: ZoneInfo) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"malformed JSON Feed: {exc}") from None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")) \
            or not isinstance(doc.get("items"), list):
        raise FeedError("malformed JSON Feed: no jsonfeed.org version or no items list")
    entries = []
    for i, item in enumerate(doc["items"]):
        if not isinstance(item, dict):
            raise FeedError(f"malformed JSON Feed: item #{i + 1} is not an object")
        # wewe-rss writes the publish time into date_modified (jpmonette/feed).
        date_field = "date_published" if item.get("date_published") else "date_modified"
        raw = item.get(date_field)
        date, assumed = _iso(raw, tz)
        text = next((v for v in (item.get("content_text"), item.get("summary")) if isinstance(v, str) and v.strip()), None)
        summary = _lines(text) if text else (
            _plain(item["content_html"]) if isinstance(item.get("content_html"), str) else None)
        entries.append(FeedEntry(item.get("url") or item.get("external_url") or item.get("id"),
                                 item.get("title"), date, date_field if raw else None, raw, assumed, summary))
    generator = doc.get("generator") if isinstance(doc.get("generator"), str) else None
    return ParsedFeed(feed_kind(generator, doc.get("title"), url, "json"), "json", doc.get("title"),
                      entries, generator)


def parse_feed(body: bytes, url: str = "", content_type: str = "", tz: ZoneInfo = SHANGHAI) -> ParsedFeed:
    """Parse a feed body of any supported shape; raise FeedError when it is not usable."""
    if not body or not body.strip():
        raise FeedError("empty response body")
    if "json" in (content_type or "").lower() or body.lstrip()[:1] == b"{":
        return _parse_json(body, url, tz)
    return _parse_xml(body, url, content_type, tz)
