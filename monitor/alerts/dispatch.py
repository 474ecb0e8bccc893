"""Send what is due, once: an Alert row per (dedupe key), committed one by one so that a crash
half-way through a night never sends the first half twice."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select

from monitor.alerts import outbox
from monitor.alerts.delivery import Delivery, deliver
from monitor.alerts.due import Outgoing
from monitor.app import App
from storage.models import Alert
from storage.types import utcnow

DONE = ("sent", "outbox")  # outbox: no channel configured for that recipient, written to the outbox only


def dispatch(app: App, at: datetime, due: list[Outgoing]) -> Counter:
    counts: Counter = Counter()
    cfg = app.settings.alerts
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
            if o.recipient.url is None:
                result = Delivery(True, 0)
                row.status = "outbox"
            else:
                result = deliver(o.recipient.url, o.message.title, o.message.body, cfg.retries, cfg.retry_delay)
                row.status = "sent" if result.ok else "failed"
            row.attempts += result.attempts
            row.last_error = result.error
            if result.ok:
                row.sent_at = utcnow()
            s.commit()
            counts[row.status] += 1
            counts[f"{o.stage}_{row.status}"] += 1
            outbox.append(cfg.outbox, {
                "at": at, "written_at": utcnow(), "stage": o.stage, "status": row.status,
                "role": o.recipient.role, "target": o.recipient.shown, "dedupe_key": o.dedupe_key,
                "account_id": o.account_id, "finding_id": o.finding_id, "attempts": row.attempts,
                "error": row.last_error, "title": o.message.title, "body": o.message.body,
            })
    return counts
