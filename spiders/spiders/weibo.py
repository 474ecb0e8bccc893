"""Weibo spider: each registered Weibo account's profile and recent posts from m.weibo.cn.

Per account and night:
1. Profile ``getIndex?type=uid&value=UID`` — skipped while ``Account.profile_observed_at``
   is younger than ``WEIBO_PROFILE_REFRESH_DAYS`` and the timeline containerid is known.
2. Timeline: the ``tabsInfo`` weibo containerid (fallback ``107603UID``), following whichever
   cursor the site gives — ``cardlistInfo.since_id``, or ``cardlistInfo.page`` (the 107603
   route answers that way since 2025, with no ``since_id``); ``230413UID&page=N`` is the
   second route when the first one answers the placeholder or a layout we do not know.
3. ``/statuses/extend?id=`` (the older ``/api/statuses/extend`` as fallback) for every
   truncated post (``isLongText``, a 全文 link) whose full text is not stored yet, newest
   first, at most ``WEIBO_LONG_TEXTS_PER_NIGHT`` per account: a body is read once, so a
   steady night asks only for tonight's new long posts. The post records where its text
   came from (``text_source``: ``card``, ``extend``, or ``card_truncated`` when the long text
   could not be read — then a later night reads it).
4. ``/comments/hotflow?id=MID&mid=MID&max_id_type=0`` (one request, page 1) for the newest
   new posts that take comments and have some, at most ``INTERACTION_POSTS_PER_NIGHT`` per
   account, when the night's plan has room (task ``comments``); at most a quarter of the host's
   connections (at least one) carry comment requests at a time. A failed comment fetch is
   noted and proves nothing; the account's observation stays what the timeline made it.

Paging stops at the first non-pinned post older than the check window (the
``MONITOR_CHECK_WEEKS`` complete weeks before T), or — when earlier successful observations
already joined up — at the newest post stored before (by id, or by time if it was deleted),
or when the site says so: no cursor at all, or an empty page after posts. Pinned posts
never stop paging and are never the latest post.

Coverage (``covered_from`` on the observation): the time of the oldest non-pinned post this
crawl reached. Every post newer than it was seen, so the span [covered_from, T] is complete.
When paging stopped at the stored newest post, that post's time is ≤ the previous
successful observation's time, so the union of the two observations' spans is contiguous.
``exhaustive`` means the timeline ended.

Partial coverage: visitors often see page 1 only (a later page answers ``ok:-100`` with
the passport login URL, 432, a rate limit …). Page 1 is still a successful observation: it
is kept as ``ok`` with ``details["partial"]`` saying which page was refused, and
``covered_from`` = its oldest post, so only the span it saw counts; nights accumulate spans.
After a partial night the next nights stop at the stored posts (one request) and probe the
deeper pages again only on profile-refresh nights.

Outcomes: ``ok``; ``not_found`` (the profile answers ``ok:0 这里还没有内容`` again after one
retry with fresh visitor cookies); ``blocked`` (418/403/432 after renewal, ``ok:-100``, captcha
JSON, visitor HTML, redirect loops, rate-limit messages after back-off, the placeholder on
a timeline whose profile exists, and an ``ok:1`` page 1 without posts while the profile
counts posts or earlier nights stored some — after one retry with renewed cookies);
``error`` (timeouts, 5xx, bad JSON, unknown layouts, with the reason). Never "no posts" from
a failed fetch: an account is empty only when its profile says 0 posts.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime, time, timedelta
from typing import Any, Iterator, Optional
from urllib.parse import urlencode

import scrapy
from sqlalchemy import and_, func, select
from twisted.python.failure import Failure

from spiders import aiohttp_download
from spiders.failures import request_failure, staged
from spiders.items import CommentItem, ObservationItem, PostItem, ProfileItem
from spiders.spiders.base import AccountSpider
from spiders.weibo.cards import (
    WeiboPost,
    ad_signals,
    claimed_posts,
    parse_long_text,
    parse_timeline,
    plain_text,
    says_empty,
)
from spiders.weibo.client import api_headers
from spiders.weibo.comments import hotflow_path, is_no_comments, parse_hotflow
from spiders.weibo.errors import LayoutError
from spiders.weibo.payload import classify
from spiders.weibo.profile import WeiboProfile, parse_profile
from storage.db import make_engine, session_scope
from storage.models import FULL_TEXT_SOURCES, Observation, Post


def joined_from(details: Optional[dict]) -> Optional[datetime]:
    """An observation's ``details["joined_from"]`` (see WeiboSpider._joined_from), or None."""
    raw = (details or {}).get("joined_from")
    try:
        return datetime.fromisoformat(raw) if raw else None
    except (TypeError, ValueError):
        return None


# ``ok:0 访问频次过高`` (HTTP 200) is retried this many times after a growing pause, as
# RetryMiddleware does for 418; then the account is 未能核验 for the night.
RATE_LIMIT_RETRIES = 2


@dataclass
class _Stored:
    newest_id: Optional[str] = None
    newest_at: Optional[datetime] = None
    prev_ok_at: Optional[datetime] = None
    prev_ok_from: Optional[datetime] = None
    prev_exhaustive: bool = False
    prev_partial: bool = False  # the last ok observation had later pages refused
    full_bodies: set[str] = field(default_factory=set)  # recent posts stored with their full text
    prev_joined_from: Optional[datetime] = None  # start of the unbroken chain of spans it ended


@dataclass
class _Run:
    """One account's crawl state, carried through its chain of requests."""
    account_id: int
    uid: str
    stored: _Stored
    profile_due: bool
    containerid: Optional[str] = None
    statuses_count: Optional[int] = None  # from tonight's profile, else the stored facts
    requests: int = 0
    posts: dict[str, WeiboPost] = field(default_factory=dict)
    profile: Optional[WeiboProfile] = None
    profile_status: str = "skipped"
    route: str = "107603"
    pages: int = 0
    oldest: Optional[datetime] = None
    exhaustive: bool = False
    stop: Optional[str] = None
    partial: Optional[str] = None
    placeholder_retried: bool = False
    empty_retried: bool = False
    rate_retries: int = 0
    capture_ref: Optional[str] = None
    main_url: Optional[str] = None
    http_status: Optional[int] = None
    long_queue: list[str] = field(default_factory=list)
    comment_queue: list[str] = field(default_factory=list)
    comments: list[CommentItem] = field(default_factory=list)
    comment_requests: int = 0
    notes: list[str] = field(default_factory=list)


class WeiboSpider(AccountSpider):
    name = "weibo"
    platform = "weibo"
    custom_settings = {"DOWNLOAD_HANDLERS": aiohttp_download.DOWNLOAD_HANDLERS}  # C-parsed HTTP (issue 24)

    # ── setup ───────────────────────────────────────────────────────────────
    @property
    def base(self) -> str:
        return self.settings.get("WEIBO_BASE_URL", "https://m.weibo.cn").rstrip("/")

    def window_start(self) -> datetime:
        """Start of the first of the MONITOR_CHECK_WEEKS complete natural weeks before T."""
        local = self.at
        monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time.min, tzinfo=self.tz)
        return monday - timedelta(weeks=self.settings.getint("MONITOR_CHECK_WEEKS", 5))

    def stored_history(self, account_ids: list[int]) -> dict[int, _Stored]:
        """One query for each account's newest stored non-pinned post, one for its latest
        successful timeline observation."""
        out = {aid: _Stored() for aid in account_ids}
        if not account_ids:
            return out
        engine = make_engine(self.settings.get("MONITOR_DATABASE_URL"))
        try:
            with session_scope(engine) as s:
                live = and_(Post.account_id.in_(account_ids), Post.pinned.is_(False), Post.gone_at.is_(None),
                            Post.published_at.is_not(None))
                newest = (select(Post.account_id, func.max(Post.published_at).label("t"))
                          .where(live).group_by(Post.account_id).subquery())
                for aid, ppid, when in s.execute(
                        select(Post.account_id, Post.platform_post_id, Post.published_at)
                        .join(newest, and_(Post.account_id == newest.c.account_id, Post.published_at == newest.c.t))
                        .where(live)):
                    out[aid].newest_id, out[aid].newest_at = ppid, when
                ok = and_(Observation.account_id.in_(account_ids), Observation.platform == "weibo",
                          Observation.kind == "timeline", Observation.outcome == "ok")
                latest = (select(Observation.account_id, func.max(Observation.observed_at).label("t"))
                          .where(ok).group_by(Observation.account_id).subquery())
                for aid, at, cov, exh, details in s.execute(
                        select(Observation.account_id, Observation.observed_at, Observation.covered_from,
                               Observation.exhaustive, Observation.details)
                        .join(latest, and_(Observation.account_id == latest.c.account_id,
                                           Observation.observed_at == latest.c.t)).where(ok)):
                    st = out[aid]
                    st.prev_ok_at, st.prev_ok_from, st.prev_exhaustive = at, cov, bool(exh)
                    st.prev_partial = bool((details or {}).get("partial") or (details or {}).get("deeper_pages_refused"))
                    st.prev_joined_from = joined_from(details)
                # Paging reaches back to the window and at most a page beyond it; pinned
                # posts may be of any age.
                recent = self.window_start() - timedelta(days=self.settings.getint("WEIBO_FULL_TEXT_LOOKBACK_DAYS", 30))
                for aid, ppid in s.execute(
                        select(Post.account_id, Post.platform_post_id)
                        .where(Post.account_id.in_(account_ids), Post.text_source.in_(FULL_TEXT_SOURCES),
                               (Post.published_at >= recent) | Post.pinned.is_(True))):
                    out[aid].full_bodies.add(ppid)
        finally:
            engine.dispose()
        return out

    def start_requests(self):
        accounts = self.load_accounts()
        if isinstance(accounts, list):
            history = self.stored_history([a.id for a in accounts])
        else:
            history = None  # distributed: accounts arrive one by one from the shared queue
        refresh = timedelta(days=self.settings.getint("WEIBO_PROFILE_REFRESH_DAYS", 7))
        for account in accounts:
            stored = history[account.id] if history is not None else self.stored_history([account.id])[account.id]
            facts = account.profile_facts or {}
            fresh = (account.profile_observed_at is not None and facts.get("weibo_containerid")
                     and self.at - account.profile_observed_at < refresh)
            # A refresh the night's plan left for later: the stored containerid (or the
            # 107603 fallback) reads page 1 just as well.
            due = not fresh and self.planned(account.id, "profile")
            run = _Run(account.id, str(account.platform_id).strip(), stored, profile_due=due,
                       containerid=facts.get("weibo_containerid") if not due else None,
                       statuses_count=facts.get("statuses_count") if isinstance(facts.get("statuses_count"), int) else None)
            if not run.uid.isdigit():
                yield from self._finish(run, "error", f"bad_uid: 账号ID {run.uid!r} is not a numeric Weibo uid")
                continue
            yield self._profile_request(run) if run.profile_due else self._timeline_request(run)

    # ── requests ────────────────────────────────────────────────────────────
    def _api(self, path: str, params: dict[str, Any], run: _Run, callback, fresh: bool = False) -> scrapy.Request:
        url = f"{self.base}{path}?{urlencode(params)}"
        return scrapy.Request(
            url, callback=callback, errback=self._on_failure, dont_filter=True,
            headers=api_headers(self.base, run.uid, self.settings.get("WEIBO_USER_AGENT")),
            meta={"weibo": True, "run": run, "weibo_fresh_cookies": fresh, "handle_httpstatus_all": True},
        )

    def _profile_request(self, run: _Run, fresh: bool = False) -> scrapy.Request:
        return self._api("/api/container/getIndex", {"type": "uid", "value": run.uid}, run, self.on_profile, fresh)

    def _timeline_request(self, run: _Run, cursor: Optional[tuple[str, str]] = None,
                          fresh: bool = False) -> scrapy.Request:
        if run.route == "230413":
            params = {"containerid": f"230413{run.uid}", "page": cursor[1] if cursor else "1"}
        else:
            params = {"containerid": run.containerid or f"107603{run.uid}"}
            if cursor:
                params[cursor[0]] = cursor[1]
        request = self._api("/api/container/getIndex", params, run, self.on_timeline, fresh)
        request.meta["cursor"] = cursor
        if cursor:
            # A login wall on a deeper page is the visitor limit, not stale cookies:
            # renewing them would only cost a browser launch.
            request.meta["weibo_keep_cookies_on_login_wall"] = True
        return request

    def _again(self, request, run: _Run) -> scrapy.Request:
        """The same request once more after a rate-limit pause (the middleware waits)."""
        run.rate_retries += 1
        retry = request.replace(dont_filter=True)
        backoff = self.settings.getfloat("WEIBO_418_BACKOFF", 2.5) * (2 ** run.rate_retries)
        retry.meta.update(weibo_backoff=backoff, retry_times=0, weibo_cookie_retry=False)
        return retry

    @staticmethod
    def _count(run: _Run, meta: dict[str, Any]) -> None:
        run.requests += 1 + int(meta.get("retry_times", 0) or 0) + int(bool(meta.get("weibo_cookie_retry")))

    def _classify(self, run: _Run, response):
        self._count(run, response.meta)
        got = classify(response.status, response.body, response.url, response.headers.get("Content-Type", b"").decode("latin-1"))
        note = response.meta.get("weibo_cookie_note")
        if got.kind in ("blocked", "rate_limited") and note:
            got.reason = f"{got.reason}; {note}"
        return got

    # ── callbacks ───────────────────────────────────────────────────────────
    def on_profile(self, response):
        run: _Run = response.meta["run"]
        try:
            got = self._classify(run, response)
            run.http_status = response.status
            if got.kind == "placeholder":
                if not run.placeholder_retried:
                    run.placeholder_retried = True
                    yield self._profile_request(run, fresh=True)
                    return
                run.profile_status = "not_found"
                yield from self._finish(run, "not_found", f"{got.reason} (again after a retry with fresh visitor cookies)",
                                        url=response.url)
                return
            if got.kind == "rate_limited" and response.status == 200 and run.rate_retries < RATE_LIMIT_RETRIES:
                yield self._again(response.request, run)
                return
            if got.kind != "ok":
                run.profile_status = got.kind
                yield from self._finish(run, "blocked" if got.kind == "rate_limited" else got.kind,
                                        staged(got.reason, "profile"), url=response.url)
                return
            run.profile = parse_profile(got.payload)
            run.profile_status = "ok"
            run.statuses_count = run.profile.statuses_count
            run.containerid = run.profile.weibo_containerid or f"107603{run.uid}"
            run.placeholder_retried = False
            run.rate_retries = 0
            yield self._timeline_request(run)
        except LayoutError as exc:
            yield from self._finish(run, "error", f"layout_changed: profile: {exc}", url=response.url)
        except Exception as exc:  # one account's surprise never stops the others
            self.logger.exception("weibo %s: profile parse failed", run.uid)
            yield from self._finish(run, "error", f"check_error: profile parse failed: {type(exc).__name__}: {exc}",
                                    url=response.url)

    def on_timeline(self, response):
        run: _Run = response.meta["run"]
        try:
            yield from self._timeline(run, response)
        except LayoutError as exc:
            if run.pages == 0 and run.route == "107603":
                run.notes.append(f"{response.url}: {exc}; tried the 230413 route")
                run.route = "230413"
                yield self._timeline_request(run)
                return
            if run.pages:
                yield from self._partial(run, f"page {run.pages + 1}: layout not understood: {exc}")
                return
            yield from self._finish(run, "error", f"layout_changed: timeline: {exc}", url=response.url)
        except Exception as exc:
            self.logger.exception("weibo %s: timeline parse failed", run.uid)
            yield from self._finish(run, "error", f"check_error: timeline parse failed: {type(exc).__name__}: {exc}",
                                    url=response.url)

    def _timeline(self, run: _Run, response) -> Iterator[Any]:
        got = self._classify(run, response)
        cursor = response.meta.get("cursor")
        if run.pages == 0:
            run.capture_ref = response.meta.get("warc_ref")
            run.main_url = response.url
            run.http_status = response.status
        if got.kind == "placeholder":
            if not run.placeholder_retried:
                run.placeholder_retried = True
                yield self._timeline_request(run, cursor, fresh=True)
                return
            if run.pages == 0 and run.route == "107603":
                run.route = "230413"
                run.notes.append("placeholder on the 107603 route; tried the 230413 route")
                yield self._timeline_request(run)
                return
            if run.pages:
                yield from self._partial(run, f"page {run.pages + 1}: {got.reason}")
                return
            # The profile exists (or existed at the last refresh): an empty answer now is
            # the platform holding back, not an account without posts.
            yield from self._finish(run, "blocked", staged(f"{got.reason} after a retry with fresh visitor cookies",
                                                           "timeline"), url=response.url)
            return
        if got.kind == "rate_limited" and response.status == 200 and run.rate_retries < RATE_LIMIT_RETRIES:
            yield self._again(response.request, run)
            return
        if got.kind != "ok":
            if run.pages:
                yield from self._partial(run, f"page {run.pages + 1}: {got.reason}")
                return
            yield from self._finish(run, "blocked" if got.kind == "rate_limited" else got.kind,
                                    staged(got.reason, "timeline"), url=response.url)
            return
        page = parse_timeline(got.data, self.at, self.tz)
        if not page.posts:
            if run.pages:  # an empty page after posts: the site says the timeline ended
                run.exhaustive = True
                yield from self._after_paging(run)
                return
            claimed = claimed_posts(page, run.statuses_count, run.stored.newest_at is not None)
            if claimed or not says_empty(page, run.statuses_count):
                if not run.empty_retried:
                    run.empty_retried = True
                    retry = self._timeline_request(run, cursor)
                    retry.meta["weibo_renew_cookies"] = True
                    yield retry
                    return
                notice = f" ({'; '.join(page.notices)})" if page.notices else ""
                why = (f"although the site counts posts ({claimed})" if claimed
                       else "and the site gives no post count to confirm an empty account")
                note = response.meta.get("weibo_cookie_note")
                yield from self._finish(
                    run, "blocked", f"posts_withheld: timeline: ok:1 without posts{notice} {why}; again after renewing the "
                                    f"visitor cookies (an expired session or a visibility limit)"
                                    + (f"; {note}" if note else ""), url=response.url)
                return
            run.pages += 1
            run.exhaustive = True  # the profile itself says 0 posts
            yield from self._after_paging(run)
            return
        run.pages += 1
        run.rate_retries = 0
        window = self.window_start()
        incremental = self._incremental_ok(run, window)
        for post in page.posts:
            post.capture_ref = response.meta.get("warc_ref")
            run.posts.setdefault(post.id, post)
            if post.pinned:
                continue
            if run.oldest is None or post.published_at < run.oldest:
                run.oldest = post.published_at
            if post.published_at < window:
                run.stop = "window covered"
            elif incremental and (post.id == run.stored.newest_id or post.published_at <= run.stored.newest_at):
                run.stop = "reached stored posts"
        if run.stop:
            yield from self._after_paging(run)
            return
        nxt = ("page", str(page.next_page)) if run.route == "230413" and page.next_page else page.cursor
        if run.route == "230413" and not page.next_page:
            nxt = None
        if nxt is None:
            run.exhaustive = True
        elif nxt == cursor or (nxt[0] == "page" and cursor and cursor[0] == "page" and int(nxt[1]) <= int(cursor[1])):
            run.notes.append(f"the site repeated the cursor {nxt[0]}={nxt[1]}; stopped")
        elif run.pages >= self.settings.getint("WEIBO_MAX_PAGES", 30):
            run.notes.append(f"stopped after {run.pages} pages (WEIBO_MAX_PAGES)")
        elif not self.planned(run.account_id, "history"):
            # Page 1 decided tonight's verdict; the deeper pages are a later night's history.
            run.stop = "night plan"
            run.notes.append("deeper pages left for a later night (night plan)")
        else:
            run.placeholder_retried = False
            yield self._timeline_request(run, nxt)
            return
        yield from self._after_paging(run)

    def _incremental_ok(self, run: _Run, window: datetime) -> bool:
        """May paging stop at the stored newest post? Only when the earlier observations
        join up: the last one reached the window or the end, or it was partial (deeper pages
        refused) — then the spans still join and are probed again on profile nights."""
        s = run.stored
        if s.newest_at is None or s.prev_ok_at is None or s.newest_at > s.prev_ok_at:
            return False
        return (s.prev_exhaustive or (s.prev_ok_from is not None and s.prev_ok_from <= window)
                or (s.prev_joined_from is not None and s.prev_joined_from <= window)
                or (s.prev_partial and not run.profile_due))

    @staticmethod
    def _joined_from(run: _Run, covered: Optional[datetime]) -> Optional[datetime]:
        """Where the unbroken chain of observed spans ending tonight starts: paging stopped at
        the stored posts, so tonight's span joins the last one's (and its chain). Without it
        the night after an incremental one would page down to the window again."""
        if run.stop != "reached stored posts" or covered is None:
            return None
        s = run.stored
        return min(t for t in (s.prev_joined_from, s.prev_ok_from, covered) if t is not None)

    def _partial(self, run: _Run, why: str) -> Iterator[Any]:
        """Later pages refused after page 1 succeeded: keep what was read, say how far."""
        run.partial = why
        yield from self._after_paging(run)

    def _after_paging(self, run: _Run) -> Iterator[Any]:
        wanted = sorted((p for p in run.posts.values() if p.needs_long_text and p.id not in run.stored.full_bodies),
                        key=lambda p: p.published_at, reverse=True)
        limit = self.settings.getint("WEIBO_LONG_TEXTS_PER_NIGHT", 50)
        plan = self.settings.getdict("MONITOR_PLAN") if self.settings.get("MONITOR_PLAN") else {}
        if "bodies" in plan and not self.planned(run.account_id, "bodies"):
            # The plan left the backlog for a later night: only tonight's new posts (what the
            # verdict's estimate allows for); the rest stay cut at 全文 and are counted then.
            newest = run.stored.newest_at
            tonight = [p for p in wanted if newest is not None and p.published_at > newest]
            if len(tonight) < len(wanted):
                run.notes.append(f"{len(wanted) - len(tonight)} long texts left for a later night (night plan)")
            wanted = tonight
        run.long_queue = [p.id for p in wanted[:limit]]
        if len(wanted) > limit:
            run.notes.append(f"{len(wanted) - limit} long texts left for a later night (WEIBO_LONG_TEXTS_PER_NIGHT)")
        run.comment_queue = self._comment_queue(run, run.stored.newest_at)
        yield from self._next_long_or_finish(run)

    def _comment_queue(self, run: _Run, newest_known: Optional[datetime]) -> list[str]:
        """The newest new posts whose comment section is worth one request tonight."""
        limit = self.settings.getint("INTERACTION_POSTS_PER_NIGHT", 0)
        plan = self.settings.getdict("MONITOR_PLAN") if self.settings.get("MONITOR_PLAN") else {}
        if limit <= 0 or ("comments" in plan and not self.planned(run.account_id, "comments")):
            return []
        fresh = [p for p in run.posts.values() if not p.pinned
                 and (newest_known is None or p.published_at > newest_known)
                 and p.comments is not None and not p.comments.get("closed") and (p.comments.get("count") or 0) > 0]
        fresh.sort(key=lambda p: p.published_at, reverse=True)
        return [p.id for p in fresh[:limit]]

    def _comment_request(self, run: _Run, pid: str) -> scrapy.Request:
        path, params = hotflow_path(pid)
        request = self._api(path, params, run, self.on_comments)
        request.meta["post_id"] = pid
        request.errback = self._on_comments_failure
        return request

    def on_comments(self, response):
        run: _Run = response.meta["run"]
        pid = response.meta["post_id"]
        got = self._classify(run, response)
        run.comment_requests += 1
        try:
            if got.kind == "ok":
                limit = self.settings.getint("INTERACTION_COMMENTS_PER_POST", 20)
                for c in parse_hotflow(got.data, self.at, limit, self.tz):
                    run.comments.append(CommentItem(
                        platform_post_id=pid, platform_comment_id=c.id, text=c.text[:2000],
                        parent_comment_id=c.parent_id, user_id=c.user_id or None, user_name=c.user_name,
                        by_account=c.user_id == run.uid, created_at=c.created_at,
                        capture_ref=response.meta.get("warc_ref")))
            elif not (got.kind == "error" and is_no_comments(got.payload)):
                run.notes.append(f"comments of {pid} not read: {got.reason}")
        except LayoutError as exc:
            run.notes.append(f"comments of {pid} not read: layout_changed: {exc}")
        yield from self._comment_done(run)

    def _on_comments_failure(self, failure: Failure):
        run: _Run = failure.request.meta["run"]
        self._count(run, failure.request.meta)
        run.comment_requests += 1
        run.notes.append(f"comments of {failure.request.meta['post_id']} not read: {request_failure(failure)}")
        yield from self._comment_done(run)

    LONG_TEXT_PATHS = ("/statuses/extend", "/api/statuses/extend")  # the newer one first

    def _long_request(self, run: _Run, pid: str, attempt: int = 0) -> scrapy.Request:
        request = self._api(self.LONG_TEXT_PATHS[attempt], {"id": pid}, run, self.on_long_text)
        request.meta.update(post_id=pid, long_attempt=attempt)
        request.errback = self._on_long_failure
        return request

    def _next_long_or_finish(self, run: _Run) -> Iterator[Any]:
        if run.long_queue:
            yield self._long_request(run, run.long_queue.pop(0))
            return
        if run.comment_queue:
            yield from self._comment_or_wait(run)
            return
        yield from self._finish(run, "ok", None)

    # Comment requests take at most a quarter of the host's connection slots (at least one):
    # comment sections are extra, and a burst of them from many accounts at once would push
    # other accounts' timeline pages into the site's rate limit (418). Accounts wait their
    # turn; each answer hands its lane on. A single lane for the crawl (still what the polite
    # pace, 2 connections per host, gets) left the others idle at delay 0: 10,000 accounts'
    # 20,000 comment requests went one by one, the Weibo child ran on alone for the last
    # 15–18 % of the night, and the waiting accounts' posts were held in memory (issue 24).
    _comments_in_flight = 0

    @cached_property
    def comment_lanes(self) -> int:
        return max(1, self.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2) // 4)

    @cached_property
    def _comment_waiting(self) -> deque[_Run]:
        return deque()

    def _comment_or_wait(self, run: _Run) -> Iterator[Any]:
        if self._comments_in_flight >= self.comment_lanes:
            self._comment_waiting.append(run)
            return
        self._comments_in_flight += 1
        yield self._comment_request(run, run.comment_queue.pop(0))

    def _comment_done(self, run: _Run) -> Iterator[Any]:
        self._comments_in_flight -= 1
        yield from self._next_long_or_finish(run)
        while self._comment_waiting and self._comments_in_flight < self.comment_lanes:
            yield from self._next_long_or_finish(self._comment_waiting.popleft())

    def on_long_text(self, response):
        run: _Run = response.meta["run"]
        pid = response.meta["post_id"]
        got = self._classify(run, response)
        try:
            if got.kind != "ok":
                raise LayoutError(got.reason or got.kind)
            full = parse_long_text(got.payload)
            post = run.posts[pid]
            post.ad_signals = ad_signals(full)
            post.text_html = full
            post.text = plain_text(full)
            post.truncated = False
            post.text_source = "extend"
            post.capture_ref = response.meta.get("warc_ref")
        except Exception as exc:
            yield from self._long_failed(run, response.meta, str(exc))
            return
        yield from self._next_long_or_finish(run)

    def _on_long_failure(self, failure: Failure):
        run: _Run = failure.request.meta["run"]
        self._count(run, failure.request.meta)
        yield from self._long_failed(run, failure.request.meta, failure.getErrorMessage())

    def _long_failed(self, run: _Run, meta: dict[str, Any], why: str) -> Iterator[Any]:
        attempt = meta.get("long_attempt", 0)
        if attempt + 1 < len(self.LONG_TEXT_PATHS) and not why.startswith("rate_limited"):
            yield self._long_request(run, meta["post_id"], attempt + 1)
            return
        run.notes.append(f"long text of {meta['post_id']} not read: {why}")
        yield from self._next_long_or_finish(run)

    def _on_failure(self, failure: Failure):
        request = failure.request
        run: _Run = request.meta["run"]
        self._count(run, request.meta)
        reason = request_failure(failure)
        # A redirect loop is m.weibo.cn sending a visitor round the passport pages.
        outcome = "blocked" if reason.startswith("redirect_loop") else "error"
        if request.callback == self.on_timeline and run.pages:
            yield from self._partial(run, f"page {run.pages + 1}: {reason}")
            return
        yield from self._finish(run, outcome, reason, url=request.url)

    # ── output ──────────────────────────────────────────────────────────────
    def _finish(self, run: _Run, outcome: str, reason: Optional[str], url: Optional[str] = None) -> Iterator[Any]:
        at = self.at
        profile = None
        if run.profile is not None:
            p = run.profile
            profile = ProfileItem(account_id=run.account_id, observed_at=at, name=p.screen_name, verified=p.verified,
                                  verified_type=str(p.verified_type) if p.verified_type is not None else None,
                                  verified_reason=p.verified_reason, facts=p.facts())
        posts = [
            PostItem(
                account_id=run.account_id, platform_post_id=post.id, published_at=post.published_at,
                kind=post.kind, pinned=post.pinned, title=post.text[:60] or None, text=post.text,
                text_source=post.text_source if post.text else None, text_capture=post.capture_ref,
                url=f"{self.base}/status/{post.bid or post.id}", time_source="api", ad_signals=post.ad_signals,
                details={"created_at": post.created_at, "time_precision": post.time_precision,
                         "truncated": post.truncated, **({"retweeted": post.retweeted} if post.retweeted else {}),
                         **({"comments": post.comments} if post.comments is not None else {})},
            )
            for post in run.posts.values()
        ]
        ok = outcome == "ok"
        # No non-pinned post at all: the crawl still saw [T, T] completely (and, when
        # exhaustive, that there is nothing before).
        covered = (run.oldest or at) if ok else None
        joined = self._joined_from(run, covered) if ok else None
        yield ObservationItem(
            account_id=run.account_id, platform="weibo", kind="timeline", outcome=outcome,
            url=run.main_url or url, observed_at=at, http_status=run.http_status, reason=reason,
            covered_from=covered, exhaustive=ok and run.exhaustive, request_count=run.requests,
            capture_ref=run.capture_ref,
            details={"profile": run.profile_status, "pages": run.pages, "route": run.route, "stop": run.stop,
                     "notes": run.notes, "uid": run.uid,
                     **({"comment_requests": run.comment_requests} if run.comment_requests else {}), **({"partial": run.partial} if ok and run.partial else {}),
                     **({"joined_from": joined.isoformat()} if joined is not None else {}),
                     # Remembered until a profile night probes the deeper pages again.
                     **({"deeper_pages_refused": True} if ok and not run.partial and run.stored.prev_partial
                        and run.stop == "reached stored posts" and not run.profile_due else {})},
            seen_post_ids=[p.id for p in run.posts.values()] if ok else None,
            posts=posts, profile=profile, comments=run.comments if ok else [],
        )
