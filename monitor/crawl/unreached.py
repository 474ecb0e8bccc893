"""Accounts a crawl never reached because its child process died (killed for memory, past
its time limit, crashed): each gets a failed observation at T that says why, so it is
未能核验 tonight with that reason — never judged on an older night's observation."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from monitor.app import App
from storage.models import Account, AppCheck, Observation

# The observation kind each platform's listing (or availability) is judged on.
KIND_FOR_PLATFORM = {"weibo": "timeline", "wechat": "feed", "app": "app", "toutiao": "timeline",
                     "douyin": "timeline", "kuaishou": "timeline"}
REASON = "crawl_incomplete"


def crawl_death(result) -> str:
    """Why the child stopped, for the observations and the operator (a CrawlResult)."""
    if result.memory_exceeded:
        return f"crawl child killed at {result.peak_rss_mb:.0f} MB memory (limit [crawl] child_memory_mb)"
    if result.timed_out:
        return "crawl child killed at its time limit ([crawl] child_timeout)"
    if result.returncode == -9:
        return "crawl child killed by SIGKILL (the kernel's out-of-memory killer, or an operator)"
    return f"crawl child exited with code {result.returncode}"


def record_unreached(app: App, at: datetime, platforms: set[str], run_id: int | None, why: str,
                     account_ids: list[int] | None = None, code: str = REASON) -> list[int]:
    """Write a failed observation at T for every active account of ``platforms`` that has
    none at T; apps also get an ``unknown`` check of each channel they have. Returns their ids.
    ``code`` is the reason's code: the crawl died (default), or the night's plan left it out."""
    detail = f"{code}: {why}; account not reached"
    with app.session() as s:
        q = select(Account).where(Account.platform.in_(platforms), Account.lifecycle != "注销")
        only = set(account_ids or ())
        seen = set(s.scalars(select(Observation.account_id).where(Observation.observed_at == at)))
        # 小程序 are not crawled (judged on availability by hand): nothing was missed.
        # The subset is filtered here, not in SQL: a plan may leave out more ids than a
        # statement takes parameters.
        missing = [a for a in s.scalars(q.order_by(Account.id))
                   if a.id not in seen and (not only or a.id in only)
                   and not (a.platform == "wechat" and a.wechat_kind == "小程序")]
        for a in missing:
            s.add(Observation(account_id=a.id, run_id=run_id, platform=a.platform,
                              kind=KIND_FOR_PLATFORM.get(a.platform, "timeline"), outcome="error",
                              url=a.profile_url or a.feed_url or a.download_url, observed_at=at, reason=detail))
            if a.platform == "app":
                channels = (["download"] if a.download_url else []) + sorted(a.store_ids or {})
                for channel in channels:
                    s.add(AppCheck(account_id=a.id, run_id=run_id, channel=channel, checked_at=at,
                                   outcome="unknown", reason=code, detail=detail))
        return [a.id for a in missing]
