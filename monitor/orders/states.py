"""The order's states and the moves between them; each move is written to its history."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from monitor.reports.wording import ORDER_STATE_ZH, fmt_date
from storage.models import RectificationOrder

# pending 待整改 → replied 已回复 → passed 已复核通过 | reopened 复核未通过 (→ replied again …)
OPEN_STATES = ("pending", "reopened")  # the unit owes a reply: these become 逾期 after the deadline
CLOSED = "passed"


class OrderError(Exception):
    """A move the order's state does not allow, or an order that does not exist."""


def effective_state(order: RectificationOrder, today: date) -> str:
    """The stored state, or ``overdue`` for an order the unit still owes past its deadline."""
    if order.state in OPEN_STATES and today > order.deadline:
        return "overdue"
    return order.state


def record(order: RectificationOrder, at: datetime, who: str, action: str, note: str = "") -> None:
    # A new list: SQLAlchemy sees a JSON column change only when the value is replaced.
    order.history = [*(order.history or []), {"at": at.isoformat(), "who": who, "action": action,
                                              "state": order.state, "note": note}]


def move(order: RectificationOrder, state: str, at: datetime, who: str, action: str, note: str = "") -> None:
    order.state = state
    if state == CLOSED:
        order.closed_at, order.closed_by = at, who
    else:
        order.closed_at = order.closed_by = None
    record(order, at, who, action, note)


def close_order(order: RectificationOrder, at: datetime, who: str, note: str = "") -> None:
    """The inspector closes an order by hand (e.g. a manual finding checked in person)."""
    if order.state == CLOSED:
        raise OrderError(f"order {order.id} is already closed ({ORDER_STATE_ZH[CLOSED]})")
    move(order, CLOSED, at, who, "closed", note or "检查人员确认已整改")


def order_json(order: RectificationOrder, today: date, tz: ZoneInfo) -> dict:
    """One order for other tools (``monitor orders list --format json``, the web API)."""
    a = order.account
    return {
        "id": order.id,
        "tongbao_id": order.tongbao_id,
        "account": {"id": a.id, "platform": a.platform, "platform_id": a.platform_id, "name": a.name,
                    "host_unit": a.host_unit, "district": a.district},
        "findings": order.findings,
        "issued_on": order.issued_on.isoformat(),
        "deadline": order.deadline.isoformat(),
        "state": effective_state(order, today),
        "closed_at": order.closed_at.astimezone(tz).isoformat() if order.closed_at else None,
        "last_recheck": order.last_recheck or None,
        "replies": [{"at": r.at.astimezone(tz).isoformat(), "user": r.user_name, "text": r.text,
                     "attachments": r.attachments} for r in order.replies],
        "history": order.history,
    }


def state_zh(order: RectificationOrder, today: date) -> str:
    return ORDER_STATE_ZH[effective_state(order, today)]


def deadline_zh(order: RectificationOrder) -> str:
    return fmt_date(order.deadline)
