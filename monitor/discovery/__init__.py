"""监管范围 and 集约整合 (Annex 3): accounts the registry misses, and units that hold several.

- ``run_discovery(app, at, platform)`` — one pass of the platform's public user search for
  every registered 主办单位 (weekly from the daemon, or ``monitor discover``), then
  ``candidates`` to register or dismiss.
- ``annex3_findings(session)`` — §12 duplicates and §14 name differences from the registry,
  with their Annex 3 line and points.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from monitor.discovery.annex3 import Annex3Finding, annex3_findings
from monitor.discovery.candidates import CandidateError, dismiss_candidate, open_candidates, register_candidate
from monitor.discovery.runner import (
    DiscoveryBusy,
    NotSearchable,
    PassResult,
    check_platform,
    last_pass,
    run_discovery,
)

__all__ = ["Annex3Finding", "CandidateError", "DiscoveryBusy", "NotSearchable", "PassResult", "annex3_findings",
           "check_platform", "dismiss_candidate", "last_pass", "open_candidates", "planned_requests",
           "register_candidate", "run_discovery", "runs_on_night"]

# What one unit's search costs when no pass has run yet: page 1, plus a candidate's latest
# post now and then (measured on the demo scenario: see the issue 23 note).
DEFAULT_REQUESTS_PER_UNIT = 1.3


def runs_on_night(app, at: datetime) -> bool:
    """Does the weekly discovery job fire on the local calendar day of night T?"""
    from monitor.config import cron_trigger

    cron = app.settings.schedule.discovery_cron.strip()
    if not cron:
        return False
    day = at.astimezone(app.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    fire = cron_trigger(cron, app.tz).get_next_fire_time(None, day)
    return fire is not None and fire < day + timedelta(days=1)


def planned_requests(app, at: datetime) -> dict[str, int]:
    """{host: requests} the weekly pass spends on night T (empty on other nights), for the
    night planner's per-host budget (monitor/crawl/night.py, issue 24)."""
    from urllib.parse import urlsplit

    from sqlalchemy import func, select

    from storage.models import Account

    if not runs_on_night(app, at):
        return {}
    with app.session() as s:
        units = s.scalar(select(func.count(func.distinct(Account.host_unit))).where(Account.lifecycle != "注销")) or 0
        last = last_pass(s, "weibo")
    counts = (last.counts or {}) if last is not None else {}
    per_unit = (counts["requests"] / counts["units"]) if counts.get("units") else DEFAULT_REQUESTS_PER_UNIT
    host = urlsplit(app.settings.platforms.weibo.base_url).hostname or "weibo"
    return {host: math.ceil(units * per_unit)} if units else {}


try:  # the night planner of issue 24, when it is there
    from monitor.crawl.night import register_reservation
except ImportError:
    pass
else:
    register_reservation("discovery", planned_requests)
