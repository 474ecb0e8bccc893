"""WeChat official accounts: the 订阅源 gives the list, the article pages give the truth.

Per account and night: the feed (one request), each article link not seen before (one
request each, never again once its body is stored — ``#js_content`` or a share's own text —
or it is in a final state), and at most
weekly the ``mp/aboutbiz`` page for 认证主体. Everything ends in exactly one
ObservationItem (kind ``feed``) per account, written with the account's posts and profile.
小程序 are not crawled here: they are judged on availability, not on posting.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from sqlalchemy import select

from spiders import aiohttp_download
from spiders.failures import http_code, request_failure, staged
from spiders.items import ObservationItem, PostItem, ProfileItem
from spiders.spiders.base import AccountSpider, requests_spent
from spiders.wechat.aboutbiz import AboutBiz, parse_aboutbiz
from spiders.wechat.article import BLOCKED, OK, ArticlePage, parse_article
from spiders.wechat.feeds import FeedEntry, FeedError, ParsedFeed, parse_feed
from spiders.wechat.services import (
    CANARY,
    FEED_LIST,
    UNCHECKED,
    FeedService,
    Freshness,
    ServiceError,
    judge_canary,
    judge_listed,
    parse_feed_list,
    resolve,
    unknown,
)
from spiders.wechat.timing import ItemTime, choose_time, feed_verdict
from spiders.wechat.urls import ArticleRef, aboutbiz_url, looks_like_biz, normalise_article_url
from storage.db import make_engine, session_scope
from storage.models import FULL_TEXT_SOURCES, Account, Post

# Post states that will not change on a refetch: the page is not fetched again.
FINAL_STATES = {"deleted", "violation", "account_banned", "account_closed", "bad_url"}


@dataclass
class _Stored:
    published_at: datetime | None
    state: str
    text_source: str | None = None

    @property
    def done(self) -> bool:
        """Nothing more to learn from the page: its time and body are stored, or it is gone.
        A post known only from the feed (the page answered a captcha, an error …) is asked
        for again while it stays in the feed."""
        return self.state in FINAL_STATES or (self.published_at is not None and self.text_source in FULL_TEXT_SOURCES)


@dataclass
class _Item:
    entry: FeedEntry
    ref: ArticleRef
    stored: _Stored | None = None
    page: ArticlePage | None = None
    failure: str | None = None  # why the page could not be read (http 500, download error …)
    capture_ref: str | None = None  # the WARC record of the article page


@dataclass
class _Service:
    """One feed service's nightly check, shared by every account behind it."""
    service: FeedService
    done: bool = False
    listing: dict | None = None  # feed-list: feed id → FeedSync
    freshness: Freshness | None = None  # canary verdict, or why the check failed
    requests: int = 0
    waiting: list["_Run"] = field(default_factory=list)  # finished runs parked until done

    def freshness_for(self, feed_id: str | None, at: datetime, tz) -> Freshness:
        svc = self.service
        if self.listing is not None and feed_id is not None:
            return judge_listed(feed_id, self.listing, at, svc.max_age, tz)
        return self.freshness or unknown("the service was not checked")


@dataclass
class _Run:
    """One account's crawl in flight."""
    account: Account
    stored: dict[str, _Stored]
    service: _Service | None = None
    feed_id: str | None = None
    pending: int = 0
    requests: int = 0
    feed: ParsedFeed | None = None
    feed_status: int | None = None
    feed_error: str | None = None
    feed_outcome: str = "error"
    capture_ref: str | None = None
    items: list[_Item] = field(default_factory=list)
    skipped_links: list[str] = field(default_factory=list)
    about_due: bool = False
    about_requested: bool = False
    about: AboutBiz | None = None
    about_note: str | None = None
    finished: bool = False


class WechatSpider(AccountSpider):
    name = "wechat"
    platform = "wechat"
    # C-parsed HTTP (issue 24); no cookie jar: public article pages, aboutbiz pages and the
    # feed services answer without cookies, and the jar cost ~0.1 ms of CPU per request.
    custom_settings = {"DOWNLOAD_HANDLERS": aiohttp_download.DOWNLOAD_HANDLERS, "COOKIES_ENABLED": False}

    # ── setup ────────────────────────────────────────────────────────────────
    @property
    def base_url(self) -> str:
        return self.settings.get("WECHAT_BASE_URL", "https://mp.weixin.qq.com").rstrip("/")

    @property
    def trusted_kinds(self) -> list[str]:
        return self.settings.getlist("WECHAT_TRUSTED_FEED_KINDS")

    def _stored_posts(self, account_ids: list[int]) -> dict[int, dict[str, _Stored]]:
        """Every stored WeChat post id, in one query: links already known are not refetched."""
        out: dict[int, dict[str, _Stored]] = {a: {} for a in account_ids}
        if not account_ids:
            return out
        engine = make_engine(self.settings.get("MONITOR_DATABASE_URL"))
        try:
            with session_scope(engine) as s:
                rows = s.execute(select(Post.account_id, Post.platform_post_id, Post.published_at, Post.state,
                                        Post.text_source)
                                 .join(Account, Account.id == Post.account_id)
                                 .where(Account.platform == "wechat"))
                for aid, ppid, published, state, source in rows:
                    if aid in out:
                        out[aid][ppid] = _Stored(published, state, source)
        finally:
            engine.dispose()
        return out

    def start_requests(self):
        accounts = (a for a in self.load_accounts() if a.wechat_kind != "小程序")
        # Distributed: accounts arrive one by one from the shared queue; never drain it.
        if not self.distributed:
            accounts = list(accounts)
        stored = None if self.distributed else self._stored_posts([a.id for a in accounts])
        for account in accounts:
            run = _Run(account, (stored if stored is not None else self._stored_posts([account.id])).get(account.id, {}))
            run.about_due = self._aboutbiz_due(account) and self.planned(account.id, "profile")
            requests = []
            if account.feed_url:
                # The service check goes out before the feed, once per service and night.
                yield from self._attach_service(run)
                requests.append(scrapy.Request(self._feed_url(run), callback=self.on_feed,
                                               errback=self.on_feed_failure, meta={"run": run}, dont_filter=True))
            else:
                run.feed_error = "no_feed_url: no 订阅源 (feed URL) in the registry: the article list cannot be read"
            about = self._aboutbiz_request(run)
            if about is not None:
                requests.append(about)
            run.pending = len(requests)
            yield from requests
            if not requests:
                yield from self._finish(run)

    # ── feed services ───────────────────────────────────────────────────────
    @cached_property
    def services(self) -> dict[str, _Service]:
        """Feed services met so far in this crawl, by key: each is checked once."""
        return {}

    def _attach_service(self, run: _Run):
        """Bind the run to its feed service; the first account of a service sends its check."""
        max_age = timedelta(hours=self.settings.getfloat("WECHAT_FEED_SYNC_MAX_AGE_HOURS", 36.0))
        found = resolve(run.account.feed_url, self.settings.getlist("WECHAT_FEED_SERVICES"), max_age)
        if found is None:
            return
        service, run.feed_id = found
        svc = self.services.get(service.key)
        if svc is None:
            svc = self.services[service.key] = _Service(service)
            if service.check == FEED_LIST:
                yield scrapy.Request(service.url, callback=self.on_feed_list, errback=self.on_service_failure,
                                     meta={"service": svc}, dont_filter=True, priority=10,
                                     headers={"Accept": "application/json"})
            elif service.check == CANARY:
                yield scrapy.Request(service.url, callback=self.on_canary, errback=self.on_service_failure,
                                     meta={"service": svc}, dont_filter=True, priority=10)
            else:
                svc.done, svc.freshness = True, Freshness(UNCHECKED)
        run.service = svc

    def _feed_url(self, run: _Run) -> str:
        url = run.account.feed_url
        if run.service is None or not run.service.service.refresh:
            return url
        # wewe-rss queues a sync of this feed on ?update=true and answers at once with what it
        # has, so the refresh helps the next night's feed list rather than this answer.
        parts = urlsplit(url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "update"] + [("update", "true")]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def on_feed_list(self, response):
        svc: _Service = response.meta["service"]
        svc.requests += requests_spent(response.meta)
        if response.status != 200:
            svc.freshness = unknown(f"feed list answered HTTP {response.status}")
        else:
            try:
                svc.listing = parse_feed_list(response.body, self.tz)
            except ServiceError as exc:
                svc.freshness = unknown(str(exc))
        yield from self._service_done(svc)

    def on_canary(self, response):
        svc: _Service = response.meta["service"]
        svc.requests += requests_spent(response.meta)
        if response.status != 200:
            svc.freshness = unknown(f"canary feed answered HTTP {response.status}")
        else:
            try:
                ctype = response.headers.get("Content-Type", b"").decode("latin-1")
                feed = parse_feed(response.body, response.url, ctype, self.tz)
                svc.freshness = judge_canary(feed, self.at, svc.service.max_age, self.tz)
            except FeedError as exc:
                svc.freshness = unknown(f"canary feed unreadable: {exc}")
        yield from self._service_done(svc)

    def on_service_failure(self, failure):
        svc: _Service = failure.request.meta["service"]
        svc.requests += requests_spent(failure.request.meta)
        svc.freshness = unknown(f"{svc.service.check} unreachable: {failure.getErrorMessage()}")
        yield from self._service_done(svc)

    def _service_done(self, svc: _Service):
        svc.done = True
        waiting, svc.waiting = svc.waiting, []
        for run in waiting:
            yield from self._finish(run)

    # ── verification page ───────────────────────────────────────────────────
    def _aboutbiz_due(self, account: Account) -> bool:
        checked = (account.profile_facts or {}).get("aboutbiz_checked_at")
        if not checked:
            return True
        try:
            last = datetime.fromisoformat(checked)
        except ValueError:
            return True
        days = self.settings.getfloat("WECHAT_ABOUTBIZ_REFRESH_DAYS", 7.0)
        return abs(self.at - last) >= timedelta(days=days)

    def _aboutbiz_target(self, run: _Run) -> str | None:
        account = run.account
        if account.profile_url and "aboutbiz" in account.profile_url:
            return account.profile_url
        if looks_like_biz(account.platform_id):
            return aboutbiz_url(self.base_url, account.platform_id)
        learned = next((i.page.biz for i in run.items if i.page is not None and i.page.biz), None)
        return aboutbiz_url(self.base_url, learned) if learned else None

    def _aboutbiz_request(self, run: _Run) -> scrapy.Request | None:
        if not run.about_due or run.about_requested:
            return None
        url = self._aboutbiz_target(run)
        if url is None:
            return None
        run.about_requested = True
        headers = {"Referer": self.base_url + "/"}
        uin, key = self.settings.get("WECHAT_CLIENT_UIN"), self.settings.get("WECHAT_CLIENT_KEY")
        if uin and key:
            # WeChat answers the page only to its client; the WARC writer masks these headers.
            headers.update({"x-wechat-uin": uin, "x-wechat-key": key})
            if self.settings.get("WECHAT_CLIENT_USER_AGENT"):
                headers["User-Agent"] = self.settings.get("WECHAT_CLIENT_USER_AGENT")
        return scrapy.Request(url, callback=self.on_aboutbiz, errback=self.on_aboutbiz_failure,
                              meta={"run": run}, dont_filter=True, headers=headers)

    def on_aboutbiz(self, response):
        run: _Run = response.meta["run"]
        self._count(run, response)
        try:
            if response.status != 200:
                run.about_note = f"aboutbiz answered HTTP {response.status}"
            else:
                run.about = parse_aboutbiz(response.text, response.url)
                state = run.about.state
                if state == "error-page":
                    # What a request without (or with expired) client credentials gets: unknown.
                    run.about_note = f"aboutbiz: error page ({run.about.error})"
                elif state != "ok":
                    run.about_note = "aboutbiz: captcha" if state == "captcha" else "aboutbiz: no verification rows"
        except Exception as exc:  # a page we cannot read leaves verification unknown
            run.about_note = f"aboutbiz parse error: {exc!r}"
        yield from self._done_one(run)

    def on_aboutbiz_failure(self, failure):
        run: _Run = failure.request.meta["run"]
        run.requests += requests_spent(failure.request.meta)
        run.about_note = f"aboutbiz unreachable: {failure.getErrorMessage()}"
        yield from self._done_one(run)

    # ── feed ────────────────────────────────────────────────────────────────
    def on_feed(self, response):
        run: _Run = response.meta["run"]
        self._count(run, response)
        run.feed_status = response.status
        run.capture_ref = response.meta.get("warc_ref")
        requests: list[scrapy.Request] = []
        try:
            if response.status != 200:
                run.feed_error = f"{http_code(response.status)}: feed answered HTTP {response.status}"
            else:
                ctype = response.headers.get("Content-Type", b"").decode("latin-1")
                run.feed = parse_feed(response.body, response.url, ctype, self.tz)
                run.feed_outcome = "ok"
                requests = self._article_requests(run)
        except FeedError as exc:
            run.feed_error = f"feed_invalid: {exc}"
        except Exception as exc:  # never let one account's feed stop the crawl
            run.feed_error = f"check_error: feed could not be processed: {exc!r}"
            self.logger.exception("wechat feed %s", response.url)
        # Count the new requests before handing any out, so no callback can see 0 early.
        run.pending += len(requests)
        yield from requests
        yield from self._done_one(run)

    def on_feed_failure(self, failure):
        run: _Run = failure.request.meta["run"]
        run.requests += requests_spent(failure.request.meta)
        run.feed_error = staged(request_failure(failure), "feed unreachable")
        yield from self._done_one(run)

    def _article_requests(self, run: _Run) -> list[scrapy.Request]:
        requests = []
        seen: set[str] = set()
        # Without tonight's history the newest unread article alone is read (it decides the
        # verdict); the others wait, unfetched, for a night whose plan has room.
        limit = None if self.planned(run.account.id, "history") else 1
        for entry in run.feed.entries:
            ref = normalise_article_url(entry.link, self.base_url)
            if ref is None:
                run.skipped_links.append(str(entry.link))
                continue
            if ref.post_id in seen:
                continue
            seen.add(ref.post_id)
            item = _Item(entry, ref, run.stored.get(ref.post_id))
            run.items.append(item)
            if item.stored and item.stored.done:
                continue
            if limit is not None and len(requests) >= limit:
                item.failure = "deferred to a later night (night plan)"
                continue
            requests.append(scrapy.Request(ref.url, callback=self.on_article, errback=self.on_article_failure,
                                           meta={"run": run, "item": item}, dont_filter=True,
                                           headers={"Referer": self.base_url + "/"}))
        return requests

    # ── articles ────────────────────────────────────────────────────────────
    def on_article(self, response):
        run: _Run = response.meta["run"]
        item: _Item = response.meta["item"]
        self._count(run, response)
        item.capture_ref = response.meta.get("warc_ref")
        try:
            if response.status != 200:
                item.failure = f"http {response.status}"
            else:
                item.page = parse_article(response.text, response.url, self.tz)
        except Exception as exc:
            item.failure = f"parse error: {exc!r}"
            self.logger.exception("wechat article %s", response.url)
        if run.about_due and not run.about_requested and item.page is not None and item.page.biz:
            about = self._aboutbiz_request(run)
            if about is not None:
                run.pending += 1
                yield about
        yield from self._done_one(run)

    def on_article_failure(self, failure):
        run: _Run = failure.request.meta["run"]
        item: _Item = failure.request.meta["item"]
        run.requests += requests_spent(failure.request.meta)
        item.failure = f"download error: {failure.getErrorMessage()}"
        yield from self._done_one(run)

    # ── bookkeeping ─────────────────────────────────────────────────────────
    @staticmethod
    def _count(run: _Run, response) -> None:
        run.requests += requests_spent(response.meta)

    def _done_one(self, run: _Run):
        run.pending -= 1
        if run.pending <= 0 and not run.finished:
            if run.service is not None and not run.service.done and run.feed_outcome == "ok":
                run.service.waiting.append(run)  # its verdict needs the service's check
                return
            yield from self._finish(run)

    def _finish(self, run: _Run):
        run.finished = True
        try:
            yield from self._emit(run)
        except Exception as exc:  # report the account as failed, keep crawling the others
            self.logger.exception("wechat account %s", run.account.platform_id)
            yield self._observation(run, "error", f"check_error: internal error: {exc!r}", None, {})

    def _emit(self, run: _Run):
        posts, times = self._posts(run)
        profile = self._profile(run)
        if run.feed_outcome != "ok" or run.feed is None:
            yield self._observation(run, "error", run.feed_error, None, {}, posts=posts, profile=profile)
            return
        verdict = feed_verdict(times, self.at, self.settings.getfloat("WECHAT_VETO_DAYS", 14.0))
        details = {
            "feed_kind": run.feed.kind, "feed_format": run.feed.format, "generator": run.feed.generator,
            "feed_trusted": run.feed.kind in set(self.trusted_kinds), "entries": len(run.feed.entries),
            "new_articles": sum(1 for i in run.items if i.page is not None or i.failure is not None),
            "time_sources": _tally(t.source for t in times),
            "untimed": _tally(t.why_untimed for t in times if t.published_at is None),
        }
        if run.skipped_links:
            details["unrecognised_links"] = run.skipped_links[:10]
        outcome, reason, covered_from = verdict.outcome, verdict.reason, verdict.covered_from
        if run.service is not None:
            fresh = run.service.freshness_for(run.feed_id, self.at, self.tz)
            svc = run.service.service
            details["feed_service"] = {"service": svc.key, "kind": svc.kind, "check": svc.check,
                                       "state": fresh.state, "requests": run.service.requests,
                                       "since": fresh.since.isoformat() if fresh.since else None, **fresh.facts}
            if outcome == "ok" and not fresh.proves_silence:
                # The service's silence is not the account's: its posts are kept, but
                # nothing about the weeks without posts can be concluded tonight.
                outcome, reason, covered_from = "error", fresh.reason, None
        seen = [t.post_id for t in times] if outcome == "ok" else None
        yield self._observation(run, outcome, reason, covered_from, details, seen,
                                posts=posts, profile=profile)

    def _posts(self, run: _Run) -> tuple[list[PostItem], list[ItemTime]]:
        posts, times = [], []
        kind = run.feed.kind if run.feed else ""
        for item in run.items:
            if item.page is None and item.failure is None:  # stored before, not refetched
                times.append(ItemTime(item.ref.post_id, item.stored.published_at, "stored",
                                      None if item.stored.published_at else item.stored.state))
                continue
            page = item.page
            ok = page is not None and page.state == OK
            article_time = page.published_at if ok else None
            when, source = choose_time(article_time, item.entry.date, kind, self.trusted_kinds)
            if page is None:
                why, state = item.failure, "unfetched"
            elif page.state == BLOCKED:
                why, state = "captcha", "unfetched"
            elif ok:
                why, state = ("no publish time on the page" if article_time is None else None), "ok"
            else:
                why, state = page.state, page.state
            times.append(ItemTime(item.ref.post_id, when, source, None if when else why))
            details: dict[str, Any] = {
                "feed_date": item.entry.date.isoformat() if item.entry.date else None,
                "feed_date_field": item.entry.date_field, "feed_kind": kind,
            }
            if item.entry.zone_assumed:
                details["feed_date_zone_assumed"] = True
            if why:
                details["why_untimed" if when is None else "why_feed_time"] = why
            if page is not None and page.reason:
                details["reason"] = page.reason
            if ok:
                details.update({k: v for k, v in {
                    "time_field": page.time_field, "biz": page.biz, "nickname": page.nickname,
                    "user_name": page.user_name, "mid": page.mid, "idx": page.idx, "sn": page.sn,
                    "author": page.author, "kind_evidence": page.kind_evidence}.items() if v})
                if page.comment_enabled is not None:
                    details["comments"] = {"closed": not page.comment_enabled, "source": "comment_enabled"}
            # The page's body when it was read; else what the feed says of the article.
            text, text_source = (page.text or "", page.text_source) if ok else (item.entry.summary, "feed")
            posts.append(PostItem(
                account_id=run.account.id, platform_post_id=item.ref.post_id, published_at=when,
                kind=page.kind if ok else "unknown", title=(page.title if ok and page.title else item.entry.title),
                text=text, text_source=text_source if text is not None else None,
                text_capture=(item.capture_ref if ok else run.capture_ref) if text is not None else None, url=item.ref.url,
                time_source=source if when else "none", ad_signals=page.ad_signals if ok else [],
                state=state, details=details))
        return posts, times

    def _profile(self, run: _Run) -> ProfileItem | None:
        facts: dict[str, Any] = {}
        page = next((i.page for i in run.items if i.page is not None and i.page.state == OK), None)
        if page is not None:
            facts.update({k: v for k, v in {"biz": page.biz, "user_name": page.user_name}.items() if v})
        about = run.about
        if about is not None and about.verified is not None:
            facts.update(about.facts)
            facts["aboutbiz_checked_at"] = self.at.isoformat()
        if not facts and page is None:
            return None
        return ProfileItem(
            account_id=run.account.id, observed_at=self.at, name=page.nickname if page else None,
            verified=about.verified if about else None,
            verified_type=about.verify_type if about and about.verified is not None else None,
            verified_reason=about.subject if about and about.verified else None, facts=facts)

    def _observation(self, run: _Run, outcome: str, reason: str | None, covered_from, details: dict,
                     seen: list[str] | None = None, posts: list[PostItem] | None = None,
                     profile: ProfileItem | None = None) -> ObservationItem:
        if run.about_requested or run.about_note:
            details["aboutbiz"] = run.about_note or ("verified" if run.about and run.about.verified
                                                     else "not verified" if run.about else "unknown")
        return ObservationItem(
            account_id=run.account.id, platform="wechat", kind="feed", outcome=outcome,
            url=run.account.feed_url, observed_at=self.at, http_status=run.feed_status, reason=reason,
            covered_from=covered_from, exhaustive=False, request_count=run.requests,
            capture_ref=run.capture_ref, details=details, seen_post_ids=seen,
            posts=posts or [], profile=profile)


def _tally(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[str(v)] = out.get(str(v), 0) + 1
    return out
