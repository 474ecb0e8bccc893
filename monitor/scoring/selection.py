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
