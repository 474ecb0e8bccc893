"""``monitor schedule status``: the next run from the job store and the last cycles."""
from __future__ import annotations

import json
import sys

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import inspect

from monitor.app import App
from monitor.config import load_settings
from monitor.cycle.runner import last_runs
from schedules.daemon import JOB_ID, JOB_TABLE


def status(app: App) -> dict:
    next_run = None
    if inspect(app.engine).has_table(JOB_TABLE):
        job = SQLAlchemyJobStore(engine=app.engine, tablename=JOB_TABLE).lookup_job(JOB_ID)
        if job is not None and job.next_run_time is not None:
            next_run = job.next_run_time.astimezone(app.tz).isoformat()
    runs = [{"id": r.id, "at": r.at.astimezone(app.tz).isoformat(), "outcome": r.outcome,
             "started_at": r.started_at.astimezone(app.tz).isoformat(),
             "finished_at": r.finished_at.astimezone(app.tz).isoformat() if r.finished_at else None,
             "stages": r.counts} for r in last_runs(app)]
    return {"cron": app.settings.schedule.cron, "timezone": app.settings.timezone,
            "next_run": next_run, "last_runs": runs}


def main(config_path: str | None = None) -> int:
    app = App(load_settings(config_path or None))
    print(json.dumps(status(app), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
