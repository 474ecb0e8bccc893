"""Annex 3's 通报整改 figures: 通报公开之日起10日内对问题仍未整改，或整改不到位的，扣10分.

Per 属地 and per 主办单位, over the orders issued in a period: how many, rectified in time
(复核通过, and the reply it rests on came by the deadline), overdue (the deadline passed
without that), still within the deadline, and the deduction Annex 3 gives (10, at most once).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from monitor.orders.states import CLOSED, effective_state
from monitor.reports.period import Period
from monitor.reports.wording import ANNEX3_LINES, ORDER_STATE_ZH, fmt_date, platform_zh
from storage.models import RectificationOrder

DEDUCTION = 10  # Annex 3 扣分指标「通报整改」


def in_time(order: RectificationOrder, tz: ZoneInfo) -> bool:
    if order.state != CLOSED or order.closed_at is None:
        return False
    if order.closed_at.astimezone(tz).date() <= order.deadline:
        return True
    replies = [r.at for r in order.replies]
    return bool(replies) and max(replies).astimezone(tz).date() <= order.deadline


def order_class(order: RectificationOrder, today: date, tz: ZoneInfo) -> str:
    """in_time | overdue | open (still within its deadline)."""
    if in_time(order, tz):
        return "in_time"
    return "overdue" if today > order.deadline else "open"


def _tally(orders: list, today: date, tz: ZoneInfo) -> dict:
    classes = [order_class(o, today, tz) for o in orders]
    overdue = classes.count("overdue")
    return {"orders": len(orders), "rectified_in_time": classes.count("in_time"), "overdue": overdue,
            "open": classes.count("open"), "deduction": DEDUCTION if overdue else 0}


def order_figures(s: Session, period: Period, today: date, tz: ZoneInfo) -> dict:
    orders = list(s.scalars(select(RectificationOrder)
                            .options(joinedload(RectificationOrder.account), selectinload(RectificationOrder.replies))
                            .where(RectificationOrder.issued_on >= period.first,
                                   RectificationOrder.issued_on <= period.last)))
    by_district, by_host = defaultdict(list), defaultdict(list)
    for o in orders:
        by_district[o.account.district or "未填写"].append(o)
        by_host[o.account.host_unit].append(o)
    return {
        "period": period.text,
        "total": _tally(orders, today, tz),
        "by_district": [{"district": k, **_tally(v, today, tz)} for k, v in sorted(by_district.items())],
        "by_host_unit": [{"host_unit": k, **_tally(v, today, tz)} for k, v in sorted(by_host.items())],
    }


def rectification_findings(s: Session, today: date, tz: ZoneInfo, unit: str | None = None) -> list:
    """The report's Annex 3 section: one 通报整改 finding per order of this year that passed its
    deadline without being rectified in time (10 points, capped at 10 per 考核对象 there)."""
    from monitor.discovery.annex3 import Annex3Finding, _acc

    q = (select(RectificationOrder)
         .options(joinedload(RectificationOrder.account), joinedload(RectificationOrder.tongbao),
                  selectinload(RectificationOrder.replies))
         .where(RectificationOrder.deadline >= date(today.year, 1, 1), RectificationOrder.deadline < today)
         .order_by(RectificationOrder.id))
    points = ANNEX3_LINES["annex3.rectification"][2]
    out = []
    for o in s.scalars(q):
        a = o.account
        if (unit is not None and a.host_unit != unit) or order_class(o, today, tz) != "overdue":
            continue
        out.append(Annex3Finding(
            "annex3.rectification", a.host_unit, a.district, platform_zh(a.platform, a.wechat_kind),
            [_acc(a)],
            points, "auto", facts={"order_id": o.id, "doc_number": o.tongbao.doc_number,
                                   "issued_on_zh": fmt_date(o.issued_on), "deadline_zh": fmt_date(o.deadline),
                                   "state_zh": ORDER_STATE_ZH[effective_state(o, today)]}))
    return out
