"""A posting timeline as inline SVG: posts per week over the check period (originals in the
darker colour), each post as a tick, and every silence of 14 days or more shaded red."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from monitor.timeutil import start_of_day

WIDTH, HEIGHT = 640, 150
LEFT, RIGHT, TOP, BOTTOM = 34, 10, 12, 40
ORIGINAL, OTHER, GAP = "#1f5fa8", "#9dbbe0", "#d9363e"


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start) / timedelta(days=1)


def silences(times: list[datetime], start: datetime, end: datetime, last_before: datetime | None,
             min_days: int) -> list[Gap]:
    """Stretches of ``min_days`` or more without a post that touch [start, end]. The silence
    before the first post runs from the last post before the period (if any is known)."""
    marks = sorted(t for t in times if start < t <= end)
    edges = [last_before or start, *marks, end]
    out = []
    for a, b in zip(edges, edges[1:]):
        if (b - a) >= timedelta(days=min_days):
            out.append(Gap(a, b))
    return out


def weeks_between(start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Natural weeks (Mon–Sun) from the one holding ``start`` to the one holding ``end``."""
    local = start.astimezone(tz)
    monday = start_of_day(local.date() - timedelta(days=local.weekday()), tz)
    weeks = []
    while monday < end:
        weeks.append((monday, monday + timedelta(weeks=1)))
        monday += timedelta(weeks=1)
    return weeks


def timeline_svg(posts: list[tuple[datetime, str]], start: datetime, end: datetime, tz: ZoneInfo,
                 last_before: datetime | None = None, min_gap_days: int | None = 14, label: str = "",
                 judged_from: datetime | None = None) -> str:
    """``posts``: (published_at, kind) pairs; ``min_gap_days`` None shades no silences;
    silences are looked for from ``judged_from`` (default ``start``: e.g. the day a new account
    was opened). Returns one <svg> element."""
    weeks = weeks_between(start, end, tz)
    x0, x1 = weeks[0][0], max(weeks[-1][1], end)
    span = (x1 - x0).total_seconds() or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: datetime) -> float:
        return LEFT + plot_w * max(0.0, min(1.0, (t - x0).total_seconds() / span))

    counts = []
    for ws, we in weeks:
        orig = sum(1 for t, k in posts if ws <= t < we and k == "original")
        other = sum(1 for t, k in posts if ws <= t < we and k != "original")
        counts.append((orig, other))
    top = max([o + r for o, r in counts] + [1])
    scale = plot_h / top
    base = TOP + plot_h
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)} 发布时间线">']
    gaps = silences([t for t, _ in posts], judged_from or start, end, last_before, min_gap_days) if min_gap_days else []
    for g in gaps:
        gx0, gx1 = x(max(g.start, x0)), x(min(g.end, x1))
        parts.append(f'<rect class="gap" x="{gx0:.1f}" y="{TOP}" width="{max(gx1 - gx0, 1):.1f}" height="{plot_h}" '
                     f'fill="{GAP}" fill-opacity="0.16"><title>{int(g.days)}天无更新</title></rect>')
        parts.append(f'<text x="{(gx0 + gx1) / 2:.1f}" y="{TOP + 11}" font-size="10" fill="{GAP}" '
                     f'text-anchor="middle">{int(g.days)}天无更新</text>')
    for (ws, we), (orig, other) in zip(weeks, counts):
        bx, bw = x(ws) + 3, max(x(we) - x(ws) - 6, 2)
        if orig:
            parts.append(f'<rect class="bar original" x="{bx:.1f}" y="{base - orig * scale:.1f}" width="{bw:.1f}" '
                         f'height="{orig * scale:.1f}" fill="{ORIGINAL}"><title>原创 {orig}</title></rect>')
        if other:
            parts.append(f'<rect class="bar other" x="{bx:.1f}" y="{base - (orig + other) * scale:.1f}" width="{bw:.1f}" '
                         f'height="{other * scale:.1f}" fill="{OTHER}"><title>转发/其他 {other}</title></rect>')
        parts.append(f'<text x="{x(ws) + (x(we) - x(ws)) / 2:.1f}" y="{base + 14}" font-size="10" fill="#444" '
                     f'text-anchor="middle">{ws.astimezone(tz):%m-%d}</text>')
        parts.append(f'<text x="{x(ws) + (x(we) - x(ws)) / 2:.1f}" y="{base - (orig + other) * scale - 3:.1f}" '
                     f'font-size="10" fill="#222" text-anchor="middle">{orig + other}</text>')
        parts.append(f'<line x1="{x(ws):.1f}" y1="{TOP}" x2="{x(ws):.1f}" y2="{base}" stroke="#e3e3e3"/>')
    for t, k in posts:
        if x0 <= t <= x1:
            colour = ORIGINAL if k == "original" else OTHER
            parts.append(f'<line class="post {escape(k)}" x1="{x(t):.1f}" y1="{base + 20}" x2="{x(t):.1f}" '
                         f'y2="{base + 28}" stroke="{colour}" stroke-width="2"/>')
    ex = x(end)
    parts.append(f'<line x1="{ex:.1f}" y1="{TOP}" x2="{ex:.1f}" y2="{base + 28}" stroke="#333" stroke-dasharray="3,2"/>')
    parts.append(f'<text x="{min(ex, WIDTH - 30):.1f}" y="{HEIGHT - 2}" font-size="10" fill="#333" text-anchor="middle">监测时间点</text>')
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#888"/>')
    parts.append(f'<text x="4" y="{TOP + 8}" font-size="10" fill="#444">{top}条</text>')
    parts.append("</svg>")
    return "".join(parts)
