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

from monitor.app import App
from monitor.config import ConfigError, load_settings
from monitor.cycle.lock import DatabaseLock, LockHeld

JOB_ID = "nightly-cycle"
JOB_TABLE = "apscheduler_jobs"
log = logging.getLogger("schedules")


def make_trigger(cron: str, tz) -> CronTrigger:
    fields = cron.split()
    if len(fields) == 5:
        return CronTrigger.from_crontab(cron, timezone=tz)
    if len(fields) == 6:
        second, minute, hour, day, month, dow = fields
        return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                           day_of_week=dow, timezone=tz)
    raise ConfigError(f"schedule.cron: expected 5 fields (or 6 with seconds first), got {cron!r}")


def make_scheduler(app: App, config_path: str | None) -> BlockingScheduler:
    s = app.settings.schedule
    scheduler = BlockingScheduler(
        timezone=app.tz,
        jobstores={"default": SQLAlchemyJobStore(engine=app.engine, tablename=JOB_TABLE)},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": int(s.misfire_grace_hours * 3600)},
    )
    scheduler.add_job("schedules.jobs:nightly_cycle", trigger=make_trigger(s.cron, app.tz), id=JOB_ID,
                      name="政务新媒体 nightly cycle", kwargs={"config_path": config_path or ""},
                      replace_existing=True)
    return scheduler


def main(config_path: str | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
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
    log.info("scheduler started: cron %r (%s), next run %s", app.settings.schedule.cron, app.tz,
             trigger.get_next_fire_time(None, app.at()))
    try:
        scheduler.start()
    finally:
        lock.release()
        log.info("scheduler stopped")
    return 0
