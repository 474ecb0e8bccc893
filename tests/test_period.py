"""--period as inspectors write it: a quarter, a month, or FROM..TO (inclusive)."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.reports.period import PeriodError, parse_period

TZ = ZoneInfo("Asia/Shanghai")


def test_quarter_month_and_range_cover_the_named_days():
    q = parse_period("2026Q4")
    assert (q.first, q.last, q.days, q.title_zh) == (date(2026, 10, 1), date(2026, 12, 31), 92, "2026年第四季度")
    assert q.months() == [(2026, 10), (2026, 11), (2026, 12)]
    m = parse_period("2026-2")
    assert (m.first, m.last, m.text, m.title_zh) == (date(2026, 2, 1), date(2026, 2, 28), "2026-02", "2026年2月")
    r = parse_period(" 2026-11-20..2026-12-03 ")
    assert r.title_zh == "2026年11月20日至2026年12月3日" and r.months() == [(2026, 11), (2026, 12)]


def test_bounds_are_local_days_half_open():
    m = parse_period("2026-11")
    assert m.start(TZ) == datetime(2026, 11, 1, tzinfo=TZ)
    assert m.end(TZ) == datetime(2026, 12, 1, tzinfo=TZ)
    assert m.contains(datetime(2026, 11, 30, 23, 59, tzinfo=TZ), TZ)
    assert not m.contains(datetime(2026, 12, 1, tzinfo=TZ), TZ)
    # 2026-11-30 16:30 UTC is already 1 December in Beijing.
    assert not m.contains(datetime(2026, 11, 30, 16, 30, tzinfo=ZoneInfo("UTC")), TZ)


@pytest.mark.parametrize("bad, says", [
    ("2026Q5", "not a period"), ("2026-13", "month 13"), ("2026-12-01..2026-11-01", "ends before"),
    ("2026-11-01..soon", "'soon' is not a date"), ("", "not a period"),
])
def test_bad_periods_say_what_is_wrong(bad, says):
    with pytest.raises(PeriodError, match=says) as exc:
        parse_period(bad)
    assert "2026Q4" in str(exc.value)
