"""Weibo account discovery: the m.weibo.cn user search for every registered 主办单位.

Per unit (``MONITOR_DISCOVERY_QUERIES``: ``[{"unit": …, "terms": [name forms]}]``):
1. ``getIndex?containerid=100103type=3&q=UNIT&page_type=searchall`` — page 1, and further
   pages while ``cardlistInfo.page`` names one, up to ``WEIBO_SEARCH_PAGES`` (visitors are
   refused deeper pages with ``ok:-100``: page 1 is then kept and the refusal noted).
2. For each listed user whose name or 认证 text carries one of the unit's name forms and who
   is neither registered nor dismissed (``MONITOR_DISCOVERY_SKIP``): its timeline page 1
   (``107603UID``), for the time of its latest post — once per user per pass.

The requests go through the same visitor-cookie, pacing and outbound-policy middlewares as
the nightly Weibo spider. Every unit ends in one ``DiscoverySearchItem``: ``ok`` only after
an ``ok:1`` answer that parsed; anything else is ``blocked``/``error`` with a reason code, so
a refused search can never read as "no unregistered accounts".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import scrapy
from twisted.python.failure import Failure

from spiders.items import DiscoverySearchItem
from spiders.weibo.cards import parse_timeline
from spiders.weibo.client import api_headers
from spiders.weibo.errors import LayoutError
from spiders.weibo.payload import Classified, classify
from spiders.weibo.search import SEARCH_CONTAINER, SearchUser, mentions, parse_search

RATE_LIMIT_RETRIES = 2


def failure_code(got: Classified) -> str:
    """The wording code (monitor/reports/wording.py REASONS) of a failed answer."""
    why = got.reason or ""
    if got.kind == "rate_limited":
        return "rate_limited"
    if got.kind == "blocked":
        if "captcha" in why:
            return "captcha"
        if "visitor" in why or "ok:-100" not in why:
            return "visitor_wall"
        return "login_required"
    if "not JSON" in why or "HTML" in why:
        return "not_json"
    return "http_error" if "HTTP" in why else "layout_changed"


@dataclass
class _Unit:
    unit: str
    terms: list[str]
    requests: int = 0
    pages: int = 0
    users: dict[str, SearchUser] = field(default_factory=dict)
    waiting: set[str] = field(default_factory=set)  # uids whose latest post is being read
    partial: Optional[str] = None
    url: Optional[str] = None
    http_status: Optional[int] = None
    capture_ref: Optional[str] = None
    rate_retries: int = 0
    done: bool = False


class WeiboSearchSpider(scrapy.Spider):
    name = "weibo_search"
    custom_settings = {"ITEM_PIPELINES": {"spiders.discovery_pipeline.DiscoveryPipeline": 500}}

    @property
    def base(self) -> str:
        return self.settings.get("WEIBO_BASE_URL", "https://m.weibo.cn").rstrip("/")

    @property
    def at(self) -> datetime:
        tz = ZoneInfo(self.settings.get("MONITOR_TIMEZONE", "Asia/Shanghai"))
        raw = self.settings.get("MONITOR_AT")
        return datetime.fromisoformat(raw).astimezone(tz) if raw else datetime.now(tz)

    async def start(self):
        self.skip = {str(u) for u in self.settings.getlist("MONITOR_DISCOVERY_SKIP") or []}
        # uid → latest post time (ISO) or None when its timeline could not be read; shared
        # by all units so one user is read once per pass.
        self.latest: dict[str, Optional[str]] = {}
        self.readers: dict[str, list[_Unit]] = {}  # uid → units waiting for its latest post
        for q in self.settings.getlist("MONITOR_DISCOVERY_QUERIES") or []:
            unit = _Unit(str(q["unit"]), [str(t) for t in q.get("terms") or [q["unit"]]])
            yield self._search(unit, 1)

    # ── requests ────────────────────────────────────────────────────────────
    def _api(self, params: dict[str, Any], unit: _Unit, callback, referer_uid: str = "") -> scrapy.Request:
        headers = api_headers(self.base, referer_uid or "", self.settings.get("WEIBO_USER_AGENT"))
        if not referer_uid:
            headers["Referer"] = f"{self.base}/search?containerid=" + SEARCH_CONTAINER.format(query=unit.unit)
        return scrapy.Request(f"{self.base}/api/container/getIndex?{urlencode(params)}", callback=callback,
                              errback=self._on_failure, dont_filter=True, headers=headers,
                              meta={"weibo": True, "unit": unit, "handle_httpstatus_all": True})

    def _search(self, unit: _Unit, page: int) -> scrapy.Request:
        params = {"containerid": SEARCH_CONTAINER.format(query=unit.unit), "page_type": "searchall"}
        if page > 1:
            params["page"] = str(page)
        request = self._api(params, unit, self.on_search)
        request.meta["page"] = page
        # A deeper page's login wall is the visitor limit, not stale cookies.
        request.meta["weibo_keep_cookies_on_login_wall"] = page > 1
        return request

    def _timeline(self, unit: _Unit, uid: str) -> scrapy.Request:
        request = self._api({"containerid": f"107603{uid}"}, unit, self.on_timeline, referer_uid=uid)
        request.meta["uid"] = uid
        return request

    @staticmethod
    def _count(unit: _Unit, meta: dict[str, Any]) -> None:
        unit.requests += 1 + int(meta.get("retry_times", 0) or 0) + int(bool(meta.get("weibo_cookie_retry")))

    def _again(self, request, unit: _Unit) -> scrapy.Request:
        unit.rate_retries += 1
        retry = request.replace(dont_filter=True)
        backoff = self.settings.getfloat("WEIBO_418_BACKOFF", 2.5) * (2 ** unit.rate_retries)
        retry.meta.update(weibo_backoff=backoff, retry_times=0, weibo_cookie_retry=False)
        return retry

    # ── callbacks ───────────────────────────────────────────────────────────
    def on_search(self, response):
        unit: _Unit = response.meta["unit"]
        page = response.meta["page"]
        self._count(unit, response.meta)
        got = classify(response.status, response.body, response.url,
                       response.headers.get("Content-Type", b"").decode("latin-1"))
        if page == 1:
            unit.url, unit.http_status, unit.capture_ref = response.url, response.status, response.meta.get("warc_ref")
        if got.kind == "rate_limited" and response.status == 200 and unit.rate_retries < RATE_LIMIT_RETRIES:
            yield self._again(response.request, unit)
            return
        if got.kind == "ok":
            try:
                found = parse_search(got.data)
            except LayoutError as exc:
                got = Classified("error", f"layout_changed: search layout not understood: {exc}")
            else:
                unit.pages, unit.rate_retries = page, 0
                for user in found.users:
                    unit.users.setdefault(user.uid, user)
                if found.next_page and found.next_page > page and page < self.settings.getint("WEIBO_SEARCH_PAGES", 1):
                    yield self._search(unit, found.next_page)
                    return
                yield from self._read_latest(unit)
                return
        note = response.meta.get("weibo_cookie_note")
        why = f"{failure_code(got)}: search page {page}: {got.reason}" + (f"; {note}" if note else "")
        if page > 1:  # page 1 was read: keep it, say what was refused
            unit.partial = why
            yield from self._read_latest(unit)
            return
        yield self._item(unit, "blocked" if got.kind in ("blocked", "rate_limited") else "error", why)

    def _read_latest(self, unit: _Unit):
        for user in unit.users.values():
            if user.uid in self.skip or not mentions(user, unit.terms):
                continue
            if user.uid in self.latest:
                continue
            unit.waiting.add(user.uid)
            if user.uid in self.readers:  # another unit is reading it already
                self.readers[user.uid].append(unit)
                continue
            self.readers[user.uid] = [unit]
            yield self._timeline(unit, user.uid)
        if not unit.waiting:
            yield self._item(unit, "ok", None)

    def on_timeline(self, response):
        unit: _Unit = response.meta["unit"]
        uid = response.meta["uid"]
        self._count(unit, response.meta)
        got = classify(response.status, response.body, response.url)
        latest = None
        if got.kind == "ok":
            try:
                posts = [p for p in parse_timeline(got.data, self.at, self.at.tzinfo).posts if not p.pinned]
                latest = max(p.published_at for p in posts).isoformat() if posts else None
            except LayoutError:
                latest = None
        yield from self._latest_known(uid, latest)

    def _latest_known(self, uid: str, latest: Optional[str]):
        self.latest[uid] = latest
        for unit in self.readers.pop(uid, []):
            unit.waiting.discard(uid)
            if not unit.waiting and not unit.done:
                yield self._item(unit, "ok", None)

    def _on_failure(self, failure: Failure):
        request = failure.request
        unit: _Unit = request.meta["unit"]
        self._count(unit, request.meta)
        message = failure.getErrorMessage() or failure.type.__name__
        if request.callback == self.on_timeline:
            yield from self._latest_known(request.meta["uid"], None)
            return
        code = "timeout" if "timeout" in message.lower() or "Timeout" in failure.type.__name__ else "network"
        why = f"{code}: search page {request.meta['page']}: {message}"
        if request.meta["page"] > 1:
            unit.partial = why
            yield from self._read_latest(unit)
            return
        yield self._item(unit, "error", why)

    # ── output ──────────────────────────────────────────────────────────────
    def _item(self, unit: _Unit, outcome: str, reason: Optional[str]) -> DiscoverySearchItem:
        unit.done = True
        ok = outcome == "ok"
        return DiscoverySearchItem(
            platform="weibo", host_unit=unit.unit, query=unit.unit, outcome=outcome, reason=reason,
            url=unit.url, http_status=unit.http_status, observed_at=self.at, request_count=unit.requests,
            pages=unit.pages if ok else 0, partial=unit.partial if ok else None,
            users=[u.as_dict() for u in unit.users.values()] if ok else [],
            latest={uid: self.latest.get(uid) for uid in unit.users if uid in self.latest} if ok else {},
            capture_ref=unit.capture_ref)
