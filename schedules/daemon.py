"""The nightly daemon: one APScheduler BlockingScheduler per database.

- Job store: SQLAlchemy, in the product database, so the schedule survives restarts.
- Cron from ``[schedule] cron`` in the configured time zone (5 fields, or 6 with seconds first).
- ``coalesce`` + a misfire grace of hours: a machine that was off at 02:00 runs once when
  it comes back, not once per missed night.
- ``max_instances=1`` and a database lock: one cycle at a time, one scheduler per database.
- SIGTERM/SIGINT: the current stage finishes, then the daemon exits.
"""
from __future__ import annotations

import logging
import signal
import sys
import threading

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import inspect

from monitor.app import App
from monitor.config import ConfigError, cron_trigger, load_settings
from monitor.cycle.lock import DatabaseLock, LockHeld

JOB_ID = "nightly-cycle"
DISCOVERY_JOB_ID = "weekly-discovery"
JOB_TABLE = "apscheduler_jobs"
log = logging.getLogger("schedules")


def make_trigger(cron: str, tz) -> CronTrigger:
    try:
        return cron_trigger(cron, tz)
    except ValueError as exc:
        raise ConfigError(f"schedule.cron: {exc}") from None


def make_scheduler(app: App, config_path: str | None) -> BlockingScheduler:
    s = app.settings.schedule
    store = SQLAlchemyJobStore(engine=app.engine, tablename=JOB_TABLE)
    scheduler = BlockingScheduler(
        timezone=app.tz,
        jobstores={"default": store},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(s.misfire_grace_hours * 3600)},
    )
    extra = {}
    missed = _missed_run(store, app.at())
    if missed is not None:
        # The machine was off (or the daemon stopped) when the cycle was due: keep the stored
        # run time so that it runs now, once, within the misfire grace. APScheduler itself
        # would recompute the next run time on start and lose it.
        log.info("the cycle due at %s did not run: running it now", missed.astimezone(app.tz).isoformat())
        extra["next_run_time"] = missed
    scheduler.add_job("schedules.jobs:nightly_cycle", trigger=make_trigger(s.cron, app.tz), id=JOB_ID,
                      name="政务新媒体 nightly cycle", kwargs={"config_path": config_path or ""},
                      replace_existing=True, **extra)
    if s.discovery_cron:
        # Weekly, not nightly: the user search costs a request per registered unit.
        scheduler.add_job("schedules.jobs:weekly_discovery", trigger=make_trigger(s.discovery_cron, app.tz),
                          id=DISCOVERY_JOB_ID, name="政务新媒体 weekly account discovery",
                          kwargs={"config_path": config_path or ""}, replace_existing=True)
    elif store_has(store, DISCOVERY_JOB_ID):
        store.remove_job(DISCOVERY_JOB_ID)  # switched off in the config since the last start
    return scheduler


def store_has(store: SQLAlchemyJobStore, job_id: str) -> bool:
    try:
        return inspect(store.engine).has_table(JOB_TABLE) and store.lookup_job(job_id) is not None
    except Exception:
        return False


def _missed_run(store: SQLAlchemyJobStore, now) -> "datetime | None":
    """The stored job's run time when it lies in the past (a missed run), else None."""
    try:
        if not inspect(store.engine).has_table(JOB_TABLE):
            return None
        job = store.lookup_job(JOB_ID)
    except Exception as exc:  # an unreadable stored job (older code): start from the cron
        log.warning("stored schedule not readable (%s); starting from the cron", exc)
        return None
    when = getattr(job, "next_run_time", None) if job is not None else None
    return when if when is not None and when <= now else None


# Libraries that narrate their own start (alembic's "Context impl SQLiteImpl", APScheduler's
# "Added job", "Scheduler started") speak only when something is wrong: the daemon's start is
# one line of ours.
QUIET_LOGGERS = ("alembic", "apscheduler")


def main(config_path: str | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        app = App(load_settings(config_path or None))
        trigger = make_trigger(app.settings.schedule.cron, app.tz)
    except ConfigError as exc:
        print(f"monitor schedule: {exc}", file=sys.stderr)
        return 2
    app.init_db()
    lock = DatabaseLock(app.engine, "scheduler")
    try:
        lock.acquire()
    except LockHeld:
        print("monitor schedule: another scheduler is already running for this database "
              f"({app.settings.database_url}); only one may run. Stop it first.", file=sys.stderr)
        return 3
    from schedules.jobs import STOP

    scheduler = make_scheduler(app, config_path)

    def _stop(signum, _frame):
        log.info("signal %s: finishing the current stage, then stopping", signum)
        STOP.set()
        threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    from monitor.cli.common import safe_url
    from monitor.reports.wording import fmt_time

    log.info("scheduler started: cron %r (%s), next run %s, database %s", app.settings.schedule.cron, app.tz,
             fmt_time(trigger.get_next_fire_time(None, app.at()), app.tz), safe_url(app.settings.database_url))
    from monitor.targets import mixed_targets

    for warning in mixed_targets(app.settings):
        log.warning(warning)
    try:
        scheduler.start()
    finally:
        lock.release()
        log.info("scheduler stopped")
    return 0
