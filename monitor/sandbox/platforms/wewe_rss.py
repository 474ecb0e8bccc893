"""wewe-rss (cooderl/wewe-rss), as deployments answer in 2025–2026, one instance per
``/wewe-rss/{service}``:

- ``GET /wewe-rss/{service}/feeds/`` — the feed list: ``[{id, name, intro, cover, syncTime,
  updateTime}]``, epoch seconds. ``syncTime`` is the last successful sync (wewe-rss syncs at
  05:35 and 17:35 Beijing time), ``updateTime`` the account's newest article;
- ``GET /wewe-rss/{service}/feeds/{id}.atom|rss|json`` — one account's feed (jpmonette/feed:
  Atom ``<updated>`` carries the publish time; JSON Feed ``date_modified``), newest
  ``limit`` (default 10) articles; ``?update=true`` queues a sync and answers at once with
  what it has (the request is logged, the answer unchanged).

Feed ids are ``MP_WXS_{n}``, ``n`` being the decoded ``__biz`` (WeRead's id of the account).

Stale mode — what wewe-rss does since its WeRead login started expiring every half day to a
day (issues #407 #417 #427 #458): account key ``wewe_stale_days: N`` freezes the account's
``syncTime`` N days before T and serves only the articles synced before then, with HTTP 200.
Account keys: ``wewe_service`` (default ``main``), ``feed_status``, ``feed_limit``,
``feed_malformed`` as for the other feeds. Faults ``500`` and ``timeout`` apply.
"""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, time, timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

from monitor.sandbox.platforms.feeds import _cdata, _utc_iso, drawn_fault, feed_failure, feed_limit
from monitor.sandbox.platforms.wechat import article_url, feed_posts
from monitor.sandbox.scenario import SandboxAccount
from monitor.sandbox.server import World, tag

PREFIX = "/wewe-rss"
SYNC_TIMES = (time(5, 35), time(17, 35))  # wewe-rss's default CRON_EXPRESSION, Asia/Shanghai
_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml", "json": "application/feed+json"}


def feed_id(biz: str) -> str:
    try:
        n = base64.b64decode(biz, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        n = ""
    # Scale-mode ids (SCALE…) are not base64: they are used as they are.
    return "MP_WXS_" + (n if n.isdigit() else biz)


def biz_of(wewe_id: str) -> str | None:
    if not wewe_id.startswith("MP_WXS_") or len(wewe_id) == 7:
        return None
    rest = wewe_id[7:]
    return base64.b64encode(rest.encode("ascii")).decode("ascii") if rest.isdigit() else rest


def feed_path(biz: str, service: str = "main", ext: str = "atom") -> str:
    return f"{PREFIX}/{service}/feeds/{feed_id(biz)}.{ext}"


def last_sync(acc: SandboxAccount, now: datetime) -> datetime:
    """The account's last successful sync as wewe-rss records it."""
    if acc.get("wewe_stale_days") is not None:
        return acc.at - timedelta(days=float(acc.get("wewe_stale_days")))
    tz = now.tzinfo
    day = now.astimezone(tz).date()
    runs = [datetime.combine(day - timedelta(days=d), t, tz) for d in (0, 1) for t in SYNC_TIMES]
    return max(r for r in runs if r <= now)


def served_posts(acc: SandboxAccount, now: datetime):
    synced = last_sync(acc, now)
    return [p for p in feed_posts(acc) if p.published_at <= synced]


def atom(request, acc: SandboxAccount, posts, self_url: str, updated: datetime) -> str:
    entries = "".join(f"""
    <entry>
        <title type="html">{_cdata(p.title)}</title>
        <id>{escape(article_url(request, acc.id, p.id).rsplit('/', 1)[-1])}</id>
        <link href="{escape(article_url(request, acc.id, p.id))}"/>
        <updated>{_utc_iso(p.published_at)}</updated>
        <link rel="enclosure" href="https://mmbiz.qpic.cn/sz_mmbiz_jpg/sandbox/{p.id}/0?wx_fmt=jpeg" type="image/jpeg"/>
    </entry>""" for p in posts)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
    <id>{escape(self_url)}</id>
    <title>{escape(acc.name)}</title>
    <updated>{_utc_iso(updated)}</updated>
    <generator>WeWe-RSS</generator>
    <author>
        <name>{escape(acc.name)}</name>
    </author>
    <link rel="alternate" href="{escape(self_url)}"/>
    <subtitle>{escape(acc.get("intro") or acc.name + "官方公众号")}</subtitle>
    <logo>https://mmbiz.qpic.cn/mmbiz_png/sandbox/0?wx_fmt=png</logo>
    <icon>https://mmbiz.qpic.cn/mmbiz_png/sandbox/0?wx_fmt=png</icon>{entries}
</feed>
"""


def rss(request, acc: SandboxAccount, posts, self_url: str, updated: datetime) -> str:
    items = "".join(f"""
        <item>
            <title>{_cdata(p.title)}</title>
            <link>{escape(article_url(request, acc.id, p.id))}</link>
            <guid>{escape(article_url(request, acc.id, p.id))}</guid>
            <pubDate>{format_datetime(p.published_at.astimezone(timezone.utc), usegmt=True)}</pubDate>
        </item>""" for p in posts)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
    <channel>
        <title>{escape(acc.name)}</title>
        <link>{escape(self_url)}</link>
        <description>{escape(acc.get("intro") or acc.name + "官方公众号")}</description>
        <lastBuildDate>{format_datetime(updated.astimezone(timezone.utc), usegmt=True)}</lastBuildDate>
        <docs>https://validator.w3.org/feed/docs/rss2.html</docs>
        <generator>WeWe-RSS</generator>
        <language>zh-cn</language>{items}
    </channel>
</rss>
"""


def json_feed(request, acc: SandboxAccount, posts, self_url: str, updated: datetime) -> str:
    return json.dumps({
        "version": "https://jsonfeed.org/version/1", "title": acc.name, "home_page_url": self_url,
        "description": acc.get("intro") or acc.name + "官方公众号", "generator": "WeWe-RSS",
        "items": [{"id": article_url(request, acc.id, p.id).rsplit("/", 1)[-1], "content_html": "",
                   "url": article_url(request, acc.id, p.id), "title": p.title,
                   "date_modified": _utc_iso(p.published_at)} for p in posts],
    }, ensure_ascii=False, indent=4)


_BUILDERS = {"atom": atom, "rss": rss, "json": json_feed}


def feed_list(world: World, service: str) -> list[dict]:
    now = world.at
    out = []
    for acc in world.scenario.accounts("wechat"):
        if acc.get("feed", "wewe") != "wewe" or acc.get("kind") == "小程序" or acc.get("wewe_service", "main") != service:
            continue
        posts = served_posts(acc, now)
        out.append({
            "id": feed_id(acc.id), "name": acc.name, "intro": acc.get("intro") or acc.name + "官方公众号",
            "cover": "https://mmbiz.qpic.cn/mmbiz_png/sandbox/0?wx_fmt=png",
            "syncTime": int(last_sync(acc, now).timestamp()),
            "updateTime": int(posts[0].published_at.timestamp()) if posts else int(acc.at.timestamp()),
        })
    return out


def register(app: web.Application, world: World) -> None:
    async def listing(request: web.Request) -> web.StreamResponse:
        tag(request, "wewe-rss", request.match_info["service"])
        return await drawn_fault(world) or web.json_response(feed_list(world, request.match_info["service"]))

    async def feed(request: web.Request) -> web.StreamResponse:
        wewe_id, _, ext = request.match_info["feed"].partition(".")
        biz = biz_of(wewe_id)
        acc = world.scenario.account("wechat", biz) if biz else None
        tag(request, "wechat", biz)
        if (acc is None or acc.get("feed", "wewe") != "wewe"
                or acc.get("wewe_service", "main") != request.match_info["service"]):
            # wewe-rss: HttpException('不存在该feed！', 400)
            return web.json_response({"statusCode": 400, "message": "不存在该feed！"}, status=400)
        failure = await feed_failure(world, acc)
        if failure is not None:
            return failure
        limit = feed_limit(request, acc, 10)
        if isinstance(limit, web.Response):
            return limit
        ext = ext if ext in _BUILDERS else "atom"
        posts = served_posts(acc, world.at)
        self_url = f"{request.scheme}://{request.host}{request.path}"
        updated = posts[0].published_at if posts else acc.at
        body = _BUILDERS[ext](request, acc, posts[:limit], self_url, updated)
        if acc.get("feed_malformed"):
            body = body[: len(body) * 2 // 3]
        return web.Response(text=body, content_type=_TYPES[ext], charset="utf-8")

    app.router.add_get(PREFIX + "/{service}/feeds/", listing)
    app.router.add_get(PREFIX + "/{service}/feeds", listing)
    app.router.add_get(PREFIX + "/{service}/feeds/{feed}", feed)
