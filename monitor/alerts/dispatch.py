"""Send what is due, once: an Alert row per (dedupe key), committed one by one so that a crash
half-way through a night never sends the first half twice.

Each delivery is a small journal: the row is committed as ``sending`` before the channel is
called; the outcome goes to the outbox (with the delivery's token) and then to the row. A
process killed in between leaves a ``sending`` row, which the next sender reconciles before
it plans anything: the outbox line, if it was written, says what happened; otherwise the
message may or may not have reached its recipient, so it is marked ``unconfirmed`` — never
sent again (no duplicate), written to the outbox (not lost) and reported to the operator.
Only one sender runs per database (a lock), so a ``sending`` row is always a dead one's.
Ctrl-C or SIGTERM during a delivery waits for that one delivery to be recorded.
"""
from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import select

from monitor.alerts import outbox
from monitor.alerts.delivery import Delivery, deliver
from monitor.alerts.due import Outgoing
from monitor.app import App
from monitor.secrets import scrubber
from storage.models import Alert
from storage.types import utcnow

# outbox: no channel configured for that recipient, written to the outbox only;
# unconfirmed: interrupted while sending, never re-sent (the operator is told).
DONE = ("sent", "outbox", "unconfirmed")
SENDING = "sending"
UNCONFIRMED_NOTE = ("delivery was interrupted (the process ended while sending): it may or may not have "
                    "arrived, so it was not sent again; check with the recipient")


def _token(row: Alert) -> str:
    """Names one delivery of one row: the attempts before it are committed with ``sending``."""
    return f"{row.id}:{row.attempts}"


def _record(at, row: Alert, o_stage: str, role: str, status: str, error: str | None) -> dict:
    return {"at": at, "written_at": utcnow(), "stage": o_stage, "status": status, "role": role,
            "target": row.target, "dedupe_key": row.dedupe_key, "account_id": row.account_id,
            "finding_id": row.finding_id, "attempts": row.attempts, "error": error,
            "title": row.title, "body": row.body}


def reconcile(app: App) -> Counter:
    """Settle the rows a killed sender left ``sending``; call with the sender lock held."""
    counts: Counter = Counter()
    cfg = app.settings.alerts
    with app.session() as s:
        rows = list(s.scalars(select(Alert).where(Alert.status == SENDING)))
        if not rows:
            return counts
        journal = {r.get("delivery"): r for r in outbox.read(cfg.outbox) if r.get("delivery")}
        for row in rows:
            done = journal.get(_token(row))
            if done is not None:  # delivered and journalled; only the row's update was lost
                row.status, row.attempts, row.last_error = done["status"], done["attempts"], done.get("error")
                row.sent_at = datetime.fromisoformat(done["written_at"]) if done["status"] in DONE else None
                counts["reconciled"] += 1
            else:
                row.status, row.last_error, row.sent_at = "unconfirmed", UNCONFIRMED_NOTE, None
                rec = _record(None, row, row.stage, "", "unconfirmed", UNCONFIRMED_NOTE)
                outbox.append(cfg.outbox, {**rec, "delivery": _token(row)})
                counts["unconfirmed"] += 1
            s.commit()
    return counts


def dispatch(app: App, at: datetime, due: list[Outgoing]) -> Counter:
    counts: Counter = Counter()
    cfg = app.settings.alerts
    scrub = scrubber(app.settings)
    with app.session() as s:
        for o in due:
            row = s.scalar(select(Alert).where(Alert.dedupe_key == o.dedupe_key))
            if row is not None and row.status in DONE:
                counts["already_sent"] += 1
                continue
            if row is None:
                row = Alert(dedupe_key=o.dedupe_key, stage=o.stage, finding_id=o.finding_id,
                            account_id=o.account_id, target=o.recipient.shown[:500],
                            title=o.message.title[:500], body=o.message.body, attempts=0)
                s.add(row)
            row.status = SENDING
            s.commit()  # before the channel is called: a kill from here on is reconciled
            token = _token(row)
            with deferred_interrupts():
                if o.recipient.url is None:
                    result = Delivery(True, 0)
                    status = "outbox"
                else:
                    result = deliver(o.recipient.url, o.message.title, o.message.body, cfg.retries, cfg.retry_delay)
                    status = "sent" if result.ok else "failed"
                error = scrub.text(result.error) if result.error else None
                row.attempts += result.attempts
                outbox.append(cfg.outbox, {**_record(at, row, o.stage, o.recipient.role, status, error),
                                           "target": o.recipient.shown, "delivery": token})
                row.status, row.last_error = status, error
                if result.ok:
                    row.sent_at = utcnow()
                s.commit()
            counts[row.status] += 1
            counts[f"{o.stage}_{row.status}"] += 1
    return counts


@contextmanager
def deferred_interrupts():
    """Hold Ctrl-C and SIGTERM until the block is done (one delivery and its record), then
    act on them. Only the main thread can set signal handlers; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    previous = {sig: signal.signal(sig, lambda n, _f: got.append(n)) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if signal.SIGTERM in got:
            os.kill(os.getpid(), signal.SIGTERM)  # now, with the handler that was there
        if signal.SIGINT in got:
            raise KeyboardInterrupt("alert sending stopped after the message in flight was recorded")
