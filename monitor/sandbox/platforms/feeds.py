"""Per-account WeChat feeds in the shapes real deployments produce (research §2.2); wewe-rss,
which also has a feed list, is its own double (wewe_rss.py):

- ``/feeds/rsshub/{biz}.xml`` — RSSHub RSS 2.0: ``pubDate`` in RFC 822 (GMT), generator RSSHub;
- ``/feeds/aggregator/{biz}.json`` — a JSON Feed from an aggregator whose dates are its own
  CRAWL times (all recent) while the articles may be old: the trap the product must see;
- ``/feeds/wemp/{biz}.xml`` — we-mp-rss RSS: ``pubDate`` without a zone (Beijing wall time).

Items link to the sandbox's article pages (absolute, on the requesting host). Account keys:
``feed_status`` (answer that HTTP status instead), ``feed_limit`` (items, default 10;
``?limit=`` overrides), ``feed_malformed: true`` (a truncated document),
``feed_bomb: N`` (the feed gzip-encoded, padded to inflate to N MiB: about N KB on the wire).
Faults ``500`` and ``timeout`` apply.
"""
from __future__ import annotations

import json
from datetime import timedelta, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

from aiohttp import web

from monitor.sandbox.platforms.wechat import apply_fault, article_id, article_url, feed_posts
from monitor.sandbox.scenario import SandboxAccount
from monitor.sandbox.server import World, tag

_TYPES = {"rsshub": "application/rss+xml",
          "aggregator": "application/feed+json", "wemp": "application/xml"}


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _utc_iso(dt) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def rsshub_rss(request, acc: SandboxAccount, posts, world: World) -> str:
    items = "".join(f"""
    <item>
      <title>{_cdata(p.title)}</title>
      <description>{_cdata("<p>" + escape(p.text) + "</p>")}</description>
      <link>{escape(article_url(request, acc.id, p.id))}</link>
      <guid isPermaLink="false">{escape(article_url(request, acc.id, p.id))}</guid>
      <pubDate>{format_datetime(p.published_at.astimezone(timezone.utc), usegmt=True)}</pubDate>
      <author>{_cdata(acc.name)}</author>
    </item>""" for p in posts)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
  <channel>
    <title>{_cdata(acc.name)}</title>
    <link>https://mp.weixin.qq.com/mp/homepage?__biz={escape(acc.id)}</link>
    <atom:link href="{escape(f"{request.scheme}://{request.host}{request.path}")}" rel="self" type="application/rss+xml"/>
    <description>{_cdata(acc.name + " - Powered by RSSHub")}</description>
    <generator>RSSHub</generator>
    <webMaster>contact@rsshub.app (RSSHub)</webMaster>
    <language>zh-cn</language>
    <lastBuildDate>{format_datetime(world.at.astimezone(timezone.utc), usegmt=True)}</lastBuildDate>
    <ttl>5</ttl>{items}
  </channel>
</rss>
"""


def wemp_rss(request, acc: SandboxAccount, posts, world: World) -> str:
    tz = world.scenario.at.tzinfo

    def naive(dt) -> str:
        # we-mp-rss: strftime('%a, %d %b %Y %H:%M:%S %z') on a naive local datetime → no zone.
        return dt.astimezone(tz).strftime("%a, %d %b %Y %H:%M:%S ")

    items = "".join(f"""<item><id>{p.id}</id><title>{escape(p.title)}</title><description>{escape(p.text[:60])}</description><guid>{escape(article_url(request, acc.id, p.id))}</guid><enclosure url="https://mmbiz.qpic.cn/sandbox/{p.id}/0" type="image/jpeg" length="0" /><link>{escape(article_url(request, acc.id, p.id))}</link><pubDate>{naive(p.published_at)}</pubDate></item>"""
                    for p in posts)
    return (f"""<?xml version='1.0' encoding='utf-8'?>\n<rss xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0"><channel><title>{escape(acc.name)}</title><link>{escape(f"{request.scheme}://{request.host}{request.path}")}</link><description>{escape(acc.get("intro") or acc.name)}</description><language>zh-CN</language><generator>Mp-We-Rss</generator><lastBuildDate>{naive(world.at)}</lastBuildDate><image><url>https://mmbiz.qpic.cn/sandbox/0</url><title>{escape(acc.name)}</title><link>https://mp.weixin.qq.com</link></image>"""
            f"{items}</channel></rss>")


def aggregator_json(request, acc: SandboxAccount, posts, world: World) -> str:
    """The aggregator stamps when IT fetched each article: all within the last day."""
    tz = world.scenario.at.tzinfo
    crawled = world.at - timedelta(hours=6)
    items = [{
        "id": article_id(acc.id, p.id),
        "url": article_url(request, acc.id, p.id),
        "title": p.title,
        "content_text": p.text,
        "date_published": (crawled + timedelta(minutes=7 * (len(posts) - i))).astimezone(tz).isoformat(),
        "authors": [{"name": acc.name}],
    } for i, p in enumerate(posts)]
    return json.dumps({
        "version": "https://jsonfeed.org/version/1.1",
        "title": f"{acc.name} | 公众号聚合",
        "home_page_url": f"{request.scheme}://{request.host}/",
        "feed_url": f"{request.scheme}://{request.host}{request.path}",
        "items": items,
    }, ensure_ascii=False, indent=1)


_BUILDERS = {"rsshub": rsshub_rss, "aggregator": aggregator_json, "wemp": wemp_rss}
_DEFAULT_LIMIT = {"aggregator": 20}


async def drawn_fault(world: World) -> web.Response | None:
    """A 500 or a timeout (504) drawn from the world's fault mix, as any feed service can give."""
    fault = await apply_fault(world, ("500", "timeout"))
    return web.Response(status=500 if fault == "500" else 504, text="error") if fault else None


async def feed_failure(world: World, acc: SandboxAccount) -> web.Response | None:
    """What a feed service answers instead of the account's feed: its configured HTTP status, or a drawn fault."""
    if acc.get("feed_status"):
        return web.Response(status=int(acc.get("feed_status")), text="Internal Server Error")
    return await drawn_fault(world)


def feed_limit(request: web.Request, acc: SandboxAccount, default: int) -> int | web.Response:
    """How many items to serve (?limit=, else the account's feed_limit), or the 400 a bad limit gets."""
    try:
        return int(request.query.get("limit") or acc.get("feed_limit") or default)
    except ValueError:
        return web.Response(status=400, text="limit must be an integer")


def register(app: web.Application, world: World) -> None:
    async def feed(request: web.Request) -> web.StreamResponse:
        shape = request.match_info["shape"]
        biz = request.match_info["biz"]
        tag(request, "wechat", biz)
        acc = world.scenario.account("wechat", biz)
        if acc is None or acc.get("kind") == "小程序":
            return web.Response(status=404, text=f"feed {biz} not found")
        failure = await feed_failure(world, acc)
        if failure is not None:
            return failure
        limit = feed_limit(request, acc, _DEFAULT_LIMIT.get(shape, 10))
        if isinstance(limit, web.Response):
            return limit
        body = _BUILDERS[shape](request, acc, feed_posts(acc)[:limit], world)
        if acc.get("feed_malformed"):
            body = body[: len(body) * 2 // 3]
        if acc.get("feed_bomb"):
            from monitor.sandbox.bombs import gzip_bomb

            return web.Response(body=gzip_bomb(body.encode(), int(acc.get("feed_bomb"))), content_type=_TYPES[shape],
                                charset="utf-8", headers={"Content-Encoding": "gzip"})
        return web.Response(text=body, content_type=_TYPES[shape], charset="utf-8")

    app.router.add_get(r"/feeds/{shape:rsshub|aggregator|wemp}/{biz}.{ext:atom|xml|json|rss}", feed)
