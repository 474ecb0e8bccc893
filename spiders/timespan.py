"""What a newest-first list of items with possibly missing publish times proves — shared by
every feed-like channel (WeChat feeds, 头条/抖音/快手 lists).

An undated item can sit anywhere above the next dated one, so the span a list vouches for
("nothing else was published from here until now") runs only down the leading run of dated
items; below the first undated one nothing is proven. A dated item inside the veto window
still proves the account was active, even when the span proves nothing."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Optional, Sequence


def vouched_from(times: Sequence[Optional[datetime]]) -> Optional[datetime]:
    """The oldest time of the leading run of dated items (newest first); None when the newest is undated."""
    leading: list[datetime] = []
    for t in times:
        if t is None:
            break
        leading.append(t)
    return min(leading) if leading else None


def updated_within(times: Iterable[Optional[datetime]], at: datetime, days: float) -> bool:
    """Whether a dated item falls inside the ``days`` before ``at``."""
    start = at - timedelta(days=days)
    return any(t is not None and start < t <= at for t in times)
