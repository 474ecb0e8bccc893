"""Monitoring time points and calendar arithmetic, always timezone-aware."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")


def resolve_at(value: str | datetime | None, tz: ZoneInfo = DEFAULT_TZ) -> datetime:
    """Parse ``--at``. A time without an offset is read in ``tz`` (Beijing time by default)."""
    if value is None or value == "":
        return datetime.now(tz)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"--at: not an ISO 8601 time: {value!r} (e.g. 2026-11-25T02:00+08:00)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(tz)


def start_of_day(d: date, tz: ZoneInfo = DEFAULT_TZ) -> datetime:
    return datetime.combine(d, time.min, tzinfo=tz)


def complete_weeks_before(at: datetime, n: int, tz: ZoneInfo = DEFAULT_TZ) -> list[tuple[datetime, datetime]]:
    """The ``n`` complete natural weeks (Mon 00:00 – next Mon 00:00, in ``tz``) before ``at``,
    oldest first, as half-open [start, end) intervals."""
    local = at.astimezone(tz)
    this_monday = start_of_day(local.date() - timedelta(days=local.weekday()), tz)
    weeks = []
    for i in range(n, 0, -1):
        start = this_monday - timedelta(weeks=i)
        weeks.append((start, start + timedelta(weeks=1)))
    return weeks
