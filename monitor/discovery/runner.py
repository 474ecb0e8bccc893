"""One discovery pass: search the platform for every registered 主办单位, then match.

The searches run in a crawl child (``weibo_search`` spider) exactly like the nightly crawl —
same visitor cookies, pacing, outbound policy and WARC records — and under the cycle lock,
so a pass never competes with a nightly crawl for the platform's patience. The pass is a Run
row (kind ``discover``) whose counts carry the requests it spent, per host, so the night's
request budget can count them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select

from monitor.app import App
from monitor.cycle.lock import DatabaseLock, LockHeld
from monitor.discovery.candidates import PassSummary, apply_pass, dismissed_ids, registered_ids
from monitor.discovery.match import unit_terms
from storage.models import Account, Run
from storage.types import utcnow

RUN_KIND = "discover"
# Platforms with a public user search a visitor may use (docs/research/account_discovery.md).
SPIDERS = {"weibo": "weibo_search"}


class NotSearchable(ValueError):
    """The platform has no public search the monitor may use; the message says why."""


class DiscoveryBusy(Exception):
    """A nightly cycle (or another pass) holds the database's cycle lock."""


@dataclass
class PassResult:
    run_id: int
    at: datetime
    platform: str
    outcome: str  # ok, failed
    summary: PassSummary
    message: str | None = None


def check_platform(platform: str) -> None:
    from monitor.reports.wording import NOT_SEARCHABLE_ZH

    if platform not in SPIDERS:
        why = NOT_SEARCHABLE_ZH.get(platform, "该平台没有可供访客使用的公开账号搜索")
        raise NotSearchable(f"{platform}: no public account search the monitor may use ({why}); "
                            f"see docs/research/account_discovery.md")


def registered_units(app: App) -> list[str]:
    """Every 主办单位 with an account in the registry (any platform, not 注销)."""
    with app.session() as s:
        return sorted(u for u in s.scalars(select(Account.host_unit).where(Account.lifecycle != "注销").distinct())
                      if u and u.strip())


def run_discovery(app: App, at: datetime, platform: str = "weibo", timeout: float | None = None,
                  extra: dict | None = None) -> PassResult:
    check_platform(platform)
    lock = DatabaseLock(app.engine, "cycle")
    try:
        lock.acquire()
    except LockHeld:
        raise DiscoveryBusy("a monitoring cycle (or another discovery pass) is running against this database") from None
    try:
        return _pass(app, at, platform, timeout, extra or {})
    finally:
        lock.release()


def _pass(app: App, at: datetime, platform: str, timeout: float | None, extra: dict) -> PassResult:
    from monitor.crawl import run_crawl
    from monitor.rules import load_ruleset

    lexicon = load_ruleset(app.settings).lexicon
    units = registered_units(app)
    with app.session() as s:
        run = Run(kind=RUN_KIND, at=at, started_at=utcnow(), outcome="running", counts={"platform": platform})
        s.add(run)
        s.flush()
        run_id = run.id
        skip = sorted(registered_ids(s, platform) | dismissed_ids(s, platform))
    base = getattr(app.settings.platforms, platform).base_url
    message = None
    if units:
        settings = {"MONITOR_DISCOVERY_QUERIES": [{"unit": u, "terms": unit_terms(u, lexicon)} for u in units],
                    "MONITOR_DISCOVERY_SKIP": skip,
                    "WEIBO_SEARCH_PAGES": app.settings.platforms.weibo.search_pages, **extra}
        result = run_crawl(app, at, [SPIDERS[platform]], run_id=run_id, timeout=timeout, extra=settings)
        if not result.ok:
            message = (f"crawl child ended badly (exit {result.returncode}, timed out: {result.timed_out}); "
                       f"units it did not reach are 未能核验; log: {result.log_path}")
    with app.session() as s:
        summary = apply_pass(s, run_id, platform, units, lexicon, base, at)
        row = s.get(Run, run_id)
        failed = bool(units) and summary.searched == 0 and message is not None
        row.outcome = "failed" if failed else "ok"
        row.message = message
        row.finished_at = utcnow()
        row.counts = {"platform": platform, **summary.counts(),
                      "requests_by_host": {urlsplit(base).hostname or platform: summary.requests}}
    return PassResult(run_id, at, platform, "failed" if failed else "ok", summary, message)


def last_pass(session, platform: str = "weibo") -> Run | None:
    """The newest finished discovery pass for the platform."""
    for run in session.scalars(select(Run).where(Run.kind == RUN_KIND, Run.outcome != "running")
                               .order_by(Run.id.desc()).limit(20)):
        if (run.counts or {}).get("platform") == platform:
            return run
    return None
