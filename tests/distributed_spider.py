"""A tiny account spider for the distributed tests (registered via SPIDER_MODULES).

Per account it sends two requests in parallel that share one state object in meta (as the
WeChat spider does) to a small posts server, emits the posts and exactly one observation.
"""
from __future__ import annotations

from datetime import datetime

import scrapy

from spiders.items import ObservationItem, PostItem
from spiders.spiders.base import AccountSpider


class _State:
    def __init__(self, account):
        self.account_id = account.id
        self.platform_id = account.platform_id
        self.pending = 2
        self.posts: list[dict] = []
        self.requests = 0


class _PostsSpider(AccountSpider):
    def start_requests(self):
        base = self.settings.get("DIST_TEST_BASE")
        for account in self.iter_accounts():
            state = _State(account)
            for half in (0, 1):
                yield scrapy.Request(f"{base}/posts/{self.platform}/{account.platform_id}?half={half}",
                                     callback=self.on_posts, errback=self.on_error, dont_filter=False,
                                     meta={"state": state})

    def on_posts(self, response):
        state: _State = response.meta["state"]
        state.requests += 1
        state.posts.extend(response.json())
        yield from self._maybe_finish(state, response.url, response.status)

    def on_error(self, failure):
        state: _State = failure.request.meta["state"]
        state.requests += 1
        yield from self._maybe_finish(state, failure.request.url, None, str(failure.value))

    def _maybe_finish(self, state: _State, url: str, status, error: str | None = None):
        state.pending -= 1
        if state.pending:
            return
        for p in state.posts:
            yield PostItem(account_id=state.account_id, platform_post_id=p["id"],
                           published_at=datetime.fromisoformat(p["published_at"]), kind=p["kind"], text=p["text"])
        yield ObservationItem(account_id=state.account_id, platform=self.platform, kind="timeline",
                              outcome="error" if error else "ok", url=url, observed_at=self.at, http_status=status,
                              reason=error, request_count=state.requests)


class DistWeibo(_PostsSpider):
    name = "dist_weibo"
    platform = "weibo"


class DistWechat(_PostsSpider):
    name = "dist_wechat"
    platform = "wechat"
