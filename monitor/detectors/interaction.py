"""veto.no_interaction (suspected) — 未提供有效互动功能.

Two observations say comments or 留言 are closed: the profile (``interaction_closed``) and
each post's own permission fields (``Post.details["comments"]``: Weibo's
``comment_manage_info``/``enable_comment_guide``, WeChat's ``comment_enabled``). The second
raises a finding only when every recent post whose payload said anything is closed, and
there are at least ``interaction_min_posts`` of them: one closed post is the author's choice
for that post, not an account without interaction. Whether the account offers another
channel is for a reviewer to judge.

An inspector's interaction test past its deadline is judged in interaction_tests.py: it rests
on the inspector's record, not on tonight's fetch."""
from __future__ import annotations

from typing import Iterator

from monitor.detectors.context import Context, Draft
from monitor.detectors.coverage import is_app_like

RULES = ("veto.no_interaction",)


def detect(ctx: Context, account) -> Iterator[Draft]:
    if is_app_like(account):
        return
    if account.interaction_closed is True:
        yield Draft(account.id, "veto.no_interaction", "", None, ctx.at, {
            "interaction_closed": True, "profile_observed_at": ctx.iso(account.profile_observed_at),
        }, 0.6)
        return
    posts = ctx.comment_states.get(account.id, [])
    if len(posts) < ctx.params.interaction_min_posts or not all(p.details["comments"].get("closed") for p in posts):
        return
    yield Draft(account.id, "veto.no_interaction", "comments_closed", posts[-1].published_at, ctx.at, {
        "comments_closed_posts": [
            {"post_id": p.platform_post_id, "url": p.url, "published_at": ctx.iso(p.published_at),
             **{k: v for k, v in p.details["comments"].items() if v is not None}} for p in posts],
        "recent_days": ctx.params.interaction_recent_days,
    }, 0.6)
