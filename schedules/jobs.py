"""The scheduled job. Referenced by its import path in the persistent job store, so its
arguments are plain strings."""
from __future__ import annotations

import logging
from threading import Event

from monitor.app import App
from monitor.config import load_settings
from monitor.cycle.runner import CycleBusy, run_cycle

# The weekly discovery waits this long, at most, for a nightly cycle that still runs.
DISCOVERY_PATIENCE_S = 4 * 3600
DISCOVERY_POLL_S = 60

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


def weekly_discovery(config_path: str | None = None) -> str:
    """One account discovery pass (monitor.discovery) after the night's cycle has finished."""
    from monitor.discovery import DiscoveryBusy, run_discovery

    app = App(load_settings(config_path or None))
    at = app.at()
    waited = 0
    try:
        while True:
            try:
                result = run_discovery(app, at)
                break
            except DiscoveryBusy as exc:
                if waited >= DISCOVERY_PATIENCE_S or STOP.is_set():
                    log.warning("weekly discovery skipped: %s", exc)
                    return "busy"
                STOP.wait(DISCOVERY_POLL_S)
                waited += DISCOVERY_POLL_S
    finally:
        app.engine.dispose()
    c = result.summary.counts()
    log.info("weekly discovery %s (run %s): %s units, %s requests, %s candidates, %s 未能核验", result.outcome,
             result.run_id, c["units"], c["requests"], c["candidates_unregistered"] + c["candidates_impostor"],
             c["unverified"])
    return result.outcome
