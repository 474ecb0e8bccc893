"""ded.untimely_update — 每周更新内容少于1次（服务号平均每周更新内容少于1次）.

Each complete natural week (Mon 00:00 – Sun 24:00 in the configured zone) of the check
period without a post is one case; a 服务号 (4 mass sends a month at most) is one case when
posts ÷ weeks < 1 over the judged weeks.
"""
from __future__ import annotations

from typing import Iterator

from monitor.detectors.applicability import existed_since, update_rules_apply
from monitor.detectors.context import Context, Draft

RULES = ("ded.untimely_update",)


def detect(ctx: Context, account) -> Iterator[Draft]:
    if not update_rules_apply(account, ctx.at, ctx.tz):
        return
    status = ctx.statuses[account.id]
    judged = []  # (week_start, week_end, posts)
    for start, end in ctx.weeks:
        posts = ctx.posts_in(account.id, start, end, closed="left")
        # A week with posts is judged; an empty one only where a crawl saw all of it.
        if existed_since(account, start, ctx.tz) and (posts or status.covers(start, end)):
            judged.append((start, end, len(posts)))
    if not judged:
        return
    if account.platform == "wechat" and account.wechat_kind == "服务号":
        total = sum(n for _, _, n in judged)
        if total / len(judged) < 1:
            yield Draft(account.id, "ded.untimely_update", "period", judged[0][0], judged[-1][1], {
                "kind": "服务号", "posts": total, "weeks": len(judged),
                "average_per_week": round(total / len(judged), 2),
                "weeks_judged": [ctx.iso(s) for s, _, _ in judged],
            })
        return
    for start, end, n in judged:
        if n == 0:
            yield Draft(account.id, "ded.untimely_update", start.astimezone(ctx.tz).date().isoformat(),
                        start, end, {"week": [ctx.iso(start), ctx.iso(end)], "posts": 0})
