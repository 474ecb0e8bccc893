"""A Weibo post's comment section (docs/research/interaction.md).

``/comments/hotflow?id=MID&mid=MID&max_id_type=0`` answers
``{"ok":1,"data":{"data":[comment…],"total_number":N,"max_id":…,"max_id_type":0}}``; each
comment has ``id``, ``created_at``, ``text`` (HTML), ``user`` {``id``, ``screen_name``} and
the replies under it in ``comments`` (a list, or false). A post without comments answers
``{"ok":0,…}`` with an empty ``data``: that is "no comments", not a failure.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional
from zoneinfo import ZoneInfo

from spiders.weibo.cards import plain_text
from spiders.weibo.dates import TZ, parse_created_at
from spiders.weibo.errors import LayoutError

@dataclass
class WeiboComment:
    id: str
    parent_id: Optional[str]  # the comment this one replies to (None: a top-level comment)
    user_id: str
    user_name: Optional[str]
    text: str
    created_at: Optional[datetime]


def hotflow_path(mid: str) -> tuple[str, dict[str, str]]:
    return "/comments/hotflow", {"id": mid, "mid": mid, "max_id_type": "0"}


def is_no_comments(payload: Any) -> bool:
    """``ok:0`` with no data: the post has no comments (how the real endpoint answers)."""
    return isinstance(payload, dict) and payload.get("ok") == 0 and not payload.get("data") \
        and not payload.get("url")


def parse_hotflow(data: dict[str, Any], now: datetime, limit: int, tz: ZoneInfo = TZ) -> list[WeiboComment]:
    """Top-level comments and the replies under them, at most ``limit`` in all (page order)."""
    items = data.get("data")
    if not isinstance(items, list):
        raise LayoutError("hotflow answer has no data.data list")
    out: list[WeiboComment] = []
    for item in items:
        for c, parent in [(item, None)] + [(r, str(item.get("id"))) for r in (item.get("comments") or [])
                                            if isinstance(item, dict) and isinstance(r, dict)]:
            if len(out) >= limit:
                return out
            if not isinstance(c, dict) or not c.get("id"):
                continue
            user = c.get("user") if isinstance(c.get("user"), dict) else {}
            when = None
            if c.get("created_at"):
                try:
                    when = parse_created_at(str(c["created_at"]), now, tz).value
                except ValueError:
                    when = None
            out.append(WeiboComment(id=str(c["id"]), parent_id=parent, user_id=str(user.get("id") or ""),
                                    user_name=user.get("screen_name"), text=plain_text(str(c.get("text") or "")),
                                    created_at=when))
    return out
