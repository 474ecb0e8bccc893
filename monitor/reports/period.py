"""Reporting periods: ``2026Q4``, ``2026-11`` or ``FROM..TO`` (ISO dates, both inclusive).

The periodic report (``monitor report --period``) and the 通报 (``monitor tongbao issue
--period``) both read this, so a quarter means the same days in both.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.reports.wording import fmt_date
from monitor.timeutil import start_of_day

_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER_ZH = "一二三四"
EXAMPLES = "2026Q4, 2026-11 or 2026-10-01..2026-12-31"


class PeriodError(ValueError):
    """A --period the parser cannot read; the message names the value and the accepted forms."""


@dataclass(frozen=True)
class Period:
    """Calendar days ``first``..``last`` (inclusive), as the inspector named them."""

    first: date
    last: date
    kind: str  # quarter | month | range
    text: str  # the canonical spelling: 2026Q4, 2026-11, 2026-10-01..2026-12-31

    def start(self, tz: ZoneInfo) -> datetime:
        """The first instant of the period in ``tz``."""
        return start_of_day(self.first, tz)

    def end(self, tz: ZoneInfo) -> datetime:
        """The first instant after the period in ``tz`` (half-open [start, end))."""
        return start_of_day(self.last + timedelta(days=1), tz)

    def contains(self, at: datetime, tz: ZoneInfo) -> bool:
        return self.start(tz) <= at < self.end(tz)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every calendar month the period touches, oldest first."""
        out, y, m = [], self.first.year, self.first.month
        while (y, m) <= (self.last.year, self.last.month):
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    @property
    def title_zh(self) -> str:
        """'2026年第四季度', '2026年11月', '2026年10月1日至2026年12月31日'."""
        if self.kind == "quarter":
            return f"{self.first.year}年第{_QUARTER_ZH[(self.first.month - 1) // 3]}季度"
        if self.kind == "month":
            return f"{self.first.year}年{self.first.month}月"
        return f"{fmt_date(self.first)}至{fmt_date(self.last)}"


def parse_period(text: str) -> Period:
    """Read ``2026Q4`` | ``2026-11`` | ``2026-10-01..2026-12-31``; PeriodError otherwise."""
    raw = (text or "").strip()
    if m := _QUARTER.match(raw):
        year, q = int(m.group(1)), int(m.group(2))
        first = date(year, 3 * q - 2, 1)
        last = date(year, 3 * q, calendar.monthrange(year, 3 * q)[1])
        return Period(first, last, "quarter", f"{year}Q{q}")
    if m := _MONTH.match(raw):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise PeriodError(f"--period {raw!r}: month {month} does not exist (expected {EXAMPLES})")
        last = date(year, month, calendar.monthrange(year, month)[1])
        return Period(date(year, month, 1), last, "month", f"{year}-{month:02d}")
    if ".." in raw:
        left, _, right = raw.partition("..")
        first, last = _iso_day(left, raw), _iso_day(right, raw)
        if last < first:
            raise PeriodError(f"--period {raw!r}: ends before it starts (expected {EXAMPLES})")
        return Period(first, last, "range", f"{first.isoformat()}..{last.isoformat()}")
    raise PeriodError(f"--period {raw!r}: not a period (expected {EXAMPLES})")


def _iso_day(part: str, raw: str) -> date:
    try:
        return date.fromisoformat(part.strip())
    except ValueError:
        raise PeriodError(f"--period {raw!r}: {part.strip()!r} is not a date YYYY-MM-DD "
                          f"(expected {EXAMPLES})") from None
