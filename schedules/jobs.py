"""The scheduled job. Referenced by its import path in the persistent job store, so its
arguments are plain strings."""
from __future__ import annotations

import logging
from threading import Event

from monitor.app import App
from monitor.config import load_settings
from monitor.cycle.runner import CycleBusy, run_cycle

log = logging.getLogger("schedules")
# Set on SIGTERM: the running cycle finishes its current stage, then stops.
STOP = Event()


def nightly_cycle(config_path: str | None = None) -> str:
    app = App(load_settings(config_path or None))
    at = app.at()
    log.info("nightly cycle starting, T=%s", at.isoformat())
    try:
        result = run_cycle(app, at, stop=STOP, progress=False)
    except CycleBusy as exc:
        log.warning("nightly cycle skipped: %s", exc)
        return "busy"
    finally:
        app.engine.dispose()
    log.info("nightly cycle %s (run %s)", result.outcome, result.run_id)
    return result.outcome
