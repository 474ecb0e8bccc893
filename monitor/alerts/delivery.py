"""One message to one apprise URL, tried ``1 + retries`` times; the outcome, never an
exception (a broken channel must not stop the nightly cycle)."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import apprise

from monitor.alerts import channels  # noqa: F401  (registers the custom webhook schemas)
from monitor.alerts.recipients import masked_url

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    ok: bool
    attempts: int
    error: str | None = None


def deliver(url: str, title: str, body: str, retries: int, delay: float) -> Delivery:
    if not _build(url):
        return Delivery(False, 0, f"not a usable apprise URL: {masked_url(url)}")
    error = None
    attempts = 0
    for attempt in range(1 + max(retries, 0)):
        attempts += 1
        # A fresh sender per try: apprise throttles repeated calls on one plugin instance
        # (5 s for e-mail), and our own delay already spaces the retries.
        sender = _build(url)
        try:
            result = sender.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
        except Exception as exc:  # a plugin bug is a failed delivery, not a failed run
            error = f"{type(exc).__name__}: {exc}"
        else:
            if result:
                return Delivery(True, attempts)
            error = _reason(result) or "the channel refused the message"
        log.warning("alert to %s failed (attempt %d): %s", masked_url(url), attempts, error)
        if attempt < retries and delay > 0:
            time.sleep(delay * (attempt + 1))
    return Delivery(False, attempts, error)


def _build(url: str) -> apprise.Apprise | None:
    sender = apprise.Apprise()
    try:
        return sender if sender.add(url) else None
    except Exception:  # apprise validates some schemas lazily
        return None


def _reason(result) -> str:
    try:
        entries = [e for e in result.logs() if getattr(e, "level", "") in ("WARNING", "ERROR", "CRITICAL")
                   or str(getattr(e, "level", "")).isdigit() and int(e.level) >= logging.WARNING]
        return " | ".join(dict.fromkeys(e.message for e in entries))[:1000]
    except Exception:  # logs are a nicety; the failure itself is already known
        return ""
