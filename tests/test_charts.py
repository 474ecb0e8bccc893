"""The periodic report's trend chart reads as nights: one tick label per day (never hours),
about eight at most, whatever the period's length."""
from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.reports.charts import svg, trend_chart
from tests.fixtures.core import T, TZ


@pytest.mark.parametrize("nights, labels", [
    (1, ["11月25日"]),
    (2, ["11月24日", "11月25日"]),
    (90, None),
])
def test_trend_chart_ticks_are_days(nights, labels):
    series = [(T - timedelta(days=i), 0.8, 0.9) for i in reversed(range(nights))]
    fig = trend_chart(series, TZ)
    svg(fig)  # draws the figure, which places the ticks
    got = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert all(label.endswith("日") and "月" in label for label in got), got
    assert len(got) <= 8
    if labels is not None:
        assert got == labels
