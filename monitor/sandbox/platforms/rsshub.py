"""An RSSHub double for the 抖音, 今日头条 and 快手 routes, answering as RSSHub does
(docs/research/short_video_platforms.md):

- ``/rsshub/douyin/user/{sec_uid}`` and ``/rsshub/toutiao/user/token/{token}`` — RSS 2.0,
  generator RSSHub, ``pubDate`` = the work's publish time, links to the works;
- ``/rsshub/kuaishou/profile/{id}`` — items with ``guid`` only: no ``pubDate``, no ``link``.

Account key ``rsshub`` picks a failure: ``waf`` (503 error page "Empty post data. The request
may be filtered by WAF."), ``captcha`` (503 "验证码中间页"), ``reject`` (403 RejectError),
``not_found`` (404 NotFoundError "暂未发表作品"), ``json_error`` (503 ``{"error":…}``, as
with ``?format=json``), ``empty`` (a feed with no items). An unknown route is RSSHub's 404.
"""
from __future__ import annotations

import json
from datetime import timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

from monitor.sandbox.server import World, tag
from spiders.shortvideo.sites import POST_PAGES



def error_page(path: str, message: str) -> str:
    """RSSHub's error view (lib/views/error.tsx), as self-hosted instances serve it."""
    return (f"<!DOCTYPE html><html><head><title>Error in RSSHub!</title></head><body><div class=\"content\">"
            f"<h1>Looks like something went wrong</h1><pre class=\"message\">Route requested: {escape(path)}</pre>"
            f"<pre class=\"message\">Error Message: {escape(message)}</pre><pre class=\"message\">Helpful "
            f"Information to provide when opening issue:\nPath: {escape(path)}\nNode version: v22.14.0\n"
            f"Git Hash: 54ed4e19</pre></div></body></html>")


_FAILURES = {
    "waf": (503, "Error: Empty post data. The request may be filtered by WAF."),
    "captcha": (503, "Error: 验证码中间页"),
    "reject": (403, "RejectError: 无法获取用户信息"),
    "not_found": (404, "NotFoundError: 暂未发表作品The route does not exist or has been deleted."),
}


def rss(platform: str, acc, request) -> str:
    items = []
    for p in acc.posts:
        if platform == "kuaishou":
            items.append(f"<item><description><![CDATA[<video controls preload=\"metadata\"></video>]]></description>"
                         f"<guid isPermaLink=\"false\">{p.id}</guid><author><![CDATA[{acc.name}]]></author></item>")
            continue
        link = POST_PAGES[platform].format(id=p.id)
        if platform == "toutiao" and p.extra.get("cell") in ("weitoutiao", "video"):
            # RSSHub links a 微头条 (cell_type 32) to /w/, a video (0, 49) to /video/.
            link = f"https://www.toutiao.com/{'w' if p.extra['cell'] == 'weitoutiao' else 'video'}/{p.id}/"
        items.append(f"<item><title><![CDATA[{p.title}]]></title><description><![CDATA[{escape(p.text)}]]></description>"
                     f"<link>{link}</link><guid isPermaLink=\"false\">{link}</guid>"
                     f"<pubDate>{format_datetime(p.published_at.astimezone(timezone.utc), usegmt=True)}</pubDate>"
                     f"<author><![CDATA[{acc.name}]]></author></item>")
    if acc.get("rsshub") == "empty":
        items = []
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss xmlns:atom=\"http://www.w3.org/2005/Atom\" version=\"2.0\">"
            f"<channel><title><![CDATA[{acc.name}]]></title><link>{escape(str(request.url))}</link>"
            f"<description><![CDATA[{acc.name} - Powered by RSSHub]]></description><generator>RSSHub</generator>"
            f"<webMaster>contact@rsshub.app (RSSHub)</webMaster><language>en</language><ttl>5</ttl>"
            f"{''.join(items)}</channel></rss>")


def register(app: web.Application, world: World) -> None:
    async def route(request: web.Request) -> web.StreamResponse:
        platform, uid = request.match_info["platform"], request.match_info["id"]
        tag(request, platform, uid)
        acc = world.scenario.account(platform, uid)
        if acc is None:
            return web.Response(status=404, text=error_page(request.path, "NotFoundError: "), content_type="text/html")
        mode = acc.get("rsshub")
        if mode == "json_error":
            return web.json_response({"error": {"message": "Empty post data. The request may be filtered by WAF."}},
                                     status=503)
        if mode in _FAILURES:
            status, message = _FAILURES[mode]
            return web.Response(status=status, text=error_page(request.path, message), content_type="text/html",
                                charset="utf-8")
        return web.Response(text=rss(platform, acc, request), content_type="application/rss+xml", charset="utf-8")

    for path in ("/rsshub/{platform:douyin}/user/{id}", "/rsshub/{platform:toutiao}/user/token/{id}",
                 "/rsshub/{platform:kuaishou}/profile/{id}"):
        app.router.add_get(path, route)
    app.router.add_get("/rsshub/{tail:.*}", _unknown)


async def _unknown(request: web.Request) -> web.Response:
    return web.Response(status=404, content_type="text/html", charset="utf-8",
                        text=error_page(request.path, "NotFoundError: The route does not exist or has been deleted."))

