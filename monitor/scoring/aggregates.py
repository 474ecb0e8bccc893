"""Figures per 主办单位 and per 属地 (what Annex 3 asks for): accounts, accounts checked,
合格, 不合格, 未能核验, 合格率 among the checked, and accounts with a veto."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from monitor.detectors.coverage import UNVERIFIABLE
from monitor.scoring.scorer import compute_cards, read_cards_in


def _tally(cards) -> dict:
    n = len(cards)
    unverifiable = sum(1 for c in cards if c.verdict == UNVERIFIABLE)
    passed = sum(1 for c in cards if c.verdict == "合格")
    checked = n - unverifiable
    return {
        "accounts": n,
        "checked": checked,
        "合格": passed,
        "不合格": checked - passed,
        "未能核验": unverifiable,
        "合格率": round(passed / checked, 4) if checked else None,
        "vetoes": sum(1 for c in cards if c.vetoes),
        "check_coverage": round(checked / n, 4) if n else None,
    }


def district_order(accounts, configured: list[str] | tuple[str, ...] = ()) -> dict[str, int]:
    """属地 → its place in reports: the configured administrative order (``districts``) first,
    then the order the registry gave them (first account imported), never character codes."""
    order = {d: i for i, d in enumerate(configured)}
    for a in sorted(accounts, key=lambda a: a.id):
        order.setdefault(a.district or UNREGISTERED, len(order))
    return order


UNREGISTERED = "未填写"


def aggregates(app, at: datetime | str | None = None) -> dict:
    """Per 主办单位 and per 属地 at T, from the stored score cards (scored first if none)."""
    at = app.at(at)
    with app.session() as s:
        cards = read_cards_in(s, at)
    if not cards:
        cards = compute_cards(app, at)[0]
    by_host, by_district = defaultdict(list), defaultdict(list)
    for c in cards:
        by_host[c.account.host_unit].append(c)
        by_district[c.account.district or UNREGISTERED].append(c)
    rank = district_order([c.account for c in cards], app.settings.districts)
    return {
        "at": at.isoformat(),
        "total": _tally(cards),
        "by_host_unit": [{"host_unit": k, **_tally(v)} for k, v in sorted(by_host.items())],
        "by_district": [{"district": k, **_tally(v)} for k, v in sorted(by_district.items(), key=lambda kv: rank[kv[0]])],
    }
