"""Alerts to account managers, inspectors and the operator, through apprise.

``send_alerts(app, at)`` sends everything due at monitoring time point T exactly once (see
``due`` for what is due and how episodes are named) and returns counts; ``plan_alerts``
lists what would be sent without sending or recording anything (``monitor alert --dry-run``).
"""
from __future__ import annotations

from contextlib import contextmanager
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


@contextmanager
def _sender_lock(app: App):
    """One sender per database, so a ``sending`` row is always a dead sender's."""
    from monitor.cycle.lock import DatabaseLock, LockHeld

    lock = DatabaseLock(app.engine, "alerts")
    try:
        lock.acquire()
    except LockHeld:
        raise SenderBusy("another process is sending alerts for this database; try again when it has finished") from None
    try:
        yield
    finally:
        lock.release()


def send_alerts(app: App, at: datetime) -> dict[str, int]:
    from monitor.alerts.dispatch import dispatch, reconcile

    with _sender_lock(app):
        # What a killed sender left half-done is settled before anything is planned, so
        # the operator hears about an unconfirmed delivery in this very run.
        settled = reconcile(app)
        due = plan_alerts(app, at)
        counts = dispatch(app, at, due)
    counts.update({f"reconciled_{k}": v for k, v in settled.items()})
    counts["due"] = len(due)
    return dict(counts)


def notify_operator(app: App, at: datetime, stage: str, reason: str) -> dict[str, int]:
    """Tell the operator at once that a stage of the cycle at T failed: the alert stage that
    would normally carry operator alerts does not run after a failed stage. Sent once per
    (stage, T), through the same journal as every other alert."""
    from zoneinfo import ZoneInfo

    from monitor.alerts import messages, recipients
    from monitor.alerts.dispatch import dispatch
    from monitor.alerts.due import Outgoing

    msg = messages.stage_failed(stage, reason, at, ZoneInfo(app.settings.timezone))
    due = [Outgoing(f"stage-failed|{stage}|{at.isoformat()}|{r.key}", "stage_failed", r, msg)
           for r in recipients.operator(app.settings)]
    with _sender_lock(app):
        return dict(dispatch(app, at, due))


__all__ = ["SenderBusy", "notify_operator", "plan_alerts", "pending_alerts", "send_alerts"]
