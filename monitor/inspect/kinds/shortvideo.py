"""今日头条 / 抖音 / 快手 payloads: the JSON their profile pages load and RSSHub's answers, read
with the spiders' own readers (``spiders.shortvideo``)."""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from monitor.inspect import Payload, PayloadKind
from spiders.shortvideo.listing import rsshub_failure
from spiders.shortvideo.payloads import Reading, douyin_posts, douyin_profile, kuaishou_graphql, load_json, toutiao_feed
from spiders.wechat.feeds import FeedError, parse_feed


def _result(name: str, reading: Reading) -> dict[str, Any]:
    posts = [{"id": p.post_id, "time": p.published_at.isoformat() if p.published_at else None, "kind": p.kind,
              "pinned": p.pinned, "url": p.url} for p in reading.posts or []]
    facts: dict[str, Any] = {}
    if reading.profile is not None:
        facts = {"name": reading.profile.name, "verified": reading.profile.verified,
                 "认证信息": reading.profile.verification, "post_count": reading.profile.post_count}
    return {"kind": name, "classification": reading.outcome, "reason": reading.reason, "posts": posts, "facts": facts}


class _JsonKind(PayloadKind):
    keys: tuple[str, ...] = ()
    reader = None

    def sniff(self, payload: Payload) -> int:
        head = payload.raw[:4096]
        if not payload.raw.strip():
            return 1  # an empty answer is the WAF's; any JSON kind may have been asked
        return 80 if all(k.encode() in head for k in self.keys) else 0

    def read(self, payload: Payload) -> dict[str, Any]:
        tz = payload.at.tzinfo if isinstance(payload.at.tzinfo, ZoneInfo) else ZoneInfo("Asia/Shanghai")
        try:
            doc = load_json(payload.raw)
        except ValueError as exc:
            outcome = "blocked" if "empty body" in str(exc) else "error"
            return _result(self.name, Reading(outcome, f"{'waf_empty' if outcome == 'blocked' else 'not_json'}: {exc}"))
        return _result(self.name, type(self).reader(doc, tz))


class DouyinPosts(_JsonKind):
    name = "douyin-aweme-post"
    description = "抖音 /aweme/v1/web/aweme/post answer (works, create_time, is_top; empty body = WAF)"
    keys = ("aweme_list",)
    reader = staticmethod(douyin_posts)


class DouyinProfile(_JsonKind):
    name = "douyin-profile"
    description = "抖音 /aweme/v1/web/user/profile/other answer (nickname, aweme_count, 认证信息)"
    keys = ('"user"', "aweme_count")
    reader = staticmethod(douyin_profile)


class ToutiaoFeed(_JsonKind):
    name = "toutiao-list-feed"
    description = "今日头条 /api/pc/list/feed?category=profile_all answer (cell_type, publish_time)"
    keys = ('"data"', "publish_time")
    reader = staticmethod(toutiao_feed)


class KuaishouGraphql(_JsonKind):
    name = "kuaishou-graphql"
    description = "快手 GraphQL visionProfilePhotoList / visionProfile answer (result, timestamp)"
    keys = ("visionProfile",)
    reader = staticmethod(kuaishou_graphql)


class RsshubFeed(PayloadKind):
    name = "rsshub-video-feed"
    description = "RSSHub 抖音/头条/快手 route answer: a feed, or its error page / JSON error (WAF, 验证码中间页)"

    def sniff(self, payload: Payload) -> int:
        head = payload.raw[:4096]
        if b"RSSHub" in head and (b"Looks like something went wrong" in head or b"<rss" in head):
            return 60
        return 0

    def read(self, payload: Payload) -> dict[str, Any]:
        failed = rsshub_failure(int(payload.extra.get("status") or 200), payload.raw, "")
        if failed:
            return {"kind": self.name, "classification": failed[0], "reason": failed[1], "posts": []}
        try:
            feed = parse_feed(payload.raw)
        except FeedError as exc:
            return {"kind": self.name, "classification": "error", "reason": f"feed_invalid: {exc}", "posts": []}
        return {"kind": self.name, "classification": "ok", "reason": None, "facts": {"feed_kind": feed.kind},
                "posts": [{"id": e.link, "time": e.date.isoformat() if e.date else None} for e in feed.entries]}
