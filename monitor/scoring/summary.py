"""The per-night summary of the score cards (accounts per verdict at T), kept by whoever stores
cards, so that reading a 90-night trend never scans 90 nights of every account's card."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select

from storage.models import NightSummary, ScoreCard


def store_night_summary(session, at: datetime) -> None:
    """Rewrite T's summary from T's stored cards (in the caller's transaction)."""
    session.execute(delete(NightSummary).where(NightSummary.at == at))
    counted = (select(ScoreCard.at, ScoreCard.verdict, func.count()).where(ScoreCard.at == at)
               .group_by(ScoreCard.at, ScoreCard.verdict))
    session.execute(insert(NightSummary).from_select(["at", "verdict", "accounts"], counted))


def verdicts_by_night(session, since: datetime, until: datetime) -> dict[datetime, dict[str, int]]:
    """{T: {verdict: accounts}} for since < T ≤ until, over every account."""
    q = select(NightSummary.at, NightSummary.verdict, NightSummary.accounts).where(
        NightSummary.at > since, NightSummary.at <= until)
    by_night: dict[datetime, dict[str, int]] = {}
    for night, verdict, n in session.execute(q):
        by_night.setdefault(night, {})[verdict] = n
    return by_night
