"""Tonight's plan from the database: what each account needs, how urgent it is, the budget
of each host — handed to the pure planner (``monitor.crawl.plan``) — and, after the crawl,
a 未能核验 observation for every account the plan could not reach.

Request estimates per task come from what the spiders measurably spend (bench/run.py):
page 1 of a Weibo timeline with its occasional long text or route fallback, a WeChat feed
plus its newest article, an app's range check plus one lookup per store. Deeper history
is estimated from the account's own posting (stored posts of the check period, ten a
Weibo page) or, never crawled, from the first-night average. A Weibo account's long texts
are one request each: its known backlog (posts stored cut at 全文), or — never crawled — the
spider's per-night cap, so a first night with little room leaves them for later nights,
when the backlog is known.

Other passes that spend requests in the same window (the weekly discovery pass) reserve
them: ``register_reservation(name, fn)``, ``fn(app, at) -> {host: requests}``.
"""
from __future__ import annotations

import importlib
import logging
from datetime import datetime, time, timedelta
from typing import Callable

from sqlalchemy import and_, func, select

from monitor.app import App
from monitor.crawl.plan import (BODIES, COMMENTS, FULL_DOWNLOAD, HISTORY, PROFILE, TIER_NEAR, TIER_PENDING, TIER_REST,
                                TIER_UNVERIFIABLE, VERDICT, Budget, Candidate, NightPlan, Task, host_of, plan_night)
from spiders.settings import WEIBO_LONG_TEXTS_PER_NIGHT
from storage.models import Account, AppCheck, Finding, Observation, Post

log = logging.getLogger(__name__)

NOT_IN_PLAN = "not_in_plan"
NEVER = 10**6  # nights unchecked of an account never crawled
WEIBO_PAGE1 = 1.3  # page 1, now and then a long text or the 230413 route
WEIBO_PAGE_POSTS = 10
WEIBO_FIRST_HISTORY = 4.0  # deeper pages of a never-crawled account (first-night average)
WECHAT_FIRST_ARTICLES = 9.0  # feed entries beyond the newest, never fetched before
APP_DOWNLOAD = 3.0  # HEAD / range requests of the download check
STORE_CHECK = 1.5  # a store lookup, sometimes its fallback
VIDEO_PLATFORMS = ("toutiao", "douyin", "kuaishou")
FINAL_STATES = ("deleted", "violation", "account_banned", "account_closed", "bad_url")

_RESERVATIONS: dict[str, Callable[[App, datetime], dict[str, int]]] = {}
RESERVATION_MODULES = ("monitor.discovery",)


def register_reservation(name: str, fn: Callable[[App, datetime], dict[str, int]]) -> None:
    """``fn(app, at)`` returns the requests per host another pass spends in tonight's window."""
    _RESERVATIONS[name] = fn


def reservations(app: App, at: datetime) -> dict[str, dict[str, float]]:
    for module in RESERVATION_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:
            pass
    out = {}
    for name, fn in _RESERVATIONS.items():
        try:
            hosts = fn(app, at) or {}
        except Exception:  # a broken pass must not stop the night; its requests are unknown
            log.exception("request reservation %s failed", name)
            continue
        if hosts:
            out[name] = {h: float(n) for h, n in hosts.items()}
    return out


def window_left(window: str, at: datetime) -> float:
    """Seconds of the window still ahead at ``at`` (local time of ``at``): the rest of it when
    the cycle starts inside it (a cron later than the window's start, a re-run), else all of it."""
    from monitor.config import window_seconds

    length = window_seconds(window)
    start = datetime.strptime(window.split("-")[0].strip(), "%H:%M").time()
    opened = datetime.combine(at.date(), start, tzinfo=at.tzinfo)
    if opened > at:
        opened -= timedelta(days=1)
    into = (at - opened).total_seconds()
    return length - into if into < length else length


def night_budget(app: App, at: datetime, workers: int | None = None) -> Budget:
    s = app.settings
    seconds = window_left(s.schedule.window, at.astimezone(s.tz))
    return Budget.for_window(seconds, s.crawl.delay, workers or s.crawl.workers,
                             s.schedule.budget_margin, reservations(app, at), s.schedule.host_budget)


def _window_start(app: App, at: datetime) -> datetime:
    local = at.astimezone(app.settings.tz)
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time.min, tzinfo=app.settings.tz)
    return monday - timedelta(weeks=app.settings.crawl.check_weeks)


def _nights(at: datetime, then: datetime | None) -> int:
    if then is None:
        return NEVER
    return max(0, round((at - then).total_seconds() / 86400))


def candidates(app: App, at: datetime, platforms: set[str]) -> list[Candidate]:
    """Every active account of ``platforms`` with its tasks, tier and nights unchecked."""
    from monitor.rules import load_ruleset

    s_ = app.settings
    params = load_ruleset(s_).params
    near_days = min([*params.reminder_days, params.veto_days])
    window = _window_start(app, at)
    weibo_host, article_host = host_of(s_.platforms.weibo.base_url), host_of(s_.platforms.wechat.base_url)
    store_hosts = {"apple": host_of(s_.platforms.apple.lookup_url), "yyb": host_of(s_.platforms.yyb.url),
                   "huawei": host_of(s_.platforms.huawei.url), "xiaomi": host_of(s_.platforms.xiaomi.url),
                   "vivo": host_of(s_.platforms.vivo.url)}
    with app.session() as s:
        accounts = [a for a in s.scalars(select(Account).where(Account.lifecycle != "注销",
                                                              Account.platform.in_(sorted(platforms)))
                                         .order_by(Account.id))
                    if not (a.platform == "wechat" and a.wechat_kind == "小程序")]
        real = Observation.observed_at < at
        checked = dict(s.execute(select(Observation.account_id, func.max(Observation.observed_at))
                                 .where(real, (Observation.reason.is_(None)) | ~Observation.reason.like(f"{NOT_IN_PLAN}%"))
                                 .group_by(Observation.account_id)).all())
        latest = select(Observation.account_id, func.max(Observation.observed_at).label("t")).where(real) \
            .group_by(Observation.account_id).subquery()
        last = {aid: (outcome, cov, exh, det) for aid, outcome, cov, exh, det in s.execute(
            select(Observation.account_id, Observation.outcome, Observation.covered_from, Observation.exhaustive,
                   Observation.details)
            .join(latest, and_(Observation.account_id == latest.c.account_id, Observation.observed_at == latest.c.t)))}
        newest_post = dict(s.execute(select(Post.account_id, func.max(Post.published_at))
                                     .where(Post.pinned.is_(False), Post.gone_at.is_(None), Post.published_at < at)
                                     .group_by(Post.account_id)).all())
        recent_posts = dict(s.execute(select(Post.account_id, func.count())
                                      .where(Post.published_at >= window, Post.published_at < at)
                                      .group_by(Post.account_id)).all())
        cut_bodies = dict(s.execute(select(Post.account_id, func.count())
                                    .where(Post.text_source == "card_truncated", Post.gone_at.is_(None),
                                           Post.published_at >= window)
                                    .group_by(Post.account_id)).all())
        untimed = dict(s.execute(select(Post.account_id, func.count())
                                 .where(Post.published_at.is_(None), Post.state.not_in(FINAL_STATES))
                                 .group_by(Post.account_id)).all())
        vetoed = set(s.scalars(select(Finding.account_id).where(
            Finding.rule.like("veto.%"), Finding.state != "dismissed", Finding.at >= at - timedelta(days=2),
            Finding.at < at)))
        failing = set(s.scalars(select(AppCheck.account_id).where(
            AppCheck.outcome == "fail", AppCheck.checked_at >= at - timedelta(days=3), AppCheck.checked_at < at)))
        full_done = dict(s.execute(select(AppCheck.account_id, func.max(AppCheck.checked_at))
                                   .where(AppCheck.sha256.is_not(None), AppCheck.checked_at < at)
                                   .group_by(AppCheck.account_id)).all())
    out = []
    for a in accounts:
        outcome, covered, exhaustive, details = last.get(a.id, (None, None, False, None))
        newest = newest_post.get(a.id)
        if a.id in vetoed or a.id in failing:
            tier = TIER_PENDING
        elif outcome is not None and outcome != "ok":
            tier = TIER_UNVERIFIABLE
        elif newest is not None and at - newest >= timedelta(days=near_days):
            tier = TIER_NEAR
        else:
            tier = TIER_REST
        facts = a.profile_facts or {}
        deferred: list[Task] = []
        if a.platform == "weibo":
            verdict = Task(VERDICT, {weibo_host: WEIBO_PAGE1})
            refresh = timedelta(days=s_.platforms.weibo.profile_refresh_days)
            if a.profile_observed_at is None or not facts.get("weibo_containerid") or at - a.profile_observed_at >= refresh:
                deferred.append(Task(PROFILE, {weibo_host: 1.0}, _age(at, a.profile_observed_at)))
            chain = _joined_from(details)
            joined = outcome == "ok" and (exhaustive or (covered is not None and covered <= window)
                                          or (chain is not None and chain <= window))
            if not joined:
                pages = (recent_posts[a.id] / WEIBO_PAGE_POSTS) if a.id in recent_posts else WEIBO_FIRST_HISTORY
                deferred.append(Task(HISTORY, {weibo_host: max(1.0, pages)}, None if outcome is None else 0.0))
            backlog = WEIBO_LONG_TEXTS_PER_NIGHT if outcome is None else min(cut_bodies.get(a.id, 0),
                                                                                 WEIBO_LONG_TEXTS_PER_NIGHT)
            if backlog:
                deferred.append(Task(BODIES, {weibo_host: float(backlog)}, None if outcome is None else 0.0))
            if s_.interaction.posts_per_night:
                # At most one hotflow request per new post; age −1: after every other deferred task.
                deferred.append(Task(COMMENTS, {weibo_host: float(s_.interaction.posts_per_night)}, -1.0))
        elif a.platform == "wechat":
            verdict = Task(VERDICT, {host_of(a.feed_url) or article_host: 1.0, article_host: 1.0})
            if a.id not in newest_post and a.id not in untimed:
                deferred.append(Task(HISTORY, {article_host: WECHAT_FIRST_ARTICLES}))
            elif untimed.get(a.id):
                deferred.append(Task(HISTORY, {article_host: float(untimed[a.id])}, 0.0))
            checked_about = facts.get("aboutbiz_checked_at")
            about_at = _parse(checked_about)
            if about_at is None or at - about_at >= timedelta(days=s_.platforms.wechat.aboutbiz_refresh_days):
                deferred.append(Task(PROFILE, {article_host: 1.0}, _age(at, about_at)))
        elif a.platform in VIDEO_PLATFORMS:
            # One feed (the registry's 订阅源 or RSSHub) or one profile page in Chromium.
            video = getattr(s_.platforms, a.platform)
            way = video.rsshub_url if video.way == "feed" and video.rsshub_url else video.base_url
            verdict = Task(VERDICT, {host_of(a.feed_url or way): 1.0})
        else:
            hosts: dict[str, float] = {}
            if a.download_url:
                hosts[host_of(a.download_url)] = APP_DOWNLOAD
            for store in sorted(a.store_ids or {}):
                h = store_hosts.get(store.split(":", 1)[0])
                if h:
                    hosts[h] = hosts.get(h, 0.0) + STORE_CHECK
            verdict = Task(VERDICT, hosts)
            if a.download_url and s_.apps.full_download != "never":
                deferred.append(Task(FULL_DOWNLOAD, {host_of(a.download_url): 1.0}, _age(at, full_done.get(a.id))))
        out.append(Candidate(a.id, tier, _nights(at, checked.get(a.id)), verdict, tuple(deferred)))
    return out


def _age(at: datetime, then: datetime | None) -> float | None:
    return None if then is None else max(0.0, (at - then).total_seconds() / 86400)


def _joined_from(details) -> datetime | None:
    """Where a Weibo observation's unbroken chain of spans starts (spiders/spiders/weibo.py)."""
    return _parse((details or {}).get("joined_from"))


def _parse(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def plan_tonight(app: App, at: datetime, platforms: set[str], workers: int | None = None) -> NightPlan:
    s = app.settings.schedule
    return plan_night(candidates(app, at, platforms), night_budget(app, at, workers), s.max_nights_between_checks)


def crawl_time_limit(app: App, at: datetime) -> tuple[float, str | None]:
    """How long tonight's crawl may run: until its window closes (the plan was made to fit
    it, and a crawl still running at dawn would compete with the day's use of the sites),
    or ``[crawl] child_timeout`` when the operator set one that ends sooner. Returns the
    seconds and, when the window sets them, the window (for the reason of what was cut)."""
    s = app.settings
    left = window_left(s.schedule.window, at.astimezone(s.tz))
    if "child_timeout" in s.crawl.model_fields_set and s.crawl.child_timeout <= left:
        return s.crawl.child_timeout, None
    return left, s.schedule.window


def record_cut_at_window_end(app: App, at: datetime, platforms: set[str], run_id: int | None,
                             window: str) -> list[int]:
    """Accounts still unobserved when the crawl was stopped at the window's end: planned but
    not done tonight — 未能核验 as 未在本夜计划内完成, first in line tomorrow."""
    from monitor.crawl.unreached import record_unreached

    why = f"the crawl was stopped at the end of [schedule] window {window} before it reached them"
    return record_unreached(app, at, platforms, run_id, why, code=NOT_IN_PLAN)


def record_not_planned(app: App, at: datetime, plan: NightPlan, platforms: set[str], run_id: int | None) -> list[int]:
    """Accounts whose verdict did not fit tonight's budget: 未能核验 tonight, with the reason."""
    from monitor.crawl.unreached import record_unreached

    if not plan.unreached:
        return []
    budget = plan.budget.per_host
    why = (f"the night's request budget ({budget:.0f} requests per host in "
           f"[schedule] window {app.settings.schedule.window}) was spent on accounts of higher priority")
    return record_unreached(app, at, platforms, run_id, why, account_ids=plan.unreached, code=NOT_IN_PLAN)
