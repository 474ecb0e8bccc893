"""What the 今日头条, 抖音 and 快手 spiders share: two ways in, one kind of observation.

Per account and night, exactly one ObservationItem with its posts and profile:

- **feed** (an RSSHub the operator runs, or the registry's 订阅源): one request, read with
  feedparser. RSSHub's error pages, its JSON errors and the WAF/captcha it met upstream are
  ``blocked``/``error``, never "no posts". Item dates count only from trusted feed kinds
  (``VIDEO_TRUSTED_FEED_KINDS``, RSSHub by default: its 抖音/头条 routes write the platform's
  own publish time). A canary feed checks the RSSHub once per night first; when it is stale
  or unknown the night's feeds prove no silence (as for WeChat feed services).
- **browser**: Chromium opens the public profile page once and the JSON the page loads is
  read (``spiders.shortvideo.payloads``); verification pages and empty WAF answers are typed.
  The answers are archived as WARC records like any crawl exchange.

Undated works can show an account active, never silent (``spiders.shortvideo.listing``).
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, AsyncIterator

import scrapy
from scrapy.http import Headers, Response

from spiders.items import ObservationItem, PostItem, ProfileItem
from spiders.shortvideo.browser import ProfileBrowser
from spiders.shortvideo.listing import infer_pinned, rsshub_failure, verdict
from spiders.shortvideo.payloads import Reading, VideoPost, VideoProfile, read_answer, reader_for
from spiders.spiders.base import AccountSpider
from spiders.wechat.feeds import FeedError, parse_feed
from spiders.wechat.services import Freshness, judge_canary, unknown

TEXT_LIMIT = 5000
_POST_ID = re.compile(r"/(?:video|article|w|short-video|photo)/([A-Za-z0-9_-]+)/?(?:[?#]|$)")


class VideoSpider(AccountSpider):
    """Subclasses set ``platform``, ``route`` (RSSHub path), ``page`` (profile page path under
    the platform's base URL) and ``post_page`` (a work's page on the real site)."""

    route = ""
    page = ""
    post_page = ""
    def feed_post_kind(self, link: str | None) -> str:
        """A feed item's kind: the works lists of 抖音/快手 hold the account's own works only."""
        return "original"

    # ── configuration ───────────────────────────────────────────────────────
    @property
    def conf(self) -> dict[str, Any]:
        return (self.settings.getdict("VIDEO_PLATFORMS") or {}).get(self.platform, {})

    def way(self, account) -> str:
        return "feed" if account.feed_url else self.conf.get("way", "feed")

    def feed_url(self, account) -> str | None:
        if account.feed_url:
            return account.feed_url
        base = (self.conf.get("rsshub_url") or "").rstrip("/")
        return base + self.route.format(id=account.platform_id) if base else None

    def page_url(self, account) -> str:
        base = (self.conf.get("base_url") or "").rstrip("/")
        return base + self.page.format(id=account.platform_id)

    @property
    def veto_days(self) -> float:
        return self.settings.getfloat("MONITOR_VETO_DAYS", 14.0)

    # ── the night ───────────────────────────────────────────────────────────
    async def start(self) -> AsyncIterator[Any]:
        self._freshness: Freshness | None = None
        self._browser: ProfileBrowser | None = None
        try:
            for account in self.load_accounts():
                if self.distributed:
                    await self._wait_for_room()
                way = self.way(account)
                if way == "feed":
                    url = self.feed_url(account)
                    if url is None:
                        why = f"not_observed: no 订阅源 and no [platforms.{self.platform}] rsshub_url"
                        yield self._observation(account, "error", why, "feed", None, {"way": "feed"})
                        continue
                    if self._freshness is None:
                        self._freshness = await self._check_canary()
                    yield scrapy.Request(url, callback=self.on_feed, errback=self.on_feed_failure,
                                         meta={"account": account}, dont_filter=True)
                elif way == "browser":
                    yield await self._browse(account)
                else:
                    why = f"not_observed: [platforms.{self.platform}] way = \"none\""
                    yield self._observation(account, "error", why, "timeline", self.page_url(account), {"way": way})
        finally:
            if self._browser is not None:
                await self._browser.close()

    # ── feed way ────────────────────────────────────────────────────────────
    async def _check_canary(self) -> Freshness:
        canary = self.conf.get("canary")
        if not canary:
            return Freshness("unchecked")
        max_age = timedelta(hours=float(self.conf.get("max_age_hours") or 36))
        try:
            response = await self.crawler.engine.download_async(scrapy.Request(canary, dont_filter=True))
        except Exception as exc:
            return unknown(f"canary unreachable: {exc}")
        failed = rsshub_failure(response.status, response.body, _ctype(response))
        if failed:
            return unknown(f"canary answered {failed[1]}")
        try:
            feed = parse_feed(response.body, response.url, _ctype(response), self.tz)
        except FeedError as exc:
            return unknown(f"canary feed unreadable: {exc}")
        return judge_canary(feed, self.at, max_age, self.tz)

    def on_feed(self, response):
        account = response.meta["account"]
        requests = 1 + response.meta.get("retry_times", 0) + response.meta.get("redirect_times", 0)
        details: dict[str, Any] = {"way": "feed", "requests": requests}
        ref = response.meta.get("warc_ref")
        failed = rsshub_failure(response.status, response.body, _ctype(response))
        if failed:
            yield self._observation(account, failed[0], failed[1], "feed", response.url, details,
                                    status=response.status, requests=requests, ref=ref)
            return
        try:
            feed = parse_feed(response.body, response.url, _ctype(response), self.tz)
        except FeedError as exc:
            yield self._observation(account, "error", f"feed_invalid: {exc}", "feed", response.url, details,
                                    status=response.status, requests=requests, ref=ref)
            return
        trusted = feed.kind in set(self.settings.getlist("VIDEO_TRUSTED_FEED_KINDS") or ["rsshub"])
        posts = []
        for entry in feed.entries:
            pid = _post_id(entry.link)
            if not pid:
                continue
            post = VideoPost(pid, entry.date if trusted else None,
                             entry.link if (entry.link or "").startswith("http") else self.post_page.format(id=pid),
                             entry.title, entry.title, self.feed_post_kind(entry.link))
            post.details = {"feed_date": entry.raw_date, "feed_kind": feed.kind}
            posts.append(post)
        details.update(feed_kind=feed.kind, feed_trusted=trusted, generator=feed.generator)
        fresh = self._freshness or Freshness("unchecked")
        details["feed_service"] = {"state": fresh.state, **fresh.facts}
        yield self._judged(account, "feed", response.url, posts, None, details, response.status, requests, ref,
                           fresh if not fresh.proves_silence else None)

    def on_feed_failure(self, failure):
        account = failure.request.meta["account"]
        requests = 1 + failure.request.meta.get("retry_times", 0)
        yield self._observation(account, "error", f"feed_unavailable: {failure.getErrorMessage()}", "feed",
                                failure.request.url, {"way": "feed"}, requests=requests)

    # ── browser way ─────────────────────────────────────────────────────────
    async def _browse(self, account) -> ObservationItem:
        from spiders.middlewares.outbound import policy_from_settings

        if self._browser is None:
            self._browser = ProfileBrowser(self.settings.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                           policy_from_settings(self.settings),
                                           float(self.conf.get("browser_timeout") or 30))
        url = self.page_url(account)
        visit = await self._browser.visit(url, lambda u: reader_for(self.platform, u) is not None, self._has_list)
        details: dict[str, Any] = {"way": "browser", "page_loads": 1, "seconds": visit.seconds,
                                   "page_status": visit.status, "answers": len(visit.answers)}
        readings: list[tuple[Reading, str | None]] = []
        for answer in visit.answers:
            reading = read_answer(self.platform, answer.url, answer.status, answer.body, self.tz)
            if reading is not None:
                readings.append((reading, self._archive(answer)))
        lists = [(r, ref) for r, ref in readings if r.posts is not None or r.outcome != "ok"]
        ref = next((ref for r, ref in lists if ref), None)
        common = dict(status=visit.status, requests=visit.requests, ref=ref)
        if visit.error:
            return self._observation(account, "error", visit.error, "timeline", url, details, **common)
        failed = next((r for r, _ in lists if r.outcome != "ok"), None)
        if failed is not None:
            return self._observation(account, failed.outcome, failed.reason, "timeline", url, details, **common)
        if not any(r.posts is not None for r, _ in lists):
            if visit.captcha:
                return self._observation(account, "blocked", f"captcha: verification page at {visit.final_url} "
                                                             f"({visit.title})", "timeline", url, details, **common)
            why = f"waf_empty: the page loaded no list answer in {visit.seconds:.0f} s (HTTP {visit.status})"
            return self._observation(account, "blocked", why, "timeline", url, details, **common)
        posts: dict[str, VideoPost] = {}
        profile: VideoProfile | None = None
        for reading, _ in readings:
            for post in reading.posts or []:
                posts.setdefault(post.post_id, post)
            if reading.profile is not None:
                profile = _merge_profile(profile, reading.profile)
        return self._judged(account, "timeline", url, list(posts.values()), profile, details, visit.status,
                            visit.requests, ref, None)

    def _has_list(self, answers) -> bool:
        return any(reader_for(self.platform, a.url) is not None and (
            (r := read_answer(self.platform, a.url, a.status, a.body, self.tz)) is not None
            and (r.posts is not None or r.outcome != "ok")) for a in answers)

    def _archive(self, answer) -> str | None:
        """The browser's exchange as WARC records, through the crawl's WARC writer."""
        from spiders.middlewares.warc import WarcWriterMiddleware

        downloader = getattr(getattr(self.crawler, "engine", None), "downloader", None)
        writers = [m for m in getattr(getattr(downloader, "middleware", None), "middlewares", ())
                   if isinstance(m, WarcWriterMiddleware)]
        if not writers:
            return None
        request = scrapy.Request(answer.url, method=answer.method, headers=answer.request_headers,
                                 body=answer.post_data or b"")
        headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-encoding"}
        try:
            return writers[0].record(request, Response(answer.url, status=answer.status, headers=Headers(headers),
                                                       body=answer.body), self.name)
        except OSError as exc:
            self.logger.error("WARC write failed for %s: %s", answer.url, exc)
            return None

    # ── one observation ─────────────────────────────────────────────────────
    def _judged(self, account, kind, url, posts, profile, details, status, requests, ref, fresh):
        infer_pinned(posts)
        v = verdict(posts, self.at, self.veto_days, profile.post_count if profile else None)
        dated = sum(1 for p in posts if p.published_at is not None)
        details.update(works=len(posts), dated=dated, undated=len(posts) - dated)
        outcome, reason, covered = v.outcome, v.reason, v.covered_from
        if outcome == "ok" and fresh is not None:
            # The service's silence is not the account's: keep the works, conclude nothing.
            outcome, reason, covered = "error", fresh.reason, None
        items = [self._post(account, p, kind) for p in posts]
        item_profile = None
        if profile is not None:
            item_profile = ProfileItem(account_id=account.id, observed_at=self.at, name=profile.name,
                                       verified=profile.verified, verified_reason=profile.verification,
                                       facts={k: v for k, v in {"post_count": profile.post_count}.items()
                                              if v is not None})
        seen = [p.post_id for p in posts] if outcome == "ok" and covered is not None else None
        return self._observation(account, outcome, reason, kind, url, details, status=status, requests=requests,
                                 ref=ref, covered=covered, exhaustive=v.exhaustive and outcome == "ok", seen=seen,
                                 posts=items, profile=item_profile)

    def _post(self, account, post: VideoPost, kind: str) -> PostItem:
        return PostItem(account_id=account.id, platform_post_id=post.post_id, published_at=post.published_at,
                        kind=post.kind, pinned=post.pinned, title=post.title,
                        text=(post.text or "")[:TEXT_LIMIT] or None, url=post.url,
                        time_source=("api" if kind == "timeline" else "feed") if post.published_at else "none",
                        details=post.details)

    def _observation(self, account, outcome, reason, kind, url, details, status=None, requests=0, ref=None,
                     covered=None, exhaustive=False, seen=None, posts=None, profile=None) -> ObservationItem:
        return ObservationItem(account_id=account.id, platform=self.platform, kind=kind, outcome=outcome, url=url,
                               observed_at=self.at, http_status=status, reason=reason, covered_from=covered,
                               exhaustive=exhaustive, request_count=requests, capture_ref=ref, details=details,
                               seen_post_ids=seen, posts=posts or [], profile=profile)


def _ctype(response) -> str:
    return response.headers.get("Content-Type", b"").decode("latin-1")


def _post_id(link: str | None) -> str | None:
    if not link:
        return None
    m = _POST_ID.search(link)
    if m:
        return m[1]
    return link if re.fullmatch(r"[A-Za-z0-9_-]{3,64}", link) else None


def _merge_profile(a: VideoProfile | None, b: VideoProfile) -> VideoProfile:
    if a is None:
        return b
    return VideoProfile(b.name or a.name, b.verified if b.verified is not None else a.verified,
                        b.verification or a.verification, b.post_count if b.post_count is not None else a.post_count)
