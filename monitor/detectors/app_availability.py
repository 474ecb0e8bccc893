"""veto.app_unavailable and ded.broken_function, from the stored app checks.

Which checks count as failures is app_channels' job: positive observations always; a
host-down ``unknown`` (5xx, timeout, refused, DNS) only on a night our own network was
healthy. Veto: every registered channel's latest check counts as failed and the failure is
confirmed by ``app_confirm_checks`` counted failures at least ``app_confirm_interval`` apart
(default 24 h: two different nights, not one night's outage window) since the last check
that worked. When some channel works, each channel whose latest check failed is one
ded.broken_function case (功能无法正常使用), not a veto; a channel failing only by host-down
answers needs the same confirmations before it costs points.
"""
from __future__ import annotations

from typing import Iterator

from monitor.detectors.app_channels import FAIL, FAILED, OK, counted, read_channels
from monitor.detectors.applicability import availability_rules_apply
from monitor.detectors.context import Context, Draft

RULES = ("veto.app_unavailable", "ded.broken_function")


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
    reading = read_channels(checks, ctx.night_health)
    if not reading.judgeable:
        return
    state = {c.id: counted(c, ctx.night_health, checks) for c in checks}
    needed, gap = ctx.params.app_confirm_checks, ctx.params.app_confirm_timedelta

    def confirmations(channels: set[str]) -> tuple[list, object]:
        last_ok = max((c.checked_at for c in checks if state[c.id] == OK and c.channel in channels), default=None)
        fails = [c for c in checks if c.channel in channels and state[c.id] == FAIL
                 and (last_ok is None or c.checked_at > last_ok)]
        return _confirmed(fails, needed, gap), last_ok

    working = reading.working
    if working:
        for ch, c in reading.channels.items():
            if reading.states[ch] != FAIL:
                continue
            if c.outcome not in FAILED and len(confirmations({ch})[0]) < needed:
                continue  # a host that was down once is re-checked before it costs points
            yield Draft(account.id, "ded.broken_function", f"channel:{ch}", c.checked_at,
                        ctx.at, {"failing": _check_fact(ctx, c),
                                 "working": [_check_fact(ctx, w) for w in working]})
        return
    picked, last_ok = confirmations(set(reading.channels))
    if len(picked) < needed:
        return  # a single failure may be a glitch: re-checked before anyone is accused
    yield Draft(account.id, "veto.app_unavailable", "", picked[0].checked_at, ctx.at, {
        "channels": [_check_fact(ctx, c) for c in reading.channels.values()],
        "confirming_checks": [_check_fact(ctx, c) for c in picked],
        "last_ok_at": ctx.iso(last_ok),
    })
