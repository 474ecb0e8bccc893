"""The m.weibo.cn user search container (``containerid=100103type=3&q=…``) → users.

Users come in ``card_group`` lists (a ``card_type`` 11 card of ``card_type`` 10 items, each
with a ``user`` object keyed like the profile's ``userInfo``). Which card holds them is not
stable (a filter or "相关用户" card may come first), so every group is read and every item
that carries a ``user`` with an ``id`` is kept (docs/research/account_discovery.md).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Optional

from spiders.weibo.errors import LayoutError
from spiders.weibo.profile import parse_count

SEARCH_CONTAINER = "100103type=3&q={query}"
_SPACE = re.compile(r"\s+")


@dataclass
class SearchUser:
    uid: str
    screen_name: str
    verified: bool
    verified_type: Optional[int]
    verified_reason: str
    description: str
    followers_count: Optional[int]
    statuses_count: Optional[int]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchPage:
    users: list[SearchUser]
    next_page: Optional[int]
    total: Optional[int]


def _int(value: Any) -> Optional[int]:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _user(raw: dict[str, Any]) -> SearchUser:
    return SearchUser(
        uid=str(raw["id"]),
        screen_name=str(raw.get("screen_name") or ""),
        verified=bool(raw.get("verified", False)),
        verified_type=_int(raw.get("verified_type")),
        verified_reason=str(raw.get("verified_reason") or "").strip(),
        description=str(raw.get("description") or "").strip(),
        followers_count=parse_count(raw.get("followers_count")),
        statuses_count=parse_count(raw.get("statuses_count")),
    )


def parse_search(data: dict[str, Any]) -> SearchPage:
    """``data`` of an ``ok:1`` answer. An answer without ``cards`` is a layout we do not
    know; one whose cards hold no user is an empty result (the caller decides what that
    proves)."""
    cards = data.get("cards")
    if not isinstance(cards, list):
        raise LayoutError("search answer has no data.cards list")
    users: dict[str, SearchUser] = {}
    for card in cards:
        if not isinstance(card, dict):
            continue
        items = card.get("card_group") if isinstance(card.get("card_group"), list) else [card]
        for item in items:
            raw = item.get("user") if isinstance(item, dict) else None
            if isinstance(raw, dict) and raw.get("id") is not None and str(raw["id"]).isdigit():
                users.setdefault(str(raw["id"]), _user(raw))
    info = data.get("cardlistInfo") if isinstance(data.get("cardlistInfo"), dict) else {}
    return SearchPage(list(users.values()), _int(info.get("page")), _int(info.get("total")))


def folded(text: str | None) -> str:
    """Full/half width folded, whitespace removed: how a unit's name is looked for."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text or ""))


def mentions(user: SearchUser, terms: Iterable[str]) -> bool:
    """Does the user's name or 认证 text carry one of the unit's name forms? Only such users
    get their latest post read (the matcher in monitor.discovery decides what they are)."""
    hay = folded(user.screen_name) + "\n" + folded(user.verified_reason)
    return any(t and folded(t) in hay for t in terms)
