"""Reading orders, with what their pages and lists show loaded in the same query."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from storage.models import RectificationOrder

_LOAD = (joinedload(RectificationOrder.account), joinedload(RectificationOrder.tongbao),
         selectinload(RectificationOrder.replies))


def all_orders(s: Session, host_unit: str | None = None) -> list[RectificationOrder]:
    """Newest 通报 first; ``host_unit`` limits to one unit's accounts (web ``unit`` users)."""
    q = select(RectificationOrder).options(*_LOAD).order_by(RectificationOrder.tongbao_id.desc(),
                                                            RectificationOrder.id)
    if host_unit is not None:
        from storage.models import Account

        q = q.join(RectificationOrder.account).where(Account.host_unit == host_unit)
    return list(s.scalars(q).unique())


def get_order(s: Session, order_id: int) -> RectificationOrder | None:
    return s.scalars(select(RectificationOrder).options(*_LOAD).where(RectificationOrder.id == order_id)).first()
