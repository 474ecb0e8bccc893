"""veto.app_unavailable and ded.broken_function, from the stored app checks.

Veto: no channel (official download, landing page, store listings) worked at its latest
check, and the failure is confirmed by ``app_confirm_checks`` failed checks at least
``app_confirm_interval`` apart since the last check that worked. ``unknown`` outcomes are
neither pass nor fail. When some channel works, each channel whose latest check failed is
one ded.broken_function case (功能无法正常使用), not a veto.
"""
from __future__ import annotations

from typing import Iterator

from monitor.detectors.applicability import availability_rules_apply
from monitor.detectors.context import Context, Draft

RULES = ("veto.app_unavailable", "ded.broken_function")
FAILED = ("fail", "not_listed")


def _confirmed(fails: list, needed: int, gap) -> list:
    """Greedy: the earliest failures spaced at least ``gap`` apart, up to ``needed``."""
    picked = []
    for c in fails:
        if not picked or c.checked_at - picked[-1].checked_at >= gap:
            picked.append(c)
            if len(picked) == needed:
                break
    return picked


def _check_fact(ctx: Context, c) -> dict:
    return {"channel": c.channel, "url": c.url, "outcome": c.outcome, "reason": c.reason,
            "checked_at": ctx.iso(c.checked_at), "app_check_id": c.id}


def detect(ctx: Context, account) -> Iterator[Draft]:
    if not availability_rules_apply(account):
        return
    checks = sorted(ctx.app_checks.get(account.id, []), key=lambda c: (c.checked_at, c.id))
    latest: dict[str, object] = {}
    for c in checks:
        if c.outcome != "unknown":
            latest[c.channel] = c
    if not latest:
        return
    working = [c for c in latest.values() if c.outcome == "ok"]
    if working:
        for c in latest.values():
            if c.outcome in FAILED:
                yield Draft(account.id, "ded.broken_function", f"channel:{c.channel}", c.checked_at,
                            ctx.at, {"failing": _check_fact(ctx, c),
                                     "working": [_check_fact(ctx, w) for w in working]})
        return
    last_ok = max((c.checked_at for c in checks if c.outcome == "ok"), default=None)
    fails = [c for c in checks if c.outcome in FAILED and (last_ok is None or c.checked_at > last_ok)]
    needed = ctx.params.app_confirm_checks
    picked = _confirmed(fails, needed, ctx.params.app_confirm_timedelta)
    if len(picked) < needed:
        return  # a single failure may be a glitch: re-checked before anyone is accused
    yield Draft(account.id, "veto.app_unavailable", "", picked[0].checked_at, ctx.at, {
        "channels": [_check_fact(ctx, c) for c in latest.values()],
        "confirming_checks": [_check_fact(ctx, c) for c in picked],
        "last_ok_at": ctx.iso(last_ok),
    })
