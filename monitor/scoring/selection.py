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


def cycle_ran(session, at: datetime) -> bool:
    """Did detection (a cycle, or the detect stage) run for T? Its findings, runs or score
    cards are the only things a report or a score of T may rest on."""
    from sqlalchemy import select

    from storage.models import Run, ScoreCard

    for q in (select(Run.id).where(Run.at == at, Run.kind == "detect", Run.outcome == "ok"),
              select(Finding.id).where(Finding.at == at, Finding.source != "manual"),
              select(ScoreCard.id).where(ScoreCard.at == at)):
        if session.scalar(q.limit(1)) is not None:
            return True
    return False
