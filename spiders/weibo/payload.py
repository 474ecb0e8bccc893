"""Classify an m.weibo.cn answer before parsing it.

A fetch is only evidence when it is a real ``ok:1`` answer. Everything else is named here
so that no caller can mistake a wall for an empty account (DESIGN.md: never accuse on a
failed fetch). Each reason is ``"<code>: <detail>"`` (``monitor.reports.wording`` words the code).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from spiders import fastjson

PLACEHOLDER_MSG = "这里还没有内容"
BLOCKING_STATUSES = {403: "http_4xx: HTTP 403 forbidden", 432: "visitor_wall: HTTP 432 visitor cookies missing or rejected"}
RATE_LIMIT_STATUSES = {418: "rate_limited: HTTP 418 rate limited (slow down)",
                       429: "rate_limited: HTTP 429 too many requests"}
# ``{"ok":0,"msg":"访问频次过高，请稍后再试"}`` with HTTP 200 is a rate limit like 418, never
# "account not found" (platforms_2026.md).
RATE_LIMIT_WORDS = ("频次过高", "访问频繁", "频率过高", "操作过于频繁", "请求过于频繁", "稍后再试")
_VISITOR_MARKERS = ("Sina Visitor System", "visitor.passport.weibo", "passport.weibo.c", "/visitor/visitor")


@dataclass
class Classified:
    kind: str  # ok, placeholder, blocked, rate_limited, error
    reason: Optional[str] = None
    data: Optional[dict[str, Any]] = None
    payload: Optional[dict[str, Any]] = None


def classify(status: int, body: bytes | str, url: str = "", content_type: str = "") -> Classified:
    if status in RATE_LIMIT_STATUSES:
        return Classified("rate_limited", RATE_LIMIT_STATUSES[status])
    if status in BLOCKING_STATUSES:
        return Classified("blocked", BLOCKING_STATUSES[status])
    if status >= 500:
        return Classified("error", f"http_5xx: HTTP {status} server error")
    if status == 404:
        return Classified("error", "http_4xx: HTTP 404 for an API endpoint")
    if status != 200:
        return Classified("error", f"http_error: HTTP {status} unexpected status")
    head = body[:4000] if isinstance(body, str) else body[:4000].decode("utf-8", "replace")
    if any(marker in url for marker in _VISITOR_MARKERS) or any(m in head for m in _VISITOR_MARKERS[:1]):
        return Classified("blocked", f"visitor_wall: visitor system page instead of JSON ({url})")
    try:
        payload = fastjson.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        if "html" in content_type.lower() or text.lstrip()[:1] == "<":
            if "passport" in text[:4000]:
                return Classified("blocked", "visitor_wall: HTML page instead of JSON (login/visitor wall)")
            return Classified("error", "not_json: HTML page instead of JSON")
        return Classified("error", f"not_json: answer is not JSON: {text[:80]!r}")
    if not isinstance(payload, dict):
        return Classified("error", "layout_changed: JSON answer is not an object")
    ok = payload.get("ok")
    if ok == -100:
        return Classified("blocked", f"login_required: ok:-100 login required {payload.get('url') or ''}".strip(), payload=payload)
    if payload.get("url") and not payload.get("data"):
        return Classified("blocked", f"captcha: captcha required {payload['url']}", payload=payload)
    if ok != 1 and is_rate_limit_message(payload.get("msg")):
        return Classified("rate_limited", f"rate_limited: ok:{ok!r} rate limited: {payload.get('msg')}", payload=payload)
    if ok == 0 and PLACEHOLDER_MSG in str(payload.get("msg", "")):
        return Classified("placeholder", f"placeholder: ok:0 {PLACEHOLDER_MSG}", payload=payload)
    if ok != 1:
        return Classified("error", f"api_error: ok:{ok!r} msg:{payload.get('msg')!r}", payload=payload)
    data = payload.get("data")
    if not isinstance(data, dict):
        return Classified("error", "layout_changed: ok:1 answer without a data object", payload=payload)
    return Classified("ok", data=data, payload=payload)


def is_rate_limit_message(msg: Any) -> bool:
    return isinstance(msg, str) and any(w in msg for w in RATE_LIMIT_WORDS)
