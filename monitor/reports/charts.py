"""The periodic report's charts, drawn on the server with matplotlib (no JavaScript): SVG
inline in the HTML, PNG in the .docx (Word and WPS do not all read SVG). One drawing per
chart, two encodings, so the web page and the document never disagree.

Text is Chinese: the CJK fonts Debian's fonts-noto-cjk installs come first, then the
Windows/macOS ones; SVG glyphs are stored as paths so the file looks the same anywhere.
"""
from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")  # no display on a server; set before anything imports pyplot

from matplotlib.dates import DateFormatter, DayLocator  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from monitor.reports.timeline import ORIGINAL, OTHER  # noqa: E402

FONTS = ["Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
         "Microsoft YaHei", "SimHei", "PingFang SC", "DejaVu Sans"]
STYLE = {"font.family": "sans-serif", "font.sans-serif": FONTS, "font.size": 9,
         "axes.unicode_minus": False, "svg.fonttype": "path", "svg.hashsalt": "monitor"}
NO_DATA = "#9a9a9a"
PALETTE = [ORIGINAL, "#d9822b", "#2e8b57", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#b7950b",
           "#34495e", "#e67e22", "#1abc9c", "#9b59b6"]


def _encode(fig: Figure, fmt: str) -> bytes:
    buf = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buf, format=fmt, dpi=180 if fmt == "png" else 72, bbox_inches="tight",
                    metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def svg(fig: Figure) -> str:
    """The <svg> element alone (no XML prolog or doctype), to inline in HTML."""
    text = _encode(fig, "svg").decode("utf-8")
    return text[text.index("<svg"):]


def png(fig: Figure) -> bytes:
    return _encode(fig, "png")


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(STYLE):
        return Figure(figsize=(width, height), layout="constrained")


def trend_chart(nights: list[tuple[datetime, float | None, float | None]], tz: ZoneInfo) -> Figure:
    """合格率 and 核验率 night by night. ``nights``: (T, 合格率, share of accounts checked)."""
    with matplotlib.rc_context(STYLE):
        fig = _figure(7.2, 2.6)
        ax = fig.add_subplot()
        # A night is a day on this axis (plotted at its midnight, so day ticks fall on it).
        days = [datetime.combine(t.astimezone(tz).date(), time()) for t, _, _ in nights]
        rates = [r if r is not None else float("nan") for _, r, _ in nights]
        checked = [c if c is not None else float("nan") for _, _, c in nights]
        ax.plot(days, rates, color=ORIGINAL, linewidth=1.6, marker="o", markersize=2.5, label="合格率（已核验账号）")
        ax.plot(days, checked, color=OTHER, linewidth=1.2, linestyle="--", label="核验率（已核验账号占比）")
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.grid(axis="y", color="#e3e3e3")
        ax.legend(loc="lower left", fontsize=8, frameon=False)
        ax.tick_params(axis="x", labelsize=8)
        # One value per night: ticks on whole days (matplotlib's automatic locator chose
        # hours for a period of a few nights), about eight of them whatever the period.
        if days:
            span = (max(days) - min(days)).days
            ax.set_xlim(min(days) - timedelta(hours=12), max(days) + timedelta(hours=12))
            ax.xaxis.set_major_locator(DayLocator(interval=max(1, -(-span // 8))))
            ax.xaxis.set_major_formatter(DateFormatter("%m月%d日"))
        else:
            ax.set_xticks([])
        fig.autofmt_xdate(rotation=0, ha="center")
        if not nights:
            ax.text(0.5, 0.5, "暂无评分记录", transform=ax.transAxes, ha="center", color="#666")
    return fig


def monthly_chart(groups: list[tuple[str, list[float | None]]], months: list[str]) -> Figure:
    """Grouped bars: one group of bars per 属地, one bar per month (None = nothing checked)."""
    with matplotlib.rc_context(STYLE):
        fig = _figure(7.2, 2.9)
        ax = fig.add_subplot()
        n = max(len(months), 1)
        width = 0.8 / n
        for j, label in enumerate(months):
            xs = [i + (j - (n - 1) / 2) * width for i in range(len(groups))]
            values = [rates[j] if rates[j] is not None else 0.0 for _, rates in groups]
            bars = ax.bar(xs, values, width=width * 0.95, color=PALETTE[j % len(PALETTE)], label=label)
            for bar, (_, rates) in zip(bars, groups):
                if rates[j] is None:  # nothing checked that month: a hatched stub, not a 0 % bar
                    bar.set_height(0.03)
                    bar.set_facecolor("none")
                    bar.set_edgecolor(NO_DATA)
                    bar.set_hatch("////")
        ax.set_xticks(range(len(groups)), [g for g, _ in groups], fontsize=8,
                      rotation=30 if len(groups) > 8 else 0, ha="right" if len(groups) > 8 else "center")
        ax.set_ylim(0, 1.05)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.grid(axis="y", color="#e3e3e3")
        ax.set_axisbelow(True)
        ax.legend(fontsize=8, frameon=False, ncols=min(n, 6), loc="upper center", bbox_to_anchor=(0.5, -0.12 if len(groups) <= 8 else -0.3))
    return fig
