"""m.weibo.cn answers: the timeline (``getIndex?containerid=107603…|230413…``), the profile
(``getIndex?type=uid&value=…``) and the long text (``statuses/extend?id=…``), read with the
spider's own parsers (``spiders.weibo``)."""
from __future__ import annotations

from typing import Any, Callable

from monitor.inspect import Payload, PayloadKind
from spiders.weibo.cards import WeiboPost, ad_signals, parse_long_text, parse_timeline, plain_text
from spiders.weibo.errors import LayoutError
from spiders.weibo.payload import classify
from spiders.weibo.profile import parse_profile

# classify() kinds as the operator reads them
_CLASSES = {"ok": "ok", "placeholder": "placeholder", "blocked": "blocked", "rate_limited": "rate-limited",
            "error": "error"}


def _data(payload: Payload) -> dict[str, Any] | None:
    body = payload.json
    return body.get("data") if isinstance(body, dict) and isinstance(body.get("data"), dict) else None


def _parsed(payload: Payload, parse: Callable[[Any], Any]) -> tuple[dict[str, Any], Any]:
    """(problem, parsed): the answer as the spider first sees it (HTTP 200 assumed: a saved
    body), then ``parse`` on it; ``problem`` is empty when both went through."""
    got = classify(200, payload.raw)
    if got.kind != "ok":
        return {"classification": _CLASSES.get(got.kind, got.kind), "reason": got.reason}, None
    try:
        return {}, parse(got)
    except LayoutError as exc:
        return {"classification": "error", "reason": f"layout not understood: {exc}"}, None


def post_row(post: WeiboPost) -> dict[str, Any]:
    return {"id": post.id, "time": post.published_at.isoformat(), "time_precision": post.time_precision,
            "kind": post.kind, "pinned": post.pinned, "truncated": post.truncated,
            "ad_signals": len(post.ad_signals), "text": " ".join(post.text.split())[:40]}


class WeiboTimeline(PayloadKind):
    name = "weibo-timeline"
    description = "m.weibo.cn getIndex timeline page (107603… / 230413…)"

    def sniff(self, payload: Payload) -> int:
        data = _data(payload)
        if data is not None and ("cards" in data or "cardlistInfo" in data) and "userInfo" not in data:
            return 80
        body = payload.json
        # Bare walls (ok:-100 login URL, ok:0 messages) are what a timeline request gets most.
        return 30 if isinstance(body, dict) and "ok" in body and ("url" in body or "msg" in body) else 0

    def read(self, payload: Payload) -> dict[str, Any]:
        problem, page = _parsed(payload, lambda got: parse_timeline(got.data, payload.at))
        if problem:
            return problem
        cursor = dict([page.cursor]) if page.cursor else None
        out: dict[str, Any] = {
            "classification": "ok", "cursor": cursor,
            "facts": {"total": page.total, "cards": page.card_count, "posts": len(page.posts),
                      "pinned": sum(p.pinned for p in page.posts), "notices": page.notices,
                      "end": cursor is None},
            "posts": [post_row(p) for p in page.posts],
        }
        if not page.posts:
            notice = f" ({'; '.join(page.notices)})" if page.notices else ""
            if page.total:
                out.update(classification="blocked",
                           reason=f"ok:1 without posts{notice} although the timeline's total is {page.total}: "
                                  "an expired visitor session or a visibility limit, never an empty account")
            else:
                out.update(classification="empty",
                           reason=f"ok:1 without posts{notice}; the spider calls the account empty only when "
                                  "its profile's statuses_count is 0 (and nothing was stored before), else blocked")
        return out


class WeiboProfile(PayloadKind):
    name = "weibo-profile"
    description = "m.weibo.cn getIndex profile (type=uid&value=… / 100505…)"

    def sniff(self, payload: Payload) -> int:
        data = _data(payload)
        return 90 if data is not None and isinstance(data.get("userInfo"), dict) else 0

    def read(self, payload: Payload) -> dict[str, Any]:
        problem, p = _parsed(payload, lambda got: parse_profile(got.payload))
        if problem:
            return problem
        return {"classification": "ok", "facts": {
            "uid": p.uid, "screen_name": p.screen_name, "verified": p.verified, "verified_type": p.verified_type,
            "verified_reason": p.verified_reason, "statuses_count": p.statuses_count,
            "followers_count": p.followers_count, "raw_followers": p.raw_followers, "follow_count": p.follow_count,
            "weibo_containerid": p.weibo_containerid, "tabs": [t.get("tab_type") for t in p.tabs]}}


class WeiboExtend(PayloadKind):
    name = "weibo-extend"
    description = "m.weibo.cn statuses/extend long text"

    def sniff(self, payload: Payload) -> int:
        data = _data(payload)
        return 90 if data is not None and "longTextContent" in data else 0

    def read(self, payload: Payload) -> dict[str, Any]:
        problem, full = _parsed(payload, lambda got: parse_long_text(got.payload))
        if problem:
            return problem
        text = plain_text(full)
        return {"classification": "ok", "facts": {"characters": len(text), "text": text[:200],
                                                   "ad_signals": ad_signals(full)}}
