"""The JSON a 抖音, 今日头条 or 快手 profile page loads, read into posts and profile facts.

Shapes (docs/research/short_video_platforms.md): 抖音 ``/aweme/v1/web/aweme/post`` and
``/aweme/v1/web/user/profile/other``; 头条 ``/api/pc/list/feed?category=profile_all``;
快手 GraphQL ``visionProfilePhotoList`` / ``visionProfile`` and ``/live_api/profile/public``
(no publish times). Every reader returns a ``Reading``; what it cannot use becomes a typed
outcome with a ``"<code>: <detail>"`` reason, never an empty list of posts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo


@dataclass
class VideoPost:
    post_id: str
    published_at: datetime | None
    url: str | None
    text: str | None = None
    title: str | None = None
    kind: str = "original"  # the account's own works list: its own posts (头条: 转发 marked)
    pinned: bool = False
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class VideoProfile:
    name: str | None = None
    verified: bool | None = None  # None: the answer did not say
    verification: str | None = None  # 认证信息 as the platform shows it
    post_count: int | None = None


@dataclass
class Reading:
    """What one answer (or the answers of one page load) says."""
    outcome: str = "ok"  # ok, blocked, error
    reason: str | None = None
    posts: list[VideoPost] | None = None  # None: this answer carries no post list
    profile: VideoProfile | None = None
    has_more: bool | None = None


def load_json(body: bytes) -> Any:
    """The parsed answer; raises ValueError for an empty body (a WAF answer) or non-JSON."""
    if not body or not body.strip():
        raise ValueError("empty body")
    return json.loads(body.decode("utf-8-sig"))


def _epoch(value, tz: ZoneInfo, millis: bool = False) -> datetime | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds <= 0:
        return None
    if millis or seconds > 1e11:
        seconds /= 1000
    return datetime.fromtimestamp(seconds, tz)


# ── 抖音 ────────────────────────────────────────────────────────────────────
def _douyin_verification(user: dict) -> tuple[bool, str | None]:
    # 蓝V (organisations) show enterprise_verify_reason, people custom_verify; neither: none.
    text = (user.get("enterprise_verify_reason") or user.get("custom_verify") or "").strip()
    return bool(text), text or None


def douyin_posts(doc: Any, tz: ZoneInfo) -> Reading:
    if not isinstance(doc, dict) or "aweme_list" not in doc and "status_code" not in doc:
        return Reading("error", "layout_changed: aweme/post answer has no aweme_list")
    if doc.get("status_code") not in (0, None):
        return Reading("blocked", f"platform_refused: aweme/post status_code {doc.get('status_code')} "
                                  f"{doc.get('status_msg') or ''}".rstrip())
    posts, profile = [], None
    for aweme in doc.get("aweme_list") or []:
        if not isinstance(aweme, dict) or not aweme.get("aweme_id"):
            continue
        aid = str(aweme["aweme_id"])
        text = aweme.get("desc") or aweme.get("caption") or ""
        posts.append(VideoPost(aid, _epoch(aweme.get("create_time"), tz), f"https://www.douyin.com/video/{aid}",
                               text, (aweme.get("item_title") or text.split("\n", 1)[0])[:100] or None,
                               pinned=bool(aweme.get("is_top"))))
        author = aweme.get("author")
        if profile is None and isinstance(author, dict):
            verified, text_ = _douyin_verification(author)
            profile = VideoProfile(author.get("nickname"), verified, text_)
    return Reading(posts=posts, profile=profile, has_more=bool(doc.get("has_more")))


def douyin_profile(doc: Any, tz: ZoneInfo) -> Reading:
    user = doc.get("user") if isinstance(doc, dict) else None
    if not isinstance(user, dict):
        return Reading("error", "layout_changed: profile answer has no user")
    verified, text = _douyin_verification(user)
    count = user.get("aweme_count")
    return Reading(profile=VideoProfile(user.get("nickname"), verified, text,
                                        int(count) if isinstance(count, int) else None))


# ── 今日头条 ────────────────────────────────────────────────────────────────
def _toutiao_url(item: dict, iid: str) -> str:
    cell = item.get("cell_type")
    if cell in (0, 49):
        return f"https://www.toutiao.com/video/{iid}/"
    if cell == 32:
        return f"https://www.toutiao.com/w/{iid}/"
    return f"https://www.toutiao.com/article/{iid}/"


def toutiao_feed(doc: Any, tz: ZoneInfo) -> Reading:
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        message = doc.get("message") if isinstance(doc, dict) else None
        return Reading("blocked" if message else "error",
                       f"platform_refused: list/feed answered {message!r}" if message
                       else "layout_changed: list/feed answer has no data list")
    posts, profile = [], None
    for item in doc["data"]:
        if not isinstance(item, dict):
            continue
        iid = str(item.get("id") or item.get("item_id") or item.get("group_id") or "")
        if not iid:
            continue
        text = item.get("content") or item.get("abstract") or item.get("title") or ""
        # 微头条 reposts carry the original they forward; articles and videos are the account's.
        repost = bool(item.get("origin_thread") or item.get("origin_group") or item.get("repost_params"))
        posts.append(VideoPost(iid, _epoch(item.get("publish_time"), tz), _toutiao_url(item, iid), text,
                               (item.get("title") or text.split("\n", 1)[0])[:100] or None,
                               "repost" if repost else "original", bool(item.get("is_stick") or item.get("stick")),
                               {"cell_type": item.get("cell_type"), "is_original": item.get("is_original")}))
        user = item.get("user_info") or (item.get("user") or {}).get("info") or item.get("user")
        if profile is None and isinstance(user, dict):
            text_ = (user.get("verified_content") or "").strip()
            profile = VideoProfile(user.get("name"), bool(user.get("user_verified")) or bool(text_), text_ or None)
    return Reading(posts=posts, profile=profile, has_more=doc.get("has_more"))


# ── 快手 ────────────────────────────────────────────────────────────────────
def kuaishou_graphql(doc: Any, tz: ZoneInfo) -> Reading:
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict):
        return Reading("error", "layout_changed: graphql answer has no data")
    if isinstance(data.get("visionProfile"), dict):
        prof = (data["visionProfile"].get("userProfile") or {}).get("profile") or {}
        return Reading(profile=VideoProfile(prof.get("user_name")))
    plist = data.get("visionProfilePhotoList")
    if not isinstance(plist, dict):
        return Reading("error", "layout_changed: graphql answer without visionProfilePhotoList")
    if plist.get("result") != 1:
        # 2 and the other values come with empty feeds: the risk control wants verification.
        return Reading("blocked", f"captcha: visionProfilePhotoList result {plist.get('result')}")
    posts = []
    for feed in plist.get("feeds") or []:
        photo = (feed or {}).get("photo") or {}
        if not photo.get("id"):
            continue
        pid = str(photo["id"])
        text = photo.get("caption") or photo.get("originCaption") or ""
        posts.append(VideoPost(pid, _epoch(photo.get("timestamp"), tz, millis=True),
                               f"https://www.kuaishou.com/short-video/{pid}", text, text.split("\n", 1)[0][:100] or None,
                               pinned=bool(photo.get("profileUserTopPhoto"))))
    return Reading(posts=posts, has_more=plist.get("pcursor") not in (None, "", "no_more"))


def kuaishou_live(doc: Any, tz: ZoneInfo) -> Reading:
    """``/live_api/profile/public``: the works without any time (RSSHub's source)."""
    data = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("list"), list):
        return Reading("error", "layout_changed: profile/public answer has no data.list")
    posts = [VideoPost(str(i["id"]), _epoch(i.get("timestamp"), tz, millis=True),
                       f"https://www.kuaishou.com/short-video/{i['id']}", i.get("caption"))
             for i in data["list"] if isinstance(i, dict) and i.get("id")]
    return Reading(posts=posts)


# Which reader an answer URL gets, per platform (matched on the path the page requested).
READERS: dict[str, list[tuple[str, Callable[[Any, ZoneInfo], Reading]]]] = {
    "douyin": [("/aweme/v1/web/aweme/post", douyin_posts), ("/aweme/v1/web/user/profile/other", douyin_profile)],
    "toutiao": [("/api/pc/list/feed", toutiao_feed)],
    "kuaishou": [("/graphql", kuaishou_graphql), ("/live_api/profile/public", kuaishou_live)],
}


def reader_for(platform: str, url: str) -> Callable[[Any, ZoneInfo], Reading] | None:
    path = url.split("?", 1)[0]
    return next((fn for marker, fn in READERS.get(platform, ()) if marker in path), None)


def read_answer(platform: str, url: str, status: int, body: bytes, tz: ZoneInfo) -> Reading | None:
    """One answer the page received; None when it is not one we read."""
    fn = reader_for(platform, url)
    if fn is None:
        return None
    if status != 200:
        return Reading("blocked" if status in (403, 429) else "error", f"http_error: HTTP {status} from {url}")
    try:
        doc = load_json(body)
    except ValueError as exc:
        # 抖音 answers an unsigned or flagged API call with HTTP 200 and nothing in it.
        if "empty body" in str(exc):
            return Reading("blocked", f"waf_empty: HTTP 200 with an empty body from {url.split('?', 1)[0]}")
        return Reading("error", f"not_json: {exc}")
    return fn(doc, tz)
