"""adv.no_original_2w — §19 原则上每两周至少发布1条原创信息 (advisory, never scored).

Posts of kind ``unknown`` are not counted as originals; the finding says how many there were
so a reviewer can see when the classification, not the account, is the problem.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterator

from monitor.detectors.applicability import existed_since, update_rules_apply
from monitor.detectors.context import Context, Draft

RULES = ("adv.no_original_2w",)


def detect(ctx: Context, account) -> Iterator[Draft]:
    if not update_rules_apply(account, ctx.at, ctx.tz):
        return
    status = ctx.statuses[account.id]
    for start, end in ctx.original_windows:
        if not existed_since(account, start, ctx.tz):
            continue
        posts = ctx.posts_in(account.id, start, end)
        kinds = Counter(p.kind for p in posts)
        # A window with no post at all is the update rules' business (内容不更新/更新不及时):
        # this remark is about an account that posts, but nothing of its own.
        if kinds["original"] or not posts:
            continue
        if not status.covers(start, end):
            continue
        yield Draft(account.id, "adv.no_original_2w", end.astimezone(ctx.tz).isoformat(), start, end, {
            "window": [ctx.iso(start), ctx.iso(end)], "posts": len(posts),
            "reposts": kinds["repost"], "unknown_kind": kinds["unknown"],
        }, 1.0 if not kinds["unknown"] else 0.6)
