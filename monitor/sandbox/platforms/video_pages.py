"""Public profile pages of 抖音, 今日头条 and 快手, and the JSON their scripts load, in the real
shapes (docs/research/short_video_platforms.md):

- ``/douyin/user/{sec_uid}`` → the script asks ``/douyin/aweme/v1/web/aweme/post/`` and
  ``/douyin/aweme/v1/web/user/profile/other/``;
- ``/toutiao/c/user/token/{token}/`` → ``/toutiao/api/pc/list/feed?category=profile_all…``;
- ``/kuaishou/profile/{id}`` → POST ``/kuaishou/graphql`` (``visionProfile``,
  ``visionProfilePhotoList``).

The APIs want the signature the page's script adds (``a_bogus`` / ``NS_sig3``): asked
without it they answer as the platforms do — 抖音/头条 HTTP 200 with an empty body, 快手
``result: 2``. Account key ``page``: ``captcha`` (the profile is a verification page, as
抖音's 验证码中间页), ``waf`` (the list API answers the empty body even when signed),
``risk`` (快手 ``result: 2``). ``verification`` is the 认证信息 text shown (empty: none).
"""
from __future__ import annotations

import json
import zlib
from xml.sax.saxutils import escape

from aiohttp import web

from monitor.sandbox.server import World, tag

# The page computes it; the API only checks that one is there and belongs to the query.
_SIGN_JS = "function sign(q){let h=7;for(const c of q){h=(h*31+c.charCodeAt(0))>>>0}return 'S'+h.toString(16)}"


def _sign(query: str) -> str:
    h = 7
    for c in query:
        h = (h * 31 + ord(c)) & 0xFFFFFFFF
    return "S" + format(h, "x")


def _html(title: str, body: str, script: str = "") -> web.Response:
    return web.Response(text=f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{escape(title)}"
                             f"</title></head><body>{body}<script>{_SIGN_JS}\n{script}</script></body></html>",
                        content_type="text/html", charset="utf-8")


def captcha_page() -> web.Response:
    return _html("验证码中间页", "<div id=\"captcha_container\">请完成下列验证后继续</div>")


def _epoch(dt) -> int:
    return int(dt.timestamp())


def douyin_posts(acc) -> dict:
    verification = acc.get("verification", "")
    author = {"nickname": acc.name, "sec_uid": acc.id, "uid": "1" + str(zlib.crc32(acc.id.encode())),
              "enterprise_verify_reason": verification, "custom_verify": "", "avatar_thumb": {"url_list": []}}
    return {"status_code": 0, "min_cursor": 0, "max_cursor": 0, "has_more": 0, "aweme_list": [
        {"aweme_id": p.id, "desc": p.text, "create_time": _epoch(p.published_at), "is_top": int(p.pinned),
         "author": author, "aweme_type": 0, "statistics": {"digg_count": 3}, "video": {"duration": 15000},
         "text_extra": [], "video_tag": []} for p in acc.posts[:18]]}


def douyin_profile(acc) -> dict:
    return {"status_code": 0, "user": {"nickname": acc.name, "sec_uid": acc.id, "aweme_count": len(acc.posts),
                                       "enterprise_verify_reason": acc.get("verification", ""), "custom_verify": ""}}


def toutiao_feed(acc) -> dict:
    info = {"name": acc.name, "user_id": "5" + str(zlib.crc32(acc.id.encode())), "user_verified": bool(acc.get("verification")),
            "verified_content": acc.get("verification", ""), "avatar_url": "", "description": acc.get("intro", "")}
    data = []
    for p in acc.posts[:20]:
        cell = {"video": 0, "weitoutiao": 32}.get(p.extra.get("cell", ""), 60)
        item = {"id": p.id, "item_id": p.id, "group_id": p.id, "cell_type": cell, "title": p.title,
                "abstract": p.text, "publish_time": _epoch(p.published_at), "behot_time": _epoch(p.published_at),
                "is_original": p.kind == "original", "user_info": info}
        if cell == 32:
            item["content"] = p.text
            item["user"] = {"name": acc.name, "verified_content": acc.get("verification", "")}
        if p.kind == "repost":
            item["origin_thread"] = {"thread_id": "7" + p.id[1:]}
        data.append(item)
    return {"data": data, "has_more": False, "message": "success"}


def kuaishou_photos(acc) -> dict:
    feeds = [{"type": 1, "author": {"id": acc.id, "name": acc.name}, "photo": {
        "id": "3x" + p.id[-12:], "caption": p.text, "timestamp": _epoch(p.published_at) * 1000,
        "profileUserTopPhoto": p.pinned, "duration": 15000, "likeCount": "3"}} for p in acc.posts[:12]]
    return {"data": {"visionProfilePhotoList": {"result": 1, "llsid": "2001", "webPageArea": "profilexxnull",
                                                "feeds": feeds, "hostName": "sandbox", "pcursor": "no_more"}}}


def register(app: web.Application, world: World) -> None:
    def account(platform: str, request: web.Request):
        uid = request.match_info.get("id") or request.query.get("sec_user_id") or request.query.get("token") or ""
        tag(request, platform, uid or None)
        return world.scenario.account(platform, uid)

    def signed(request: web.Request) -> bool:
        query = "&".join(f"{k}={v}" for k, v in request.query.items() if k != "a_bogus")
        return request.query.get("a_bogus") == _sign(query)

    def profile_account(platform: str, request: web.Request, site: str):
        """(account, None), or (None, the page the site shows instead: no such user, a captcha)."""
        acc = account(platform, request)
        if acc is None:
            return None, _html(site, "<p>用户不存在</p>")
        if acc.get("page") == "captcha":
            return None, captcha_page()
        return acc, None

    def api_account(platform: str, request: web.Request):
        """The account a signed API call may see, or None: unknown, unsigned or WAF'd calls get
        HTTP 200 with an empty body, as the real APIs answer them."""
        acc = account(platform, request)
        return None if acc is None or not signed(request) or acc.get("page") == "waf" else acc

    def empty_json() -> web.Response:
        return web.Response(status=200, body=b"", content_type="application/json")

    # ── 抖音 ──────────────────────────────────────────────────────────────
    async def douyin_page(request):
        acc, instead = profile_account("douyin", request, "抖音")
        if acc is None:
            return instead
        script = f"""const u={json.dumps(acc.id)};
for (const p of ['aweme/post/?device_platform=webapp&aid=6383&sec_user_id='+u+'&max_cursor=0&count=18',
                 'user/profile/other/?device_platform=webapp&aid=6383&sec_user_id='+u]) {{
  const q=p.split('?')[1]; fetch('/douyin/aweme/v1/web/'+p+'&a_bogus='+sign(q)).then(r=>r.text()).then(t=>{{
    if (t) document.getElementById('works').textContent += t.length + ' '; }});
}}"""
        return _html(f"{acc.name}的抖音 - 抖音", f"<h1>{escape(acc.name)}</h1><p class=\"verify\">"
                     f"{escape(acc.get('verification', ''))}</p><div id=\"works\"></div>", script)

    async def douyin_api(request):
        acc = api_account("douyin", request)
        if acc is None:
            return empty_json()
        doc = douyin_posts(acc) if request.match_info["what"] == "aweme/post" else douyin_profile(acc)
        return web.json_response(doc)

    # ── 今日头条 ───────────────────────────────────────────────────────────
    async def toutiao_page(request):
        acc, instead = profile_account("toutiao", request, "今日头条")
        if acc is None:
            return instead
        script = f"""const q='category=profile_all&token='+{json.dumps(acc.id)}+'&max_behot_time=0&entrance_gid=&aid=24&app_name=toutiao_web';
fetch('/toutiao/api/pc/list/feed?'+q+'&a_bogus='+sign(q)).then(r=>r.text()).then(t=>{{document.getElementById('feed').textContent=t.length}});"""
        return _html(f"{acc.name}的头条主页 - 今日头条(www.toutiao.com)", f"<h1>{escape(acc.name)}</h1><div id=\"feed\"></div>",
                     script)

    async def toutiao_api(request):
        acc = api_account("toutiao", request)
        if acc is None:
            return empty_json()
        return web.json_response(toutiao_feed(acc))

    # ── 快手 ──────────────────────────────────────────────────────────────
    async def kuaishou_page(request):
        acc, instead = profile_account("kuaishou", request, "快手")
        if acc is None:
            return instead
        script = f"""const u={json.dumps(acc.id)};
for (const op of ['visionProfile','visionProfilePhotoList']) {{
  const body=JSON.stringify({{operationName:op,variables:{{userId:u,pcursor:'',page:'profile'}},query:'query '+op}});
  fetch('/kuaishou/graphql?NS_sig3='+sign(body),{{method:'POST',headers:{{'content-type':'application/json'}},body}})
    .then(r=>r.text()).then(t=>{{document.getElementById('works').textContent+=t.length+' '}});
}}"""
        return _html(f"{acc.name}的个人主页 - 快手", f"<h1>{escape(acc.name)}</h1><div id=\"works\"></div>", script)

    async def kuaishou_graphql(request):
        raw = await request.text()
        try:
            body = json.loads(raw)
            uid = body["variables"]["userId"]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"errors": [{"message": "bad request"}]}, status=400)
        tag(request, "kuaishou", uid)
        acc = world.scenario.account("kuaishou", uid)
        ok_sig = request.query.get("NS_sig3") == _sign(raw)
        if body.get("operationName") == "visionProfile":
            return web.json_response({"data": {"visionProfile": {"result": 1, "userProfile": {
                "profile": {"user_name": acc.name if acc else "", "user_id": uid}}}}})
        if acc is None or not ok_sig or acc.get("page") == "risk":
            return web.json_response({"data": {"visionProfilePhotoList": {"result": 2, "llsid": None, "feeds": [],
                                                                         "pcursor": None}}})
        return web.json_response(kuaishou_photos(acc))

    app.router.add_get("/douyin/user/{id}", douyin_page)
    app.router.add_get(r"/douyin/aweme/v1/web/{what:aweme/post|user/profile/other}/", douyin_api)
    app.router.add_get("/toutiao/c/user/token/{id}/", toutiao_page)
    app.router.add_get("/toutiao/api/pc/list/feed", toutiao_api)
    app.router.add_get("/kuaishou/profile/{id}", kuaishou_page)
    app.router.add_post("/kuaishou/graphql", kuaishou_graphql)
