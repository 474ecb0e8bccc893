"""Simulated official app download URLs under ``/apps``.

The route table is data: ``path → behaviour`` (a dict with ``serve`` and its options), built
from the scenario's ``platform: app`` accounts (key ``download``) plus a fixed catalogue under
``/apps/cases/…`` with one route per failure kind; tests add their own with ``add_route``.

Behaviours (``serve``):
  apk (``file``; ``ranges: false`` ignores Range)      truncated (``file``, ``keep`` fraction)
  html (a web page served as .apk; ``pad`` bytes)      empty (0-byte file)
  status (``code``: 404, 410, 418, 429, 500, 503 …)    login_redirect (302 → an SSO login page)
  expired (403 with an OSS-style XML error body)       captcha (a WAF verification page)
  large (``size_mb``: a signed APK made on demand)      zip_no_manifest (a ZIP that is not an APK)
  short_range (a 206 shorter than its Content-Range)   cut (Content-Length announced, connection dropped)
  redirect (``hops`` 302s, then ``to``: a CDN chain)    ``apk`` with ``content_type`` / ``filename``
  landing (a download page; ``kind``: link, button, meta, js, click, nested, harmony, empty;
           ``apk``, ``apple_id``, ``appgallery_id``, ``page2``; ``cut``: the fraction of the page sent)
  manifest_bomb (``mib``: a 3 MB APK whose manifest inflates to 3000 MiB)
  entry_bomb (``mib``: a sound 5 MB APK with one asset inflating to 5000 MiB)
  hang (accepts and never answers; sets ``world.state["apps_hung"]``)
  redirect (302 to ``to``, any absolute URL: a CDN or short link pointing elsewhere)

Range support as real servers: ``Accept-Ranges: bytes``; ``bytes=a-b``, ``bytes=a-`` and
suffix ``bytes=-n`` answer 206 with ``Content-Range``; unsatisfiable ranges answer 416 with
``Content-Range: bytes */size``. ``world.state["apps_bytes"]`` counts body bytes sent per path.
"""
from __future__ import annotations

import asyncio
import io
import re
import zipfile
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiohttp import web

from monitor.sandbox import bombs
from monitor.sandbox.apk.build import FILES, large_apk
from monitor.sandbox.server import World, tag

PREFIX = "/apps"
APK_TYPE = "application/vnd.android.package-archive"

CASES: dict[str, dict[str, Any]] = {
    "good.apk": {"serve": "apk", "file": "baitong.apk"},
    "no-range.apk": {"serve": "apk", "file": "baitong.apk", "ranges": False},
    "html.apk": {"serve": "html"},
    "truncated.apk": {"serve": "truncated", "file": "baitong.apk"},
    "empty.apk": {"serve": "empty"},
    "missing.apk": {"serve": "status", "code": 404},
    "server-error.apk": {"serve": "status", "code": 500},
    "login": {"serve": "login_redirect"},
    "expired.apk": {"serve": "expired"},
    "landing": {"serve": "landing", "kind": "js", "apk": "/apps/cases/good.apk", "apple_id": "1660000015"},
    "landing-link": {"serve": "landing", "kind": "link", "apk": "/apps/cases/good.apk", "apple_id": "1660000015"},
    "landing-button": {"serve": "landing", "kind": "button", "apk": "/apps/cases/good.apk"},
    "landing-meta": {"serve": "landing", "kind": "meta", "apk": "/apps/cases/good.apk"},
    "landing-click": {"serve": "landing", "kind": "click", "apk": "/apps/cases/cdn.apk"},
    "landing-nested": {"serve": "landing", "kind": "nested", "page2": "/apps/cases/landing-link"},
    "landing-harmony": {"serve": "landing", "kind": "harmony", "appgallery_id": "C576588020785000001"},
    "landing-empty": {"serve": "landing", "kind": "empty"},
    "landing-broken": {"serve": "landing", "kind": "link", "apk": "/apps/cases/missing.apk"},
    "landing-cut": {"serve": "landing", "kind": "link", "apk": "/apps/cases/good.apk", "cut": 0.2},
    "unsigned.apk": {"serve": "apk", "file": "unsigned.apk"},
    "target22.apk": {"serve": "apk", "file": "target22.apk"},
    "v1only-target30.apk": {"serve": "apk", "file": "v1only-target30.apk"},
    "arsc-compressed.apk": {"serve": "apk", "file": "arsc-compressed.apk"},
    "other-package.apk": {"serve": "apk", "file": "chongchuan.apk"},
    "not-apk.zip": {"serve": "zip_no_manifest"},
    "large.apk": {"serve": "large", "size_mb": 6},
    "large-no-range.apk": {"serve": "large", "size_mb": 6, "ranges": False},
    "manifest-bomb.apk": {"serve": "manifest_bomb"},
    "entry-bomb.apk": {"serve": "entry_bomb"},
    # Answers that only show we could not look (outcome unknown, never fail).
    "server-error.apk": {"serve": "status", "code": 500},
    "unavailable.apk": {"serve": "status", "code": 503},
    "teapot.apk": {"serve": "status", "code": 418},
    "too-many.apk": {"serve": "status", "code": 429},
    "forbidden.apk": {"serve": "status", "code": 403},
    "gone.apk": {"serve": "status", "code": 410},
    "captcha.apk": {"serve": "captcha"},
    "short-206.apk": {"serve": "short_range", "file": "baitong.apk"},
    "cut.apk": {"serve": "cut", "file": "baitong.apk"},
    # Download servers as they are: CDN redirect chains, wrong types, attachment names.
    "cdn.apk": {"serve": "redirect", "hops": 3, "to": "/apps/cases/octet.apk"},
    "redirect-loop.apk": {"serve": "redirect", "hops": 50, "to": "/apps/cases/good.apk"},
    "octet.apk": {"serve": "apk", "file": "baitong.apk", "content_type": "application/octet-stream",
                  "filename": "南通百通_v3.4.0.apk"},
    "text-plain.apk": {"serve": "apk", "file": "baitong.apk", "content_type": "text/plain", "ranges": False},
}


def routes(world: World) -> dict[str, dict[str, Any]]:
    """The route table (built once per world; scale scenarios have no apps)."""
    table = world.state.get("apps_routes")
    if table is None:
        table = {f"{PREFIX}/cases/{name}": dict(b) for name, b in CASES.items()}
        by_key = getattr(world.scenario, "_by_key", {})
        for (platform, account_id), acc in by_key.items():
            if platform != "app":
                continue
            # ``download`` is the registered URL; ``routes`` the files its page links to.
            for spec in ([acc.get("download")] if acc.get("download") else []) + list(acc.get("routes") or []):
                spec = dict(spec)
                path = spec.pop("path")
                path = path if path.startswith("/") else f"{PREFIX}/download/{path}"
                table[path] = {**spec, "account": account_id}
        world.state["apps_routes"] = table
    return table


def add_route(world: World, path: str, behaviour: dict[str, Any]) -> None:
    """Add or replace one route (tests use this for new cases)."""
    routes(world)[path] = behaviour


@lru_cache(maxsize=32)
def _file(name: str) -> bytes:
    path = FILES / name
    if not path.is_file():
        raise FileNotFoundError(f"sandbox APK {name!r} not in {FILES}")
    return path.read_bytes()


@lru_cache(maxsize=4)
def _large(size_mb: int) -> bytes:
    return Path(large_apk(size_mb)).read_bytes()


@lru_cache(maxsize=1)
def _zip_no_manifest() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "这不是安装包")
        z.writestr("data/app.bin", b"\x00" * 512)
    return buf.getvalue()


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def serve_bytes(request: web.Request, data: bytes, content_type: str = APK_TYPE, ranges: bool = True,
                filename: str | None = None) -> web.Response:
    """Answer with ``data`` honouring a single Range as real file servers do."""
    size = len(data)
    headers = {"Content-Type": content_type}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    if ranges:
        headers["Accept-Ranges"] = "bytes"
    header = request.headers.get("Range")
    if ranges and header:
        m = _RANGE.match(header.strip())
        start = end = None
        if m and (m.group(1) or m.group(2)):
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            else:  # suffix range: the last N bytes
                n = int(m.group(2))
                start, end = max(0, size - n), size - 1
                if n == 0:
                    start = None
        if start is None or start >= size or end < start:
            headers["Content-Range"] = f"bytes */{size}"
            return _count(request, web.Response(status=416, headers=headers))
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return _count(request, web.Response(status=206, body=data[start:end + 1], headers=headers))
    return _count(request, web.Response(status=200, body=data, headers=headers))


def _count(request: web.Request, resp: web.Response) -> web.Response:
    counter: Counter = request.app["world"].state.setdefault("apps_bytes", Counter())
    counter[request.path] += len(resp.body or b"")
    return resp


def _short_range(request: web.Request, data: bytes) -> web.Response:
    """A 206 whose body is shorter than its own Content-Range (a CDN edge cutting a range)."""
    m = _RANGE.match((request.headers.get("Range") or "").strip())
    size = len(data)
    if not m or not (m.group(1) or m.group(2)):
        return serve_bytes(request, data)
    if m.group(1):
        start, end = int(m.group(1)), min(int(m.group(2) or size - 1), size - 1)
    else:
        start, end = max(0, size - int(m.group(2))), size - 1
    body = data[start:start + max(1, (end - start + 1) // 3)]
    return _count(request, web.Response(status=206, body=body, headers={
        "Content-Type": APK_TYPE, "Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{size}"}))


async def _cut(request: web.Request, data: bytes) -> web.StreamResponse:
    """Announce the whole file, send part of it and drop the connection (a cut transfer)."""
    resp = web.StreamResponse(status=200, headers={"Content-Type": APK_TYPE, "Content-Length": str(len(data))})
    await resp.prepare(request)
    part = data[:max(1, len(data) // 3)]
    await resp.write(part)
    counter: Counter = request.app["world"].state.setdefault("apps_bytes", Counter())
    counter[request.path] += len(part)
    if request.transport is not None:
        request.transport.close()
    return resp


_CAPTCHA = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>安全验证</title></head>
<body><div class="waf">您的访问过于频繁，请完成安全验证后继续访问</div><div id="nc_slider">请拖动滑块</div></body></html>"""

_HTML_AS_APK = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>页面不存在</title></head>
<body><h1>404 页面不存在</h1><p>您访问的页面不存在或已被删除。</p></body></html>"""

_LOGIN_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>统一身份认证平台</title></head>
<body><form method="post" action="/apps/sso/login"><h2>统一身份认证 登录</h2>
<input name="username" placeholder="用户名"><input name="password" type="password" placeholder="密码">
<button type="submit">登录</button></form></body></html>"""

_EXPIRED = """<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>AccessDenied</Code>
  <Message>Request has expired.</Message>
  <RequestId>5F3A2B1C0D9E8F7A6B5C4D3E</RequestId>
  <HostId>gov-apps.oss-cn-shanghai.aliyuncs.com</HostId>
  <Expires>2025-03-01T08:00:00.000Z</Expires>
  <ServerTime>{now}</ServerTime>
</Error>
"""

_LANDING_HEAD = """<!DOCTYPE html><html><head><meta charset="utf-8">{meta}
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{name}APP下载</title></head>
<body><div class="header"><a href="/">首页</a> <a href="/apps/cases/missing-help.html">帮助中心</a></div>
<h1>{name}</h1><p id="tip">扫码或点击下方按钮下载</p>
"""

# Android download markup per landing kind ({apk} is the APK's URL).
_LANDING_ANDROID = {
    # a plain link: the most common government download page
    "link": '<p><a class="btn" href="{apk}">安卓版下载</a></p>',
    # a button whose onclick navigates to the file
    "button": '<p><button class="btn" onclick="window.location.href=\'{apk}\'">Android 下载</button></p>',
    # the page moves on by itself
    "meta": '<p>正在跳转到下载…</p>',
    "js": ('<p><a id="android" href="javascript:void(0)">安卓版下载</a></p><script>'
           'var ua = navigator.userAgent;'
           'if (/MicroMessenger/i.test(ua)) {{ document.getElementById("tip").textContent = "请点击右上角，选择在浏览器中打开"; }}'
           'else if (/Android/i.test(ua)) {{ document.getElementById("android").href = "{apk}";'
           ' setTimeout(function () {{ window.location.href = "{apk}"; }}, 50); }}</script>'),
    # a click that asks an API for the current file, then starts the download
    "click": ('<p><span class="dl" id="dl">立即下载</span></p><script>'
              'document.getElementById("dl").addEventListener("click", function () {{'
              ' fetch("/apps/api/latest?apk={apk}").then(function (r) {{ return r.json(); }})'
              '.then(function (d) {{ var a = document.createElement("a"); a.href = d.url; a.download = "app.apk";'
              ' document.body.appendChild(a); a.click(); }}); }});</script>'),
    # a link to a second page that has the file
    "nested": '<p><a href="{page2}">下载安卓客户端</a></p>',
    # HarmonyOS NEXT: no APK, only the AppGallery listing
    "harmony": "",
    # an empty template: a 下载 heading and nothing to download
    "empty": '<h2>APP下载</h2><p>敬请期待</p>',
}


def landing_page(b: dict[str, Any]) -> str:
    kind = b.get("kind", "js")
    apk = b.get("apk", "")
    meta = f'<meta http-equiv="refresh" content="0;url={apk}">' if kind == "meta" else ""
    body = _LANDING_HEAD.format(name=b.get("name", "政务客户端"), meta=meta)
    body += _LANDING_ANDROID[kind].format(apk=apk, page2=b.get("page2", ""))
    if b.get("apple_id"):
        body += f'<p><a class="btn" href="https://apps.apple.com/cn/app/id{b["apple_id"]}">iPhone版 App Store 下载</a></p>'
    if b.get("appgallery_id"):
        body += f'<p><a class="btn" href="https://appgallery.huawei.com/app/{b["appgallery_id"]}">鸿蒙版 华为应用市场</a></p>'
    return body + '<div class="footer">主办单位：南通市人民政府办公室</div></body></html>'


def register(app: web.Application, world: World) -> None:
    async def handle(request: web.Request) -> web.StreamResponse:
        table = routes(world)
        b = table.get(request.path)
        if b is None:
            tag(request, "app")
            return web.Response(status=404, text="404 Not Found", content_type="text/html")
        tag(request, "app", b.get("account"))
        fault = world.faults.pick()
        if fault == "timeout":
            await asyncio.sleep(world.faults.timeout_seconds)
        if fault in ("500", "418", "432"):
            return web.Response(status=int(fault), text=f"HTTP {fault}")
        if fault == "captcha":
            return _count(request, web.Response(text=_CAPTCHA, content_type="text/html", charset="utf-8"))
        kind = b["serve"]
        name = request.path.rsplit("/", 1)[-1]
        ranges = b.get("ranges", True)
        if kind == "apk":
            return serve_bytes(request, _file(b["file"]), ranges=ranges, filename=b.get("filename", name),
                               content_type=b.get("content_type", APK_TYPE))
        if kind == "captcha":
            return _count(request, web.Response(text=_CAPTCHA, content_type="text/html", charset="utf-8"))
        if kind == "short_range":
            return _short_range(request, _file(b["file"]))
        if kind == "cut":
            return await _cut(request, _file(b["file"]))
        if kind == "redirect":
            hop = int(request.query.get("hop", 0))
            if hop + 1 >= int(b.get("hops", 1)):
                raise web.HTTPFound(b["to"])
            raise web.HTTPFound(f"{request.path}?hop={hop + 1}")
        if kind == "large":
            return serve_bytes(request, _large(int(b.get("size_mb", 6))), ranges=ranges, filename=name)
        if kind == "hang":
            world.state["apps_hung"] = True
            await asyncio.sleep(3600)
        if kind == "manifest_bomb":
            return serve_bytes(request, bombs.manifest_bomb(int(b.get("mib", 3000))), ranges=ranges, filename=name)
        if kind == "entry_bomb":
            return serve_bytes(request, bombs.entry_bomb(int(b.get("mib", 5000))), ranges=ranges, filename=name)
        if kind == "truncated":
            data = _file(b["file"])
            return serve_bytes(request, data[:int(len(data) * float(b.get("keep", 0.6)))], ranges=ranges, filename=name)
        if kind == "empty":
            return serve_bytes(request, b"", ranges=ranges, filename=name)
        if kind == "zip_no_manifest":
            return serve_bytes(request, _zip_no_manifest(), content_type="application/zip", ranges=ranges, filename=name)
        if kind == "html":
            # Soft-404 pages ignore Range, as most CMS error pages do.
            page = _HTML_AS_APK + "<!-- " + "x" * int(b.get("pad", 0)) + " -->"  # ``pad``: a big page
            return _count(request, web.Response(text=page, content_type="text/html", charset="utf-8"))
        if kind == "status":
            code = int(b.get("code", 404))
            return _count(request, web.Response(status=code, text=f"<html><body><h1>{code}</h1></body></html>",
                                                content_type="text/html"))
        if kind == "redirect":
            raise web.HTTPFound(b["to"])
        if kind == "login_redirect":
            raise web.HTTPFound(f"{PREFIX}/sso/login?service={request.url}")
        if kind == "expired":
            return _count(request, web.Response(status=403, text=_EXPIRED.format(now=world.at.isoformat()),
                                                content_type="application/xml"))
        if kind == "landing":
            page = landing_page(b)
            if b.get("cut"):  # a page cut short on the way (``cut``: the fraction sent)
                page = page[:int(len(page) * float(b["cut"]))]
            return _count(request, web.Response(text=page, content_type="text/html", charset="utf-8"))
        raise web.HTTPInternalServerError(text=f"sandbox: unknown app behaviour {kind!r} for {request.path}")

    async def login_page(request: web.Request) -> web.Response:
        tag(request, "app")
        return web.Response(text=_LOGIN_PAGE, content_type="text/html", charset="utf-8")

    async def latest(request: web.Request) -> web.Response:
        tag(request, "app")  # a landing page's "which file is current" API
        return web.json_response({"url": request.query.get("apk", ""), "version": "3.4.0"})

    app.router.add_get(f"{PREFIX}/sso/login", login_page)
    app.router.add_get(f"{PREFIX}/api/latest", latest)
    app.router.add_get(PREFIX + "/{tail:.*}", handle)
