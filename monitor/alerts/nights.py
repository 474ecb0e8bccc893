"""What the crawls of one night said about each account: checked, blocked, or failing for
several nights in a row. A "night" is the 24 h around a monitoring time point T, because a
nightly crawl stamps its observations a little after T (or, replayed, a little before)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Observation, Run, ScoreCard

HALF_NIGHT = timedelta(hours=12)
NIGHT = timedelta(days=1)
MAX_STREAK_LOOKBACK = 60  # nights; a longer streak is reported with this as its length


@dataclass
class NightStatus:
    outcomes: list[str]
    last_reason: str | None  # the night's last failure, as stored ("<code>: <detail>")
    last_outcome: str | None = None
    last_status: int | None = None

    @property
    def ok(self) -> bool:
        return "ok" in self.outcomes

    @property
    def failed(self) -> bool:
        return bool(self.outcomes) and not self.ok

    @property
    def blocked(self) -> bool:
        return bool(self.outcomes) and all(o == "blocked" for o in self.outcomes)

    @property
    def failure_zh(self) -> str | None:
        """The night's last failure in the reader's words."""
        from monitor.reports.wording import reason_zh

        return reason_zh(self.last_reason, self.last_outcome, self.last_status) if self.last_outcome else None


def night_index(at: datetime, observed_at: datetime) -> int | None:
    """0 for the night of T, 1 for the night before, …; None for after T's night."""
    delta = at + HALF_NIGHT - observed_at
    if delta < timedelta(0):
        return None
    return int(delta // NIGHT)


def load_nights(s: Session, at: datetime, nights: int) -> dict[int, dict[int, NightStatus]]:
    """account id → night index → what its observations that night said."""
    rows = s.execute(
        select(Observation.account_id, Observation.observed_at, Observation.outcome, Observation.reason,
               Observation.http_status)
        .where(Observation.observed_at > at + HALF_NIGHT - NIGHT * nights,
               Observation.observed_at <= at + HALF_NIGHT)
        .order_by(Observation.observed_at)
    ).all()
    out: dict[int, dict[int, NightStatus]] = defaultdict(dict)
    for account_id, observed_at, outcome, reason, http_status in rows:
        idx = night_index(at, observed_at)
        st = out[account_id].setdefault(idx, NightStatus([], None))
        st.outcomes.append(outcome)
        if outcome != "ok":
            st.last_reason, st.last_outcome, st.last_status = reason, outcome, http_status
    return out


def failed_streak(by_night: dict[int, NightStatus]) -> int:
    """Nights in a row, ending with T's night, on which the account was tried and never ok."""
    n = 0
    while n in by_night and by_night[n].failed:
        n += 1
    return n


def verdicts_at(s: Session, at: datetime) -> dict[int, str]:
    return dict(s.execute(select(ScoreCard.account_id, ScoreCard.verdict).where(ScoreCard.at == at)).all())


def checked_ok(s: Session, at: datetime, tonight: dict[int, dict[int, NightStatus]]) -> set[int]:
    """Accounts that were checked at T: the scorer's verdict when there is one (it knows which
    observations a verdict needs), else a successful observation that night."""
    verdicts = verdicts_at(s, at)
    ok = {a for a, v in verdicts.items() if v != "未能核验"}
    ok |= {a for a, nights in tonight.items() if a not in verdicts and 0 in nights and nights[0].ok}
    return ok


def unverifiable(s: Session, at: datetime, tonight: dict[int, dict[int, NightStatus]]) -> set[int]:
    verdicts = verdicts_at(s, at)
    out = {a for a, v in verdicts.items() if v == "未能核验"}
    out |= {a for a, nights in tonight.items() if a not in verdicts and 0 in nights and nights[0].failed}
    return out


def previous_at(s: Session, at: datetime) -> datetime | None:
    """The monitoring time point before T: the latest earlier cycle or stage run, or finding."""
    from sqlalchemy import func

    from storage.models import Finding

    candidates = [
        s.scalar(select(func.max(Run.at)).where(Run.at < at - HALF_NIGHT)),
        s.scalar(select(func.max(Finding.at)).where(Finding.at < at - HALF_NIGHT)),
    ]
    found = [c for c in candidates if c is not None]
    return max(found) if found else None


def stale_feed_services(s: Session, at: datetime) -> list[dict]:
    """Feed services that proved nothing on T's night (stale or unknown), one entry each
    with how many accounts they left unverifiable. Read from the feed observations'
    ``details["feed_service"]``, which the WeChat spider writes."""
    rows = s.execute(
        select(Observation.account_id, Observation.details, Observation.reason)
        .where(Observation.kind == "feed", Observation.outcome != "ok",
               Observation.observed_at > at + HALF_NIGHT - NIGHT, Observation.observed_at <= at + HALF_NIGHT)
    ).all()
    out: dict[str, dict] = {}
    for account_id, details, reason in rows:
        svc = (details or {}).get("feed_service") or {}
        if svc.get("state") not in ("stale", "unknown") or not svc.get("service"):
            continue
        entry = out.setdefault(svc["service"], {
            "service": svc["service"], "kind": svc.get("kind") or "", "state": svc["state"],
            "since": svc.get("since"), "reason": reason, "accounts": set()})
        if svc["state"] == "stale" and (entry["state"] != "stale" or (svc.get("since") or "") > (entry["since"] or "")):
            # The service worked until its latest sync: that is when it stopped.
            entry.update(state="stale", since=svc.get("since"), reason=reason)
        entry["accounts"].add(account_id)
    return [dict(e, accounts=len(e["accounts"])) for _, e in sorted(out.items())]
