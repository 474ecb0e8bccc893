"""The profile answer (``getIndex?type=uid&value=UID`` or ``containerid=100505UID``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from spiders.weibo.errors import LayoutError

_COUNT = re.compile(r"^\s*([\d.]+)\s*(万|亿)?\+?\s*$")
_UNITS = {None: 1, "万": 10_000, "亿": 100_000_000}


def parse_count(value: Any) -> Optional[int]:
    """Weibo counts come as ints or as display strings like "145.5万" or "10万+"."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    m = _COUNT.match(str(value).replace(",", ""))
    if not m:
        return None
    return int(round(float(m.group(1)) * _UNITS[m.group(2)]))


@dataclass
class WeiboProfile:
    uid: str
    screen_name: Optional[str]
    verified: bool
    verified_type: Optional[int]
    verified_reason: str
    statuses_count: Optional[int]
    followers_count: Optional[int]
    follow_count: Optional[int]
    description: Optional[str]
    weibo_containerid: Optional[str]
    raw_followers: Any = None
    tabs: list[dict[str, Any]] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        """What the product keeps in Account.profile_facts."""
        return {"weibo_uid": self.uid, "statuses_count": self.statuses_count,
                "followers_count": self.followers_count, "follow_count": self.follow_count,
                "description": self.description, "weibo_containerid": self.weibo_containerid}


def parse_profile(payload: dict[str, Any]) -> WeiboProfile:
    data = payload.get("data")
    info = data.get("userInfo") if isinstance(data, dict) else None
    if not isinstance(info, dict) or "id" not in info:
        raise LayoutError("profile answer has no data.userInfo.id")
    tabs = ((data.get("tabsInfo") or {}).get("tabs") or []) if isinstance(data.get("tabsInfo"), dict) else []
    weibo_tab = next((t for t in tabs if isinstance(t, dict) and t.get("tab_type") == "weibo"), None)
    vtype = info.get("verified_type")
    return WeiboProfile(
        uid=str(info["id"]),
        screen_name=info.get("screen_name"),
        verified=bool(info.get("verified", False)),
        verified_type=int(vtype) if isinstance(vtype, (int, str)) and str(vtype).lstrip("-").isdigit() else None,
        verified_reason=(info.get("verified_reason") or "").strip(),
        statuses_count=parse_count(info.get("statuses_count")),
        followers_count=parse_count(info.get("followers_count")),
        follow_count=parse_count(info.get("follow_count")),
        description=info.get("description"),
        weibo_containerid=str(weibo_tab["containerid"]) if weibo_tab and weibo_tab.get("containerid") else None,
        raw_followers=info.get("followers_count"),
        tabs=[t for t in tabs if isinstance(t, dict)],
    )
