"""合格率 night by night as inline SVG (the same look as the posting timelines)."""
from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from monitor.reports.timeline import GAP, ORIGINAL

WIDTH, HEIGHT = 640, 170
LEFT, RIGHT, TOP, BOTTOM = 40, 12, 14, 30


def trend_svg(points: list[tuple[datetime, float | None, int]], tz: ZoneInfo, label: str = "合格率") -> str:
    """``points``: (T, rate 0–1 or None when nothing could be checked, accounts), oldest first."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="trend" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}趋势">']
    for frac in (0, 0.5, 1):
        y = base - plot_h * frac
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 3:.1f}" font-size="10" fill="#444" text-anchor="end">{int(frac * 100)}%</text>')
    if not points:
        parts.append(f'<text x="{WIDTH / 2}" y="{TOP + plot_h / 2}" font-size="12" fill="#666" '
                     f'text-anchor="middle">暂无评分记录</text></svg>')
        return "".join(parts)
    step = plot_w / max(len(points) - 1, 1)
    xy, dots = [], []
    for i, (night, rate, n) in enumerate(points):
        x = LEFT + (i * step if len(points) > 1 else plot_w / 2)
        when = night.astimezone(tz)
        if rate is None:
            dots.append(f'<circle cx="{x:.1f}" cy="{base:.1f}" r="2.5" fill="{GAP}"><title>{when:%Y-%m-%d} '
                         f'无已核验账号（{n}个账号）</title></circle>')
            continue
        y = base - plot_h * rate
        xy.append(f"{x:.1f},{y:.1f}")
        dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{ORIGINAL}"><title>{when:%Y-%m-%d} '
                     f'{label} {rate * 100:.1f}%（{n}个账号）</title></circle>')
    if len(xy) > 1:
        parts.append(f'<polyline fill="none" stroke="{ORIGINAL}" stroke-width="1.5" points="{" ".join(xy)}"/>')
    parts += dots
    for i in sorted({0, len(points) - 1, (len(points) - 1) // 2}):
        x = LEFT + (i * step if len(points) > 1 else plot_w / 2)
        parts.append(f'<text x="{x:.1f}" y="{base + 16}" font-size="10" fill="#444" '
                     f'text-anchor="middle">{points[i][0].astimezone(tz):%m-%d}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#888"/></svg>')
    return "".join(parts)
