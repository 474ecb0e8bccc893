"""Timeline cards → posts.

Posts are ``card_type`` 9 cards; ``card_type`` 11 groups (the 230413 route) are unwrapped.
A pinned post (``isTop``, ``mblogtype`` 2, ``title.text`` 置顶 or ``profile_type_id``
``proweibotop…``) sits first even when old: it is kept, flagged, and never counts as the
latest post nor ends paging. A post with a ``retweeted_status`` is a repost.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator, Optional
from zoneinfo import ZoneInfo

from spiders.weibo.dates import TZ, parse_created_at
from spiders.weibo.errors import LayoutError
from spiders.weibo.permission import comment_state

_TAG = re.compile(r"<[^>]+>")
_BR = re.compile(r"<br\s*/?>")
_FULL_TEXT_LINK = re.compile(r">\s*全文\s*</a>")
_HREF = re.compile(r"""(?:href|data-url)\s*=\s*["']([^"']+)["']""")
_BARE_URL = re.compile(r"https?://[^\s<>\"'，。]+")
# Labels and link hosts that mark a commercial ad or a shopping (CPS) link. Kept short on
# purpose: this only records signals; the ads detector and a reviewer decide.
AD_LABELS = ("【广告】", "#广告#", "【推广】", "#推广#", "广告合作")
SHOPPING_HOSTS = ("s.click.taobao.com", "item.taobao.com", "m.tb.cn", "detail.tmall.com", "uland.taobao.com",
                  "union-click.jd.com", "u.jd.com", "item.jd.com", "mobile.yangkeduo.com", "p.pinduoduo.com",
                  "v.douyin.com/shop", "haohuo.jinritemai.com", "weibo.com/p/ad", "ad.weibo.com")


@dataclass
class WeiboPost:
    id: str
    bid: Optional[str]
    created_at: str
    published_at: datetime
    time_precision: str
    kind: str  # original, repost
    pinned: bool
    text: str  # plain text, tags stripped
    text_html: str
    truncated: bool
    retweeted: Optional[dict[str, Any]] = None
    ad_signals: list[dict[str, str]] = field(default_factory=list)
    scheme: Optional[str] = None
    # Whether the post takes comments (spiders/weibo/permission.py); None: the card does not say.
    comments: Optional[dict[str, Any]] = None
    text_source: str = "card"  # card, card_truncated, extend (storage.models.TEXT_SOURCES)
    capture_ref: Optional[str] = None  # the WARC record of the answer the text was read from

    @property
    def needs_long_text(self) -> bool:
        """Cut at 全文: the rest (what the text check and the ads detector must read) comes
        from ``statuses/extend``."""
        return self.truncated


@dataclass
class TimelinePage:
    posts: list[WeiboPost]
    since_id: Optional[str]
    total: Optional[int]
    card_count: int
    # ``cardlistInfo.page``: the next page number. The 230413 route always pages this way;
    # the 107603 route does too since 2025, with no ``since_id`` at all.
    next_page: Optional[int] = None
    # Texts of cards that are not posts ("暂无微博" and the like, card_type 58 …).
    notices: list[str] = field(default_factory=list)

    @property
    def cursor(self) -> Optional[tuple[str, str]]:
        """The next page as the site names it: ``("since_id", …)`` or ``("page", …)``."""
        if self.since_id:
            return ("since_id", self.since_id)
        if self.next_page:
            return ("page", str(self.next_page))
        return None


def iter_mblog_cards(cards: list[Any]) -> Iterator[dict[str, Any]]:
    for card in cards or []:
        if not isinstance(card, dict):
            continue
        if card.get("card_type") == 9 and isinstance(card.get("mblog"), dict):
            yield card
        elif card.get("card_type") == 11:
            yield from iter_mblog_cards(card.get("card_group") or [])


def is_pinned(card: dict[str, Any]) -> bool:
    mblog = card.get("mblog") or {}
    title = mblog.get("title") if isinstance(mblog.get("title"), dict) else {}
    return (mblog.get("isTop") in (1, True, "1") or mblog.get("mblogtype") == 2
            or (title or {}).get("text") == "置顶"
            or str(card.get("profile_type_id") or "").startswith("proweibotop"))


def plain_text(text_html: str) -> str:
    text = _BR.sub("\n", text_html or "")
    return html.unescape(_TAG.sub("", text)).strip()


def links(text_html: str, plain: str | None = None) -> list[str]:
    """``plain``: ``plain_text(text_html)`` when the caller has it already."""
    found = [html.unescape(u) for u in _HREF.findall(text_html or "")]
    found += _BARE_URL.findall(plain_text(text_html) if plain is None else plain)
    return list(dict.fromkeys(found))


def ad_signals(text_html: str, plain: str | None = None) -> list[dict[str, str]]:
    plain = plain_text(text_html) if plain is None else plain
    out = [{"kind": "label", "value": label} for label in AD_LABELS if label in plain]
    for url in links(text_html, plain):
        # weibo.cn/sinaurl?u=… wraps external links; the host is inside the query.
        if any(host in url for host in SHOPPING_HOSTS):
            out.append({"kind": "shopping_link", "value": url})
    return out


def parse_post(card: dict[str, Any], now: datetime, tz: ZoneInfo = TZ) -> WeiboPost:
    mblog = card["mblog"]
    pid = mblog.get("id") or mblog.get("mid")
    if not pid or not mblog.get("created_at"):
        raise LayoutError(f"post card without id/created_at (itemid {card.get('itemid')!r})")
    when = parse_created_at(str(mblog["created_at"]), now, tz)
    text_html = str(mblog.get("text") or "")
    rt = mblog.get("retweeted_status")
    retweeted = None
    if isinstance(rt, dict):
        user = rt.get("user")
        retweeted = {"id": str(rt.get("id") or rt.get("mid") or ""),
                     "deleted": user is None or str(rt.get("deleted", "")) == "1",
                     "user": (user or {}).get("screen_name") if isinstance(user, dict) else None,
                     "text": plain_text(str(rt.get("text") or ""))[:200]}
    truncated = bool(mblog.get("isLongText")) or bool(_FULL_TEXT_LINK.search(text_html))
    text = plain_text(text_html)
    return WeiboPost(
        id=str(pid), bid=mblog.get("bid"), created_at=str(mblog["created_at"]), published_at=when.value,
        time_precision=when.precision, kind="repost" if retweeted is not None else "original",
        pinned=is_pinned(card), text=text, text_html=text_html, truncated=truncated,
        retweeted=retweeted, ad_signals=ad_signals(text_html, text), scheme=card.get("scheme"),
        comments=comment_state(mblog),
        text_source="card_truncated" if truncated else "card",
    )


def parse_timeline(data: dict[str, Any], now: datetime, tz: ZoneInfo = TZ) -> TimelinePage:
    """``data`` of an ok:1 timeline answer (107603… with since_id, or 230413… by page)."""
    cards = data.get("cards")
    if not isinstance(cards, list):
        raise LayoutError("timeline answer has no data.cards list")
    info = data.get("cardlistInfo") if isinstance(data.get("cardlistInfo"), dict) else {}
    posts = [parse_post(c, now, tz) for c in iter_mblog_cards(cards)]
    if cards and not posts and all(isinstance(c, dict) and c.get("card_type") in (9, 11) for c in cards):
        raise LayoutError("timeline cards of type 9/11 without an mblog")
    since = info.get("since_id")
    total = info.get("total")
    page = info.get("page")
    notices = [str(c.get("desc") or c.get("name") or c.get("title_sub") or f"card_type {c.get('card_type')}")
               for c in cards if isinstance(c, dict) and c.get("card_type") not in (9, 11)]
    return TimelinePage(posts=posts, since_id=str(since) if since not in (None, "", 0, "0") else None,
                        total=_int(total), card_count=len(cards),
                        next_page=_int(page) if _int(page) and _int(page) > 0 else None, notices=notices)


def _int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def claimed_posts(page: TimelinePage, statuses_count: Optional[int], stored: bool) -> Optional[str]:
    """Why an ok:1 page 1 without posts cannot mean "no posts": the site itself counts posts
    (the profile's ``statuses_count``, the timeline's ``total``) or earlier nights stored
    some. An expired visitor session and 半年可见 accounts answer exactly like this."""
    why = []
    if statuses_count:
        why.append(f"profile statuses_count {statuses_count}")
    if page.total:
        why.append(f"timeline total {page.total}")
    if stored:
        why.append("posts stored on earlier nights")
    return ", ".join(why) or None


def says_empty(page: TimelinePage, statuses_count: Optional[int]) -> bool:
    """Only the site's own count of 0 makes an empty page an empty account."""
    return statuses_count == 0 and not page.total


def parse_long_text(payload: dict[str, Any]) -> str:
    """``statuses/extend?id=`` → the full HTML text (``data.longTextContent``)."""
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict) or "longTextContent" not in data:
        raise LayoutError("statuses/extend answer has no data.longTextContent")
    return str(data["longTextContent"])
