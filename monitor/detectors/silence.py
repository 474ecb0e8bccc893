"""adv.update_reminder (7 / 12 days silent, before the veto) and adv.long_dormant
("僵尸""睡眠" tiers 60 / 90 / 365 days) — advisory, never scored."""
from __future__ import annotations

from datetime import timedelta
from typing import Iterator

from monitor.detectors.applicability import opened_at, update_rules_apply
from monitor.detectors.context import Context, Draft
from monitor.detectors.no_update import silence_facts

RULES = ("adv.update_reminder", "adv.long_dormant")


def detect(ctx: Context, account) -> Iterator[Draft]:
    if not update_rules_apply(account, ctx.at, ctx.tz):
        return
    status = ctx.statuses[account.id]
    latest = ctx.latest_posts.get(account.id)
    if latest is not None:
        since = latest.published_at
    elif status.exhaustive and opened_at(account, ctx.tz) is not None:
        since = opened_at(account, ctx.tz)  # never posted since it was opened
    else:
        return
    if since >= ctx.at or not status.covers(since, ctx.at):
        return
    days = (ctx.at - since) / timedelta(days=1)
    facts = silence_facts(ctx, account)
    facts["silent_since"] = ctx.iso(since)
    reminder = [d for d in ctx.params.reminder_days if d <= days < ctx.params.veto_days]
    if reminder:
        yield Draft(account.id, "adv.update_reminder", f"{reminder[-1]}d", since, ctx.at,
                    {**facts, "tier_days": reminder[-1]})
    dormant = [d for d in ctx.params.dormant_days if d <= days]
    if dormant:
        yield Draft(account.id, "adv.long_dormant", f"{dormant[-1]}d", since, ctx.at,
                    {**facts, "tier_days": dormant[-1]})
