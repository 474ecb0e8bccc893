"""veto.no_interaction (suspected) — 未提供有效互动功能: the platform shows comments or
留言 closed. Whether the account offers another channel is for a reviewer to judge."""
from __future__ import annotations

from typing import Iterator

from monitor.detectors.context import Context, Draft
from monitor.detectors.coverage import is_app_like

RULES = ("veto.no_interaction",)


def detect(ctx: Context, account) -> Iterator[Draft]:
    if is_app_like(account) or account.interaction_closed is not True:
        return
    yield Draft(account.id, "veto.no_interaction", "", None, ctx.at, {
        "interaction_closed": True, "profile_observed_at": ctx.iso(account.profile_observed_at),
    }, 0.6)
