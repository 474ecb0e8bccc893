"""ded.untimely_update — 每周更新内容少于1次（服务号平均每周更新内容少于1次）.

Each complete natural week (Mon 00:00 – Sun 24:00 in the configured zone) of the check
period without a post is one case; a 服务号 (4 mass sends a month at most) is one case when
posts ÷ weeks < 1 over the judged weeks.

Only weeks that successful observations saw completely are judged (``covers``): a week that
page 1 of a timeline could not reach is neither empty nor full — it is judged once stored
coverage from later nights reaches it. (A week with a post can never be a case, so the
weekly rule also passes over partly seen weeks with posts.)
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
    judged, unseen = [], 0  # judged: (week_start, week_end, posts)
    for start, end in ctx.weeks:
        if not existed_since(account, start, ctx.tz):
            continue
        if status.covers(start, end):
            judged.append((start, end, len(ctx.posts_in(account.id, start, end, closed="left"))))
        else:
            unseen += 1
    if not judged:
        return
    if account.platform == "wechat" and account.wechat_kind == "服务号":
        # An average over some weeks says nothing about the period: a 服务号 may send its
        # four a month in one week. Judged only when every week was seen.
        if unseen:
            return
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
