"""Alerts to account managers, inspectors and the operator, through apprise.

``send_alerts(app, at)`` sends everything due at monitoring time point T exactly once (see
``due`` for what is due and how episodes are named) and returns counts; ``plan_alerts``
lists what would be sent without sending or recording anything (``monitor alert --dry-run``).
"""
from __future__ import annotations

from datetime import datetime

from monitor.app import App


def plan_alerts(app: App, at: datetime) -> list:
    """Everything due at T, whether or not it has been sent already."""
    from monitor.alerts.due import Planner

    with app.session() as s:
        return Planner(app, s, at).plan()


def pending_alerts(app: App, at: datetime) -> list:
    """What ``send_alerts`` would send now: due and not yet sent."""
    from sqlalchemy import select

    from monitor.alerts.dispatch import DONE
    from storage.models import Alert

    due = plan_alerts(app, at)
    with app.session() as s:
        done = set(s.scalars(select(Alert.dedupe_key).where(Alert.status.in_(DONE))))
    return [o for o in due if o.dedupe_key not in done]


class SenderBusy(Exception):
    """Another process is sending this database's alerts."""


def send_alerts(app: App, at: datetime) -> dict[str, int]:
    from monitor.alerts.dispatch import dispatch, reconcile
    from monitor.cycle.lock import DatabaseLock, LockHeld

    lock = DatabaseLock(app.engine, "alerts")
    try:
        lock.acquire()
    except LockHeld:
        raise SenderBusy("another process is sending alerts for this database; try again when it has finished") from None
    try:
        # What a killed sender left half-done is settled before anything is planned, so
        # the operator hears about an unconfirmed delivery in this very run.
        settled = reconcile(app)
        due = plan_alerts(app, at)
        counts = dispatch(app, at, due)
    finally:
        lock.release()
    counts.update({f"reconciled_{k}": v for k, v in settled.items()})
    counts["due"] = len(due)
    return dict(counts)


__all__ = ["SenderBusy", "plan_alerts", "pending_alerts", "send_alerts"]
