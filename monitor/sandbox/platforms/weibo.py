"""Simulated m.weibo.cn under ``/weibo`` and its visitor system under ``/weibo-passport``
(standing for ``visitor.passport.weibo.cn``), answering the way the real site does in 2025–26
(research/platforms_2026.md).

- ``GET /weibo/`` and ``/weibo/u/UID`` without valid visitor cookies redirect to
  ``/weibo-passport/visitor/visitor?a=enter&url=…``: an HTML page whose JavaScript POSTs
  ``genvisitor2`` (``cb=visitor_gray_callback``, ``ver``, ``webdriver=navigator.webdriver``) and
  gets ``{"retcode":20000000,"data":{"sub":…,"subp":…}}`` with ``SUB``/``SUBP`` (and the
  side cookies the real one sets) as ``Path=/`` cookies, then goes back. A browser that
  reports ``navigator.webdriver`` gets ``retcode`` 50111 and no cookies (``refuse_webdriver``).
- ``/weibo/api/container/getIndex`` answers HTTP 432 without valid ``SUB``/``SUBP``; profile
  (``type=uid&value=UID`` or ``containerid=100505UID``), timeline (``107603UID`` paged by
  ``since_id``, or by ``page`` — see ``paging``; ``230413UID&page=N``); unknown uid →
  ``ok:0 这里还没有内容``.
- ``/weibo/statuses/extend?id=`` (and the older ``/weibo/api/statuses/extend``) →
  ``data.longTextContent``; ``/weibo/status/{bid}`` — a post's own page (the whole text in
  ``$render_data``), what a text finding's evidence screenshots.
- ``/weibo/comments/hotflow?id=MID&mid=MID&max_id_type=0`` → the post's comments with the
  replies under them (``comments``), ``max_id`` 0 as a visitor sees it; no comments →
  ``{"ok":0,…}``. Per post ``comments: [{text, user?, replies: [{text, by_account?}]}]``;
  without it the post's ``comments_count`` ordinary comments are made up.
  ``comments_blocked: 418|432|captcha`` (account key) fails every comment request. Its rate
  limit counts separately from getIndex's.
- ``getIndex?containerid=100103type=3&q=…``: the user search (``weibo_search.py``).
- More than ``rate_limit`` API requests within one second from one client → HTTP 418 for
  ``penalty_seconds``.
- Scenario keys per account: ``blocked: 418|403|432|rate_msg`` (every getIndex for the uid;
  ``rate_msg`` is ``{"ok":0,"msg":"访问频次过高…"}`` with HTTP 200), ``captcha: true``
  (captcha JSON), ``unknown: true`` (placeholder), ``paging: page`` (the 107603 timeline
  gives ``cardlistInfo.page`` and no ``since_id``), ``visitor_pages: N`` (pages after the
  N-th answer ``ok:-100`` with the passport login URL), ``empty_timeline: expired_session``
  (``ok:1`` with only a "暂无微博" card to the first visitor session that asks; renewed
  cookies see the posts) or ``always`` (半年可见 and the like), ``statuses_count`` (the
  profile's count, default the number of posts), ``verified``, ``verified_type``,
  ``verified_reason``, ``description``, ``followers``, ``relative_dates`` (recent posts dated
  刚刚/N小时前/昨天/MM-DD), ``comments_closed`` (also per post: ``enable_comment_guide`` false).
- Tests may tune ``world.state["weibo"]`` (a ``WeiboState``): ``rate_limit``,
  ``penalty_seconds``, ``cookie_ttl_requests`` (visitor cookies stop working after that many
  API requests, to exercise renewal), ``refuse_webdriver``, ``require_side_cookies`` (every
  API path answers 432 unless the visit's side cookie ``SRT`` comes with ``SUB``/``SUBP``).
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
from monitor.sandbox.platforms import weibo_search as S
from monitor.sandbox.server import World, tag

PREFIX = "/weibo"
PASSPORT = "/weibo-passport"
LOGIN_WALL = "https://passport.weibo.cn/signin/welcome?entry=mweibo&r="
RATE_MSG = {"ok": 0, "msg": "访问频次过高，请稍后再试", "data": {}}


@dataclass
class WeiboState:
    rate_limit: int = 20
    rate_window: float = 1.0
    penalty_seconds: float = 2.0
    cookie_ttl_requests: int | None = None
    issued: dict[str, int] = field(default_factory=dict)  # SUB value → API requests made with it
    hits: dict[str, deque] = field(default_factory=dict)
    penalty_until: dict[str, float] = field(default_factory=dict)
    long_posts: dict[str, tuple[str, str]] = field(default_factory=dict)  # post id → (uid, post id)
    served_posts: dict[str, str] = field(default_factory=dict)  # post id → uid (for /comments/hotflow)
    refuse_webdriver: bool = True
    # The 432 waves of 2025–26: visitor cookies work only with the side cookies the same visit
    # set (SRT), so a client keeping SUB/SUBP alone, or sending them to some paths only, gets
    # 432 (platforms_2026.md: "keep all cookies the visitor flow sets").
    require_side_cookies: bool = False
    side_cookies: dict[str, str] = field(default_factory=dict)  # SUB value → the SRT set with it
    # Which long-text paths answer (the real site moved to /statuses/extend in 2024).
    extend_paths: tuple[str, ...] = ("/statuses/extend", "/api/statuses/extend")
    api_headers: dict[str, dict[str, str]] = field(default_factory=dict)  # uid → what the client last sent
    expired: dict[str, str] = field(default_factory=dict)  # uid → the SUB its session expired for
    search_visitor_pages: int = 1  # user-search pages a visitor may read (weibo_search.py)

    def cookies_valid(self, request: web.Request, use: bool = False) -> bool:
        sub, subp = request.cookies.get("SUB"), request.cookies.get("SUBP")
        if not sub or not subp or sub not in self.issued:
            return False
        if self.require_side_cookies and sub in self.side_cookies and request.cookies.get("SRT") != self.side_cookies[sub]:
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
    return web.HTTPFound(f"{PASSPORT}/visitor/visitor?a=enter&entry=mweibo&domain=weibo.cn&url={quote(back, safe='')}")


def _empty_timeline(containerid: str) -> dict:
    """What an expired visitor session (or a 半年可见 account) gets: ok:1, no posts."""
    return {"ok": 1, "data": {"cardlistInfo": {"containerid": containerid, "v_p": 42, "show_style": 1,
                                               "total": 0, "since_id": ""},
                              "cards": [{"card_type": 58, "itemid": "", "name": "暂无微博", "desc": "暂无微博",
                                         "show_type": 0}],
                              "showAppTips": 0}}


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
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sina Visitor System</title></head>
<body><p>Sina Visitor System</p><script>
(function () {{
  var back = {json.dumps(back)};
  var xhr = new XMLHttpRequest();
  xhr.open("POST", {json.dumps(PASSPORT + "/visitor/genvisitor2")});
  xhr.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
  xhr.onload = function () {{
    if (!/"retcode":\\s*20000000/.test(xhr.responseText)) return;
    location.replace(back);
  }};
  xhr.send("cb=visitor_gray_callback&ver=20250916&request_id=" + Math.random().toString(16).slice(2) +
    "&tid=&from=weibo&webdriver=" + (navigator.webdriver ? "true" : "false") + "&rid=&return_url=" +
    encodeURIComponent(back));
}})();
</script></body></html>"""
        return web.Response(text=page, content_type="text/html")

    async def genvisitor2(request: web.Request):
        tag(request, "weibo")
        form = await request.post()
        cb = str(form.get("cb") or "visitor_gray_callback")
        if state.refuse_webdriver and form.get("webdriver") != "false":
            body = json.dumps({"retcode": 50111, "msg": "webdriver", "data": {}})
            return web.Response(text=f"window.{cb} && {cb}({body});", content_type="application/javascript")
        sub = "_2AkM" + secrets.token_hex(20)
        subp = "0033WrSXqPxfM72-Ws9jqgMF55529P9D9W" + secrets.token_hex(12)
        state.issued[sub] = 0
        body = json.dumps({"retcode": 20000000, "msg": "succ",
                           "data": {"sub": sub, "subp": subp, "next": back_or_home(form)}})
        resp = web.Response(text=f"window.{cb} && {cb}({body});", content_type="application/javascript")
        resp.set_cookie("SUB", sub, path="/", httponly=True)
        resp.set_cookie("SUBP", subp, path="/")
        # The real flow sets more than SUB/SUBP; clients that keep only those two met 432s.
        state.side_cookies[sub] = secrets.token_hex(8)
        resp.set_cookie("SRT", state.side_cookies[sub], path="/")
        resp.set_cookie("SRF", str(int(time.time())), path="/")
        return resp

    def back_or_home(form) -> str:
        back = str(form.get("return_url") or f"{PREFIX}/")
        return back if back.startswith(PREFIX + "/") else f"{PREFIX}/"

    async def get_index(request: web.Request):
        q = request.query
        cid = q.get("containerid", "")
        uid, kind = None, None
        if q.get("type") == "uid" and q.get("value") and not cid:
            uid, kind = q["value"], "profile"
        elif cid[:6] in ("100505", "107603", "230413") and cid[6:].isdigit():
            uid, kind = cid[6:], {"100505": "profile", "107603": "timeline", "230413": "timeline"}[cid[:6]]
        tag(request, "weibo", uid)
        if uid:
            state.api_headers[uid] = dict(request.headers)
        if state.rate_limited(request.remote or ""):
            return web.Response(status=418, reason="I'm a teapot", text="")
        if not state.cookies_valid(request, use=True):
            return web.Response(status=432, reason="No Reason Phrase", text="")
        fault = world.faults.pick()
        if fault == "timeout":
            await asyncio.sleep(world.faults.timeout_seconds)
        elif fault:
            return _fault_response(fault)
        query = S.search_query(cid)
        if query is not None:
            return S.answer(world, state, request, cid, query, _base(request), _fault_response, RATE_MSG, LOGIN_WALL)
        acc = world.scenario.account("weibo", uid) if uid else None
        if acc is None or acc.get("unknown"):
            return web.json_response(P.PLACEHOLDER)
        blocked = acc.get("blocked")
        if blocked:
            if str(blocked) == "rate_msg":
                return web.json_response(RATE_MSG)
            return _fault_response(str(blocked)) if str(blocked) != "403" else web.Response(status=403, text="Forbidden")
        if acc.get("captcha"):
            return _fault_response("captcha")
        base = _base(request)
        if kind == "profile":
            return web.json_response(P.profile_payload(acc, base))
        by_page = cid.startswith("230413") or acc.get("paging") == "page"
        page = (int(q["page"]) if q.get("page", "").isdigit() else 1) if by_page else None
        depth = page if page is not None else (2 if q.get("since_id") else 1)
        limit = acc.get("visitor_pages")
        if limit is not None and depth > int(limit):
            return web.json_response({"ok": -100, "url": LOGIN_WALL + quote(f"{base}/u/{uid}", safe="")})
        empty = acc.get("empty_timeline")
        if empty == "always" or (empty == "expired_session"
                                 and state.expired.setdefault(uid, request.cookies.get("SUB", "")) == request.cookies.get("SUB")):
            return web.json_response(_empty_timeline(cid))
        payload = P.timeline_payload(acc, base, world.at, cid, since_id=q.get("since_id"), page=page,
                                     groups=cid.startswith("230413"))
        for c in payload["data"]["cards"]:
            m = (c.get("mblog") or (c.get("card_group") or [{}])[0].get("mblog") or {})
            if m.get("id"):
                state.served_posts[m["id"]] = acc.id
            if m.get("isLongText"):
                state.long_posts[m["id"]] = (acc.id, m["id"])
        return web.json_response(payload)

    async def extend(request: web.Request):
        pid = request.query.get("id", "")
        owner = state.long_posts.get(pid)
        tag(request, "weibo", owner[0] if owner else None)
        if request.path.removeprefix(PREFIX) not in state.extend_paths:
            return web.Response(status=404, text="Not Found")
        if state.rate_limited(request.remote or ""):
            return web.Response(status=418, reason="I'm a teapot", text="")
        if not state.cookies_valid(request, use=True):
            return web.Response(status=432, reason="No Reason Phrase", text="")
        acc = world.scenario.account("weibo", owner[0]) if owner else None
        post = next((p for p in acc.posts if p.id == pid), None) if acc else None
        if post is None:
            return web.json_response({"ok": 0, "msg": "这里还没有内容", "data": {}})
        return web.json_response(P.extend_payload(post))

    async def hotflow(request: web.Request):
        pid = request.query.get("id", "")
        uid = state.served_posts.get(pid)
        tag(request, "weibo", uid)
        # The comment service limits on its own count (an assumption: its answers come from a
        # different backend than getIndex); a burst of comment requests gets 418 here without
        # penalising the client's timeline requests.
        if state.rate_limited((request.remote or "") + "#comments"):
            return web.Response(status=418, reason="I'm a teapot", text="")
        if not state.cookies_valid(request, use=True):
            return web.Response(status=432, reason="No Reason Phrase", text="")
        acc = world.scenario.account("weibo", uid) if uid else None
        post = next((p for p in acc.posts if p.id == pid), None) if acc else None
        if acc is not None and acc.get("comments_blocked"):
            return _fault_response(str(acc.get("comments_blocked")))
        return web.json_response(P.hotflow_payload(post, acc, _base(request), world.at) if post else P.NO_COMMENTS)

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
    app.router.add_get(f"{PASSPORT}/visitor/visitor", visitor)
    app.router.add_post(f"{PASSPORT}/visitor/genvisitor2", genvisitor2)
    app.router.add_get(f"{PREFIX}/api/container/getIndex", get_index)
    app.router.add_get(f"{PREFIX}/statuses/extend", extend)
    app.router.add_get(f"{PREFIX}/api/statuses/extend", extend)
    async def status_page(request: web.Request):
        found = _find_status(world, request.match_info["bid"])
        tag(request, "weibo", found[0].id if found else None)
        if not state.cookies_valid(request):
            raise _visitor_redirect(request)
        if found is None:
            return web.Response(status=404, content_type="text/html",
                                text="<!DOCTYPE html><html><head><meta charset='utf-8'><title>微博</title></head>"
                                     "<body><p>微博不存在或暂无查看权限</p></body></html>")
        return web.Response(text=_status_html(*found, _base(request), world), content_type="text/html")

    app.router.add_get(f"{PREFIX}/comments/hotflow", hotflow)
    app.router.add_get(f"{PREFIX}/u/{{uid}}", profile_page)
    app.router.add_get(f"{PREFIX}/status/{{bid}}", status_page)


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


def _find_status(world: World, ref: str):
    """(account, post) of a ``/status/{bid or id}`` link (the post URLs the spider stores)."""
    for acc in world.scenario.accounts("weibo"):
        for post in acc.posts:
            if ref in (post.id, P.bid(post.id)):
                return acc, post
    return None


def _status_html(acc, post, base: str, world: World) -> str:
    """A post's own page as m.weibo.cn serves it: the whole text (a long post in full) in
    ``$render_data``, which the page's script renders, and readable without it."""
    esc = html.escape
    status = P.mblog(post, acc, base, world.at, relative=False)
    if post.long:
        status.update(text=P.text_html(P.long_text(post)), isLongText=False)
    when = post.published_at.astimezone(world.at.tzinfo)
    data = json.dumps([{"status": status, "call": "1"}], ensure_ascii=False).replace("</", "<\\/")
    return f"""<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>微博正文 - 微博</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;margin:16px}} .time{{color:#f60}}</style></head>
<body><div id="app"><header><h1 class="screen-name">{esc(acc.name)}</h1>
<p class="time">{when:%Y-%m-%d %H:%M}</p></header>
<article class="weibo-text">{status["text"]}</article></div>
<script>var $render_data = {data}[0] || {{}};</script></body></html>"""