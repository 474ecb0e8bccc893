"""Which findings bear on the score card of T: the detectors' findings of T itself, and
the manual findings a person added during the check period up to T."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_

from storage.models import Finding


def findings_at_clause(at: datetime, period_start: datetime):
    return or_(
        and_(Finding.source != "manual", Finding.at == at),
        and_(Finding.source == "manual", Finding.at > period_start, Finding.at <= at),
    )


def latest_detection_at(session) -> datetime | None:
    """The newest T detection ran for: what ``monitor score`` / ``monitor findings`` show
    when no ``--at`` is given."""
    from sqlalchemy import func, select

    from storage.models import Run

    runs = session.scalar(select(func.max(Run.at)).where(Run.kind == "detect"))
    found = session.scalar(select(func.max(Finding.at)).where(Finding.source == "detector"))
    known = [t for t in (runs, found) if t is not None]
    return max(known) if known else None


def shown_at(app, at: str | datetime | None) -> datetime:
    """``--at`` when given; else the newest T detection ran for; else now."""
    if at:
        return app.at(at)
    with app.session() as s:
        return app.at(latest_detection_at(s))
