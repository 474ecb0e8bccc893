"""veto.no_update_2w — 监测时间点前2周内无更新: no post at all in (T−14 d, T]."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterator

from monitor.detectors.applicability import old_enough_for_veto, update_rules_apply
from monitor.detectors.context import Context, Draft

RULES = ("veto.no_update_2w",)


def silence_facts(ctx: Context, account) -> dict:
    """The facts every silence rule rests on: the newest post we know and how long ago."""
    latest = ctx.latest_posts.get(account.id)
    status = ctx.statuses[account.id]
    facts = {
        "latest_post_at": ctx.iso(latest.published_at) if latest else None,
        "latest_post_url": latest.url if latest else None,
        "latest_post_id": latest.platform_post_id if latest else None,
        "days_silent": round((ctx.at - latest.published_at) / timedelta(days=1), 2) if latest else None,
        "observed_until": ctx.iso(status.observed_until),
        "observation_id": status.observation_id,
    }
    undated = ctx.undated_posts.get(account.id)
    if undated:
        facts["posts_without_time"] = undated
    return facts


def detect(ctx: Context, account) -> Iterator[Draft]:
    if not update_rules_apply(account, ctx.at, ctx.tz):
        return
    if not old_enough_for_veto(account, ctx.at, ctx.params.min_account_age_days, ctx.tz):
        return
    start = ctx.at - timedelta(days=ctx.params.veto_days)
    if ctx.posts_in(account.id, start, ctx.at):
        return
    # Absence is proven only where a successful crawl saw the whole window.
    if not ctx.statuses[account.id].covers(start, ctx.at):
        return
    facts = silence_facts(ctx, account)
    facts.update(window=[ctx.iso(start), ctx.iso(ctx.at)], posts_in_window=0)
    yield Draft(account.id, "veto.no_update_2w", "", start, ctx.at, facts, 1.0)
