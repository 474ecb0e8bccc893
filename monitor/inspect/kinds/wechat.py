"""WeChat payloads: article pages (``mp.weixin.qq.com/s/…``), 订阅源 feeds, the wewe-rss
feed list (``{origin}/feeds/``) and the 关于公众号 page (``/mp/aboutbiz``), read with the
spider's own parsers (``spiders.wechat``)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from monitor.inspect import Payload, PayloadKind
from spiders.wechat.aboutbiz import parse_aboutbiz
from spiders.wechat.article import BLOCKED, parse_article
from spiders.wechat.feeds import FeedError, parse_feed
from spiders.wechat.services import ServiceError, judge_listed, parse_feed_list

# Article states as the operator reads them (the spider stores ``blocked`` for the captcha).
_STATES = {BLOCKED: "captcha"}
_ARTICLE_SIGNS = ("js_article", "js_content", "weui-msg", "mesg-block", "环境异常", "wappoc_appmsgcaptcha",
                  "var ct", "window.ct")
_ABOUT_SIGNS = ("wxverify/info", "getverifyinfo", "about-page", "item-title")


def _iso(dt) -> str | None:
    return dt.isoformat() if dt is not None else None


def _html(payload: Payload) -> bool:
    head = payload.raw[:8192].lower()
    return any(tag in head for tag in (b"<!doctype html", b"<html", b"<head", b"<body", b"<div"))


class WechatArticle(PayloadKind):
    name = "wechat-article"
    description = "mp.weixin.qq.com article page (ordinary, 图片分享, 文本分享, video/audio; deleted, violation, captcha …)"

    def sniff(self, payload: Payload) -> int:
        if not _html(payload):
            return 0
        text = payload.text
        if any(s in text for s in _ABOUT_SIGNS) and "js_article" not in text:
            return 10
        return 70 if any(s in text for s in _ARTICLE_SIGNS) else 5

    def read(self, payload: Payload) -> dict[str, Any]:
        page = parse_article(payload.text)
        facts: dict[str, Any] = {
            "published_at": _iso(page.published_at), "time_source": page.time_field,
            "show_type": page.show_type, "原创": {"original": "原创", "repost": "转载"}.get(page.kind, "未标明"),
            "kind_evidence": page.kind_evidence, "biz": page.biz, "user_name": page.user_name,
            "nickname": page.nickname, "title": page.title, "mid": page.mid, "idx": page.idx,
            "ad_signals": [s["signal"] for s in page.ad_signals],
            "text": " ".join((page.text or "").split())[:60] or None,
        }
        return {"classification": _STATES.get(page.state, page.state), "reason": page.reason,
                "facts": {k: v for k, v in facts.items() if v not in (None, [])} if page.state == "ok" else {}}


class WechatAboutBiz(PayloadKind):
    name = "wechat-aboutbiz"
    description = "关于公众号 page (/mp/aboutbiz?__biz=…): 认证主体, or the credential-less error page"

    def sniff(self, payload: Payload) -> int:
        if not _html(payload):
            return 0
        text = payload.text
        return 85 if any(s in text for s in _ABOUT_SIGNS) and "js_article" not in text else 0

    def read(self, payload: Payload) -> dict[str, Any]:
        about = parse_aboutbiz(payload.text)
        verified = {True: "verified", False: "not verified", None: "unknown"}[about.verified]
        reason = {"error-page": f"WeChat's error page ({about.error}): a request without valid client "
                                "credentials; proves nothing about verification",
                  "captcha": "captcha page: proves nothing",
                  "unknown": "no verification rows: proves nothing"}.get(about.state)
        facts = {"verified": verified, "认证主体": about.subject if about.verified else None,
                 "type": about.verify_type, "rows": about.rows or None, "intro": about.intro}
        return {"classification": about.state, "reason": reason,
                "facts": {k: v for k, v in facts.items() if v is not None}}


class WechatFeed(PayloadKind):
    name = "wechat-feed"
    description = "a 公众号's 订阅源: wewe-rss / RSSHub / we-mp-rss / aggregator (RSS, Atom or JSON Feed)"

    def sniff(self, payload: Payload) -> int:
        head = payload.raw[:2048].lstrip()
        if head.startswith(b"<?xml") or b"<rss" in head or b"<feed" in head:
            return 75
        body = payload.json
        return 75 if isinstance(body, dict) and "jsonfeed.org" in str(body.get("version", "")) else 0

    def read(self, payload: Payload) -> dict[str, Any]:
        try:
            feed = parse_feed(payload.raw, str(payload.path))
        except FeedError as exc:
            return {"classification": "error", "reason": str(exc)}
        posts = [{"link": e.link, "time": _iso(e.date), "date_field": e.date_field,
                  "zone_assumed": e.zone_assumed, "title": (e.title or "")[:30]} for e in feed.entries]
        return {"classification": "ok" if feed.entries else "empty",
                "reason": None if feed.entries else "the feed lists no articles",
                "facts": {"feed_kind": feed.kind, "format": feed.format, "generator": feed.generator,
                          "title": feed.title, "entries": len(feed.entries)},
                "posts": posts}


class WeweFeedList(PayloadKind):
    name = "wechat-feed-list"
    description = "wewe-rss feed list (GET {origin}/feeds/): each feed's syncTime, stale or syncing"

    def sniff(self, payload: Payload) -> int:
        body = payload.json
        rows = body.get("data") if isinstance(body, dict) else body
        return 90 if isinstance(rows, list) and rows and isinstance(rows[0], dict) and "syncTime" in rows[0] else 0

    def read(self, payload: Payload) -> dict[str, Any]:
        tz = payload.at.tzinfo
        try:
            listing = parse_feed_list(payload.raw, tz)
        except ServiceError as exc:
            return {"classification": "error", "reason": str(exc)}
        max_age = timedelta(hours=float(payload.extra.get("max_age_hours", 36)))
        posts = []
        for feed_id, sync in listing.items():
            fresh = judge_listed(feed_id, listing, payload.at, max_age, tz)
            posts.append({"id": feed_id, "name": sync.name, "sync_time": _iso(sync.sync_time),
                          "update_time": _iso(sync.update_time), "state": fresh.state})
        stale = sum(p["state"] == "stale" for p in posts)
        return {"classification": "stale" if stale else "ok",
                "reason": f"{stale} of {len(posts)} feeds last synced more than {max_age} before {payload.at.isoformat()}"
                if stale else None,
                "facts": {"feeds": len(posts), "stale": stale}, "posts": posts}
