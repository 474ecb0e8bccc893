"""Weibo ``created_at`` values → timezone-aware datetimes.

The API gives ``"Tue Jun 08 09:35:04 +0800 2021"`` and, for recent posts, relative forms
(刚刚, N秒前, N分钟前, N小时前, 今天 HH:MM, 昨天 HH:MM, MM-DD, YYYY-MM-DD) that are read
against the crawl's clock in Beijing time. Month and weekday names are matched by hand
because ``strptime("%a %b")`` depends on the process locale.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
_MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}
_ABSOLUTE = re.compile(
    r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}) (\d{4})$")
_AGO = re.compile(r"^(\d+)\s*(秒|分钟|小时)前$")
_DAY_HM = re.compile(r"^(今天|昨天|前天)\s*(\d{1,2}):(\d{2})$")
_MD = re.compile(r"^(\d{1,2})-(\d{1,2})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_OFFSETS = {"今天": 0, "昨天": 1, "前天": 2}


class DateFormatError(ValueError):
    pass


@dataclass(frozen=True)
class ParsedDate:
    value: datetime
    # "second" for the full format; "minute"/"hour"/"day" for relative forms. A day-only
    # date is placed at the END of that day (capped at the clock): a post is never made
    # to look older than it may be, so an update window is never judged empty by rounding.
    precision: str
    relative: bool


def parse_created_at(text: str, now: datetime, tz: ZoneInfo = TZ) -> ParsedDate:
    """Parse one ``created_at`` value; ``now`` is the crawl clock (aware)."""
    if now.tzinfo is None:
        raise ValueError("parse_created_at: 'now' must be timezone-aware")
    raw = (text or "").strip()
    m = _ABSOLUTE.match(raw)
    if m:
        mon, day, hh, mm, ss, off, year = m.groups()
        if mon not in _MONTHS:
            raise DateFormatError(f"created_at {text!r}: unknown month {mon!r}")
        value = datetime(int(year), _MONTHS[mon], int(day), int(hh), int(mm), int(ss),
                         tzinfo=_zone(off)).astimezone(tz)
        return ParsedDate(value, "second", False)
    local_now = now.astimezone(tz)
    if raw == "刚刚":
        return ParsedDate(local_now, "minute", True)
    m = _AGO.match(raw)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        delta = {"秒": timedelta(seconds=n), "分钟": timedelta(minutes=n), "小时": timedelta(hours=n)}[unit]
        return ParsedDate(local_now - delta, {"秒": "second", "分钟": "minute", "小时": "hour"}[unit], True)
    m = _DAY_HM.match(raw)
    if m:
        d = local_now.date() - timedelta(days=_DAY_OFFSETS[m.group(1)])
        value = datetime.combine(d, time(int(m.group(2)), int(m.group(3))), tzinfo=tz)
        return ParsedDate(value, "minute", True)
    m = _MD.match(raw)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        year = local_now.year
        # "MM-DD" is this year's date; one later than today can only be last year's.
        if (month, day) > (local_now.month, local_now.day):
            year -= 1
        return ParsedDate(_end_of_day(_date(year, month, day, text), local_now, tz), "day", True)
    m = _YMD.match(raw)
    if m:
        d = _date(int(m.group(1)), int(m.group(2)), int(m.group(3)), text)
        return ParsedDate(_end_of_day(d, local_now, tz), "day", True)
    raise DateFormatError(f"created_at {text!r}: not a known Weibo date format")


@lru_cache(maxsize=64)
def _zone(off: str) -> timezone:
    """``+0800`` → its fixed zone (every post of a timeline names the same one)."""
    sign = 1 if off[0] == "+" else -1
    return timezone(timedelta(hours=int(off[1:3]), minutes=int(off[3:5])) * sign)


def _date(y: int, m: int, d: int, text: str) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise DateFormatError(f"created_at {text!r}: no such date") from None


def _end_of_day(d: date, now: datetime, tz: ZoneInfo) -> datetime:
    end = datetime.combine(d, time(23, 59, 59), tzinfo=tz)
    return min(end, now)
