"""Simulated m.weibo.cn under ``/weibo``.

- ``GET /weibo/`` and ``/weibo/u/UID`` without valid visitor cookies redirect to the visitor
  system (``/weibo/visitor/visitor``: an HTML page whose JavaScript POSTs ``genvisitor`` for a
  ``tid`` and then calls ``visitor?a=incarnate``, which sets ``SUB``/``SUBP`` with ``Path=/``
  and redirects back), as the real one does — so a real browser is needed to get in.
- ``/weibo/api/container/getIndex`` answers HTTP 432 without valid ``SUB``/``SUBP``; profile
  (``type=uid&value=UID`` or ``containerid=100505UID``), timeline (``107603UID`` paged by
  ``since_id``; ``230413UID&page=N``); unknown uid → ``ok:0 这里还没有内容``.
- ``/weibo/api/statuses/extend?id=`` → ``data.longTextContent``.
- More than ``rate_limit`` API requests within one second from one client → HTTP 418 for
  ``penalty_seconds``.
- Scenario keys per account: ``blocked: 418|403|432`` (every getIndex for the uid), ``captcha:
  true`` (captcha JSON), ``unknown: true`` (placeholder), ``verified``, ``verified_type``,
  ``verified_reason``, ``description``, ``followers``, ``relative_dates`` (recent posts dated
  刚刚/N小时前/昨天/MM-DD), ``comments_closed``.
- Tests may tune ``world.state["weibo"]`` (a ``WeiboState``): ``rate_limit``,
  ``penalty_seconds``, ``cookie_ttl_requests`` (visitor cookies stop working after that many
  API requests, to exercise renewal).
"""
from __future__ import annotations

import asyncio
import html
import json
import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import quote

from aiohttp import web

from monitor.sandbox.platforms import weibo_payloads as P
from monitor.sandbox.server import World, tag

PREFIX = "/weibo"


@dataclass
class WeiboState:
    rate_limit: int = 20
    rate_window: float = 1.0
    penalty_seconds: float = 2.0
    cookie_ttl_requests: int | None = None
    tids: set[str] = field(default_factory=set)
    issued: dict[str, int] = field(default_factory=dict)  # SUB value → API requests made with it
    hits: dict[str, deque] = field(default_factory=dict)
    penalty_until: dict[str, float] = field(default_factory=dict)
    long_posts: dict[str, tuple[str, str]] = field(default_factory=dict)  # post id → (uid, post id)

    def cookies_valid(self, request: web.Request, use: bool = False) -> bool:
        sub, subp = request.cookies.get("SUB"), request.cookies.get("SUBP")
        if not sub or not subp or sub not in self.issued:
            return False
        if self.cookie_ttl_requests is not None and self.issued[sub] >= self.cookie_ttl_requests:
            return False
        if use:
            self.issued[sub] += 1
        return True

    def rate_limited(self, client: str) -> bool:
        now = time.monotonic()
        if self.penalty_until.get(client, 0) > now:
            return True
        q = self.hits.setdefault(client, deque())
        q.append(now)
        while q and q[0] < now - self.rate_window:
            q.popleft()
        if len(q) > self.rate_limit:
            self.penalty_until[client] = now + self.penalty_seconds
            q.clear()
            return True
        return False


def _state(world: World) -> WeiboState:
    return world.state.setdefault("weibo", WeiboState())


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}{PREFIX}"


def _fault_response(kind: str) -> web.StreamResponse:
    if kind == "418":
        return web.Response(status=418, reason="I'm a teapot", text="")
    if kind == "432":
        return web.Response(status=432, reason="No Reason Phrase", text="")
    if kind == "captcha":
        return web.json_response({"ok": -100, "url": "https://passport.weibo.com/visitor/visitor?entry=sinawap&a=enter"})
    return web.Response(status=500, text="Internal Server Error")


def _visitor_redirect(request: web.Request) -> web.HTTPFound:
    back = request.path_qs
    return web.HTTPFound(f"{PREFIX}/visitor/visitor?entry=mweibo&url={quote(back, safe='')}")


def register(app: web.Application, world: World) -> None:
    state = _state(world)

    async def home(request: web.Request):
        tag(request, "weibo")
        if not state.cookies_valid(request):
            raise _visitor_redirect(request)
        return web.Response(text="<!DOCTYPE html><html><head><meta charset='utf-8'><title>微博</title></head>"
                                 "<body><div id='app'>微博 - 随时随地发现新鲜事</div></body></html>",
                            content_type="text/html")

    async def visitor(request: web.Request):
        tag(request, "weibo")
        back = request.query.get("url") or f"{PREFIX}/"
        if not back.startswith(PREFIX + "/"):
            back = f"{PREFIX}/"
        if request.query.get("a") == "incarnate":
            tid = request.query.get("t", "")
            if tid not in state.tids:
                return web.Response(text='window.cross_domain && cross_domain({"retcode":50111,"msg":"tid invalid"});',
                                    content_type="application/javascript")
            state.tids.discard(tid)
            sub = "_2A25" + secrets.token_hex(20)
            state.issued[sub] = 0
            resp = web.HTTPFound(back)
            resp.set_cookie("SUB", sub, path="/", httponly=True)
            resp.set_cookie("SUBP", "0033WrSXqPxfM72-Ws9jqgMF55529P9D9W" + secrets.token_hex(12), path="/")
            raise resp
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sina Visitor System</title></head>
<body><p>Sina Visitor System</p><script>
(function () {{
  var back = {json.dumps(back)};
  var xhr = new XMLHttpRequest();
  xhr.open("POST", {json.dumps(PREFIX + "/visitor/genvisitor")});
  xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
  xhr.onload = function () {{
    var m = xhr.responseText.match(/"tid":\\s*"([^"]+)"/);
    if (!m) return;
    location.replace({json.dumps(PREFIX + "/visitor/visitor?a=incarnate&t=")} + encodeURIComponent(m[1]) +
      "&w=2&c=095&gc=&cb=cross_domain&from=weibo&url=" + encodeURIComponent(back));
  }};
  xhr.send("cb=gen_callback&fp=" + encodeURIComponent(JSON.stringify({{os: "1", browser: navigator.userAgent.slice(0, 40)}})));
}})();
</script></body></html>"""
        return web.Response(text=page, content_type="text/html")

    async def genvisitor(request: web.Request):
        tag(request, "weibo")
        tid = secrets.token_urlsafe(24)
        state.tids.add(tid)
        body = json.dumps({"retcode": 20000000, "msg": "succ", "data": {"tid": tid, "new_tid": True}})
        return web.Response(text=f"window.gen_callback && gen_callback({body});", content_type="application/javascript")

    async def get_index(request: web.Request):
        q = request.query
        cid = q.get("containerid", "")
        uid, kind = None, None
        if q.get("type") == "uid" and q.get("value") and not cid:
            uid, kind = q["value"], "profile"
        elif cid[:6] in ("100505", "107603", "230413") and cid[6:].isdigit():
            uid, kind = cid[6:], {"100505": "profile", "107603": "timeline", "230413": "timeline"}[cid[:6]]
        tag(request, "weibo", uid)
        if state.rate_limited(request.remote or ""):
            return web.Response(status=418, reason="I'm a teapot", text="")
        if not state.cookies_valid(request, use=True):
            return web.Response(status=432, reason="No Reason Phrase", text="")
        fault = world.faults.pick()
        if fault == "timeout":
            await asyncio.sleep(world.faults.timeout_seconds)
        elif fault:
            return _fault_response(fault)
        acc = world.scenario.account("weibo", uid) if uid else None
        if acc is None or acc.get("unknown"):
            return web.json_response(P.PLACEHOLDER)
        blocked = acc.get("blocked")
        if blocked:
            return _fault_response(str(blocked)) if str(blocked) != "403" else web.Response(status=403, text="Forbidden")
        if acc.get("captcha"):
            return _fault_response("captcha")
        base = _base(request)
        if kind == "profile":
            return web.json_response(P.profile_payload(acc, base))
        page = int(q["page"]) if cid.startswith("230413") and q.get("page", "").isdigit() else (1 if cid.startswith("230413") else None)
        payload = P.timeline_payload(acc, base, world.at, cid, since_id=q.get("since_id"), page=page)
        for c in payload["data"]["cards"]:
            m = (c.get("mblog") or (c.get("card_group") or [{}])[0].get("mblog") or {})
            if m.get("isLongText"):
                state.long_posts[m["id"]] = (acc.id, m["id"])
        return web.json_response(payload)

    async def extend(request: web.Request):
        pid = request.query.get("id", "")
        owner = state.long_posts.get(pid)
        tag(request, "weibo", owner[0] if owner else None)
        if state.rate_limited(request.remote or ""):
            return web.Response(status=418, reason="I'm a teapot", text="")
        if not state.cookies_valid(request, use=True):
            return web.Response(status=432, reason="No Reason Phrase", text="")
        acc = world.scenario.account("weibo", owner[0]) if owner else None
        post = next((p for p in acc.posts if p.id == pid), None) if acc else None
        if post is None:
            return web.json_response({"ok": 0, "msg": "这里还没有内容", "data": {}})
        return web.json_response(P.extend_payload(post))

    async def profile_page(request: web.Request):
        uid = request.match_info["uid"]
        tag(request, "weibo", uid)
        if not state.cookies_valid(request):
            raise _visitor_redirect(request)
        acc = world.scenario.account("weibo", uid)
        if acc is None or acc.get("unknown"):
            return web.Response(status=404, content_type="text/html",
                                text="<!DOCTYPE html><html><head><meta charset='utf-8'><title>微博</title></head>"
                                     "<body><p>用户不存在</p></body></html>")
        return web.Response(text=_profile_html(acc, world), content_type="text/html")

    app.router.add_get(f"{PREFIX}/", home)
    app.router.add_get(f"{PREFIX}/visitor/visitor", visitor)
    app.router.add_post(f"{PREFIX}/visitor/genvisitor", genvisitor)
    app.router.add_get(f"{PREFIX}/api/container/getIndex", get_index)
    app.router.add_get(f"{PREFIX}/api/statuses/extend", extend)
    app.router.add_get(f"{PREFIX}/u/{{uid}}", profile_page)


def _profile_html(acc, world: World) -> str:
    """The public profile page: name, verification and the latest posts with their dates
    (YYYY-MM-DD HH:MM, Beijing time), readable in a screenshot without any other network."""
    esc = html.escape
    reason = acc.get("verified_reason", "") if acc.get("verified", True) else ""
    rows = []
    for p in acc.posts[:11]:
        when = p.published_at.astimezone(world.at.tzinfo)
        label = "置顶 " if p.pinned else ""
        kind = {"repost": "转发", "repost_deleted": "转发（原微博已删除）"}.get(p.kind, "原创")
        rows.append(f"<li class='post'><span class='time'>{label}{when:%Y-%m-%d %H:%M}</span> "
                    f"<span class='kind'>{kind}</span> <span class='text'>{esc(p.text[:120])}</span></li>")
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{esc(acc.name)}的微博</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;margin:16px}} .time{{color:#f60}} li{{margin:8px 0}}</style>
</head><body><header><h1 class="screen-name">{esc(acc.name)}</h1>
<p class="verified">{'微博认证：' + esc(reason) if reason else '未认证'}</p>
<p class="uid">UID {esc(acc.id)} · 微博 {len(acc.posts)}</p></header>
<ul class="timeline">{''.join(rows) or '<li>还没有发过微博</li>'}</ul></body></html>"""
