"""Simulated app stores under ``/stores``, answering as the real ones do in 2026
(research/platforms_2026.md, App stores).

- ``/stores/apple/lookup?id=N&country=cn`` — the iTunes lookup JSON with the keys of the real
  payload (``shared/fixtures/real/apps``): ``{"resultCount": 1, "results": [{...}]}``;
  ``resultCount`` 0 for an unknown or removed app, and for any storefront but ``cn``. Extra
  (cache-busting) parameters are ignored; the answer is ``text/javascript``.
- 应用宝: ``/stores/yyb/o/simple.jsp?pkgname=`` — the 微下载 HTML page with a
  ``window.systemData={…}`` line (``appDetail`` null when not listed); the old JSON API
  ``/stores/yyb/wechat-apkinfo`` (POST ``{"packagename": pkg}``) →
  ``{"ret":0,"app_detail_records":{pkg:{"app_info":{…"online_status"…},"apk_all_data":{…}}}}``,
  not listed → ``{"ret":0,"app_detail_records":{}}``.
- Huawei AppGallery web edge ``/stores/huawei/edge``: POST ``/webedge/getInterfaceCode`` (needs
  ``Identity-Id``) → a JSON string; POST ``/webedge/appinfo`` (needs ``Interface-Code:
  <code>_<ms>`` of an issued code and the same ``Identity-Id``, else ``rtnCode`` 1002) → the
  record, or an empty body for no such app and for HarmonyOS-NEXT-only apps; POST
  ``/harmony/page-detail`` ``{"pageId": "webAgAppDetail|C…"}`` → ``pages[].data.cardlist
  .layoutData[].data[]`` cards (HarmonyOS apps), ``rtnCode`` 0 and no card when unknown.
- vivo ``/stores/vivo/detail/<id>`` → JSON with ``id`` (null when not listed), ``package_name``,
  ``version_name``, ``version_code``, ``upload_time``, ``download_url``.
- Xiaomi ``/stores/xiaomi/details?id=<pkg>`` → the HTML detail page (label/value ``li`` pairs).

Scenario keys per app account: ``stores: {apple: {id, listed, version, days_ago, seller},
yyb: {listed, online, version, version_code, page}, huawei: {id, listed, shelves, version,
harmony}, vivo: {id, listed, version}, xiaomi: {listed, version}}``; ``shape: changed`` on any
store answers with renamed keys / a changed layout (a store that changed its answer), and
``page: broken`` on 应用宝 serves a 微下载 page without its data (the old API still answers).
Faults: 500/418/432 statuses, ``captcha`` pages, ``timeout`` stalls here; the server applies
``truncated`` and ``layout`` to any answer.
"""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta, timezone
from typing import Any

from aiohttp import web

from monitor.sandbox.server import World, tag

PREFIX = "/stores"


def _store_index(world: World, store: str) -> dict[str, tuple[Any, dict]]:
    """store id → (account, store spec), built once (scale scenarios have no apps)."""
    key = f"stores_index_{store}"
    index = world.state.get(key)
    if index is None:
        index = {}
        for (platform, _), acc in getattr(world.scenario, "_by_key", {}).items():
            spec = (acc.get("stores") or {}).get(store)
            if platform == "app" and spec is not None:
                index[str(spec.get("id", acc.id))] = (acc, spec)
        world.state[key] = index
    return index


def _utc(dt) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def apple_record(acc, spec: dict, at) -> dict[str, Any]:
    track_id = int(spec["id"])
    name = acc.name
    released = at - timedelta(days=float(spec.get("days_ago", 20)))
    seller = spec.get("seller", "南通市大数据管理局")
    slug = spec.get("slug", "app")
    # Same keys as a real lookup result, cn storefront values (CNY, 免费, localized genres).
    return {
        "advisories": [], "appletvScreenshotUrls": [], "artistId": 1660000000 + track_id % 1000,
        "artistName": seller, "artistViewUrl": f"https://apps.apple.com/cn/developer/id{1660000000 + track_id % 1000}?uo=4",
        "artworkUrl100": "https://is1-ssl.mzstatic.com/image/thumb/Purple/v4/app/100x100bb.jpg",
        "artworkUrl512": "https://is1-ssl.mzstatic.com/image/thumb/Purple/v4/app/512x512bb.jpg",
        "artworkUrl60": "https://is1-ssl.mzstatic.com/image/thumb/Purple/v4/app/60x60bb.jpg",
        "averageUserRating": 4.2, "averageUserRatingForCurrentVersion": 4.2,
        "bundleId": spec.get("bundle_id", acc.id), "contentAdvisoryRating": "4+", "currency": "CNY",
        "currentVersionReleaseDate": _utc(released),
        "description": f"{name}是政务服务移动客户端，提供办事指南、在线办理、政策查询等服务。",
        "features": ["iosUniversal"], "fileSizeBytes": str(spec.get("size", 86507520)),
        "formattedPrice": "免费", "genreIds": ["6000", "6012"], "genres": ["商务", "生活"],
        "ipadScreenshotUrls": [], "isGameCenterEnabled": False, "isVppDeviceBasedLicensingEnabled": True,
        "kind": "software", "languageCodesISO2A": ["ZH"], "minimumOsVersion": "12.0", "price": 0,
        "primaryGenreId": 6000, "primaryGenreName": "Business",
        "releaseDate": _utc(at - timedelta(days=float(spec.get("first_days_ago", 1500)))),
        "releaseNotes": "修复已知问题，提升使用体验。", "screenshotUrls": [],
        "sellerName": seller, "sellerUrl": "https://www.nantong.gov.cn",
        "supportedDevices": ["iPhone12-iPhone12", "iPhone13-iPhone13", "iPhone14-iPhone14"],
        "trackCensoredName": name, "trackContentRating": "4+", "trackId": track_id, "trackName": name,
        "trackViewUrl": f"https://apps.apple.com/cn/app/{slug}/id{track_id}?uo=4",
        "userRatingCount": 1024, "userRatingCountForCurrentVersion": 128,
        "version": str(spec.get("version", "3.4.0")), "wrapperType": "software",
    }


def _json(data: Any, status: int = 200, content_type: str = "application/json") -> web.Response:
    return web.Response(status=status, text=json.dumps(data, ensure_ascii=False), content_type=content_type,
                        charset="utf-8")


async def _body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except (json.JSONDecodeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


async def _param(request: web.Request, name: str) -> str | None:
    if request.method == "POST":
        try:
            body = await request.json()
        except (json.JSONDecodeError, ValueError):
            return None
        return str(body.get(name)) if isinstance(body, dict) and body.get(name) is not None else None
    return request.query.get(name)


async def _fault(world: World, spec: dict | None = None) -> str | None:
    """The injected fault for this request, or ``layout`` when the spec says ``shape: changed``
    (the server itself applies the body faults ``truncated`` and ``layout`` to any answer)."""
    fault = world.faults.pick()
    if fault == "timeout":
        await asyncio.sleep(world.faults.timeout_seconds)
    if fault is None and spec and spec.get("shape") == "changed":
        return "layout"
    return fault


def _fault_response(fault: str | None) -> web.Response | None:
    if fault in ("500", "418", "432"):
        return web.Response(status=int(fault), text=f"HTTP {fault}")
    if fault == "captcha":
        return web.Response(text=_CAPTCHA_PAGE, content_type="text/html", charset="utf-8")
    return None


_CAPTCHA_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>安全验证</title></head>
<body><div id="captcha">请完成安全验证：拖动滑块完成拼图</div></body></html>"""


def _renamed(data: Any) -> Any:
    """A store that changed its answer: every key renamed (camelCase ↔ snake_case-ish)."""
    if isinstance(data, dict):
        return {f"{k}_v2": _renamed(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_renamed(x) for x in data]
    return data


def _days_ago(world: World, spec: dict, default: float):
    return world.at - timedelta(days=float(spec.get("days_ago", default)))


def yyb_record(acc, spec: dict, pkg: str, world: World) -> dict[str, Any]:
    updated = int(_days_ago(world, spec, 15).timestamp())
    version = str(spec.get("version", "3.4.0"))
    return {
        "app_info": {"app_id": str(spec.get("app_id", 54000000 + len(pkg))), "name": acc.name,
                     "package_name": pkg, "developer": spec.get("developer", "南通市大数据管理局"),
                     "online_status": 1 if spec.get("online", True) else 0,
                     "icp_number": spec.get("icp", "苏ICP备2026000001号-3A"), "update_time": updated},
        "apk_all_data": {"version_name": version, "version_code": int(spec.get("version_code", 340)),
                         "size_byte": str(spec.get("size", 8396)), "update_time": updated,
                         "url": f"http://imtt.dd.qq.com/sjy.00001/{pkg}.apk?fsname={pkg}_{version}.apk",
                         "sha256": spec.get("sha256", ""), "apk_md5": spec.get("md5", "")},
        "app_rating_info": {"average_rating": 4.1},
    }


def yyb_system_data(acc, spec: dict, pkg: str, world: World) -> dict[str, Any]:
    version = str(spec.get("version", "3.4.0"))
    url = f"https://imtt.dd.qq.com/sjy.00009/sjy.00004/16891/apk/{pkg}_{version}.apk?fsname={pkg}_{version}.apk"
    app = {"pkgName": pkg, "appName": acc.name, "author": spec.get("developer", "南通市大数据管理局"),
           "versionName": version, "versionCode": int(spec.get("version_code", 340)),
           "apkUrl": url if spec.get("online", True) else "", "apkUrl64": url if spec.get("online", True) else "",
           "apkMd5": spec.get("md5", "0f" * 16), "fileSize": int(spec.get("size", 8396)),
           "updateTime": int(_days_ago(world, spec, 15).timestamp() * 1000)}
    return {"appDetail": app, "pkgName": pkg, "isSupport64": True}


_YYB_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,user-scalable=no"><title>{title}</title></head>
<body><div id="root"></div>
<script>
window.systemData={data}
</script>
<script src="//static.gtimg.com/sj/simple/js/simple.min.js"></script></body></html>"""

_XIAOMI_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{name}-小米应用商店</title></head>
<body><div class="container cf"><div class="app-intro cf"><div class="app-info"><div class="intro-titles">
<p>{developer}</p><h3>{name}</h3></div></div>
<div class="app-info-down"><a href="{download}" class="download">直接下载</a></div></div>
<div class="details preventDefault"><ul class=" cf">
<li class="weight-font">软件大小：</li><li>{size}</li>
<li class="weight-font">版本号：</li><li>{version}</li>
<li class="weight-font">更新时间：</li><li>{updated}</li>
<li class="weight-font">包名：</li><li>{pkg}</li>
<li class="weight-font">appId：</li><li>{app_id}</li>
</ul></div></div></body></html>"""

_XIAOMI_EMPTY = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>小米应用商店</title></head>
<body><div class="container cf"><div class="main-con"><p>抱歉，您访问的页面暂时无法显示</p></div></div></body></html>"""


def register(app: web.Application, world: World) -> None:
    async def apple(request: web.Request) -> web.Response:
        ids = [i for i in (request.query.get("id") or "").split(",") if i]
        country = (request.query.get("country") or "us").lower()
        results, spec = [], None
        for track_id in ids:
            hit = _store_index(world, "apple").get(track_id)
            if hit is not None:
                tag(request, "store", hit[0].id)
                spec = hit[1]
            if hit is not None and hit[1].get("listed", True) and country == "cn":
                results.append(apple_record(hit[0], hit[1], world.at))
        if not ids:
            tag(request, "store")
        data: Any = {"resultCount": len(results), "results": results}
        fault = await _fault(world, spec)
        if fault == "layout":
            data = _renamed(data)
        text = json.dumps(data, ensure_ascii=False)
        # Apple answers text/javascript; clients must not rely on the Content-Type.
        return _fault_response(fault) or web.Response(text=text, content_type="text/javascript", charset="utf-8")

    def _yyb_hit(request, pkg):
        hit = _store_index(world, "yyb").get(pkg or "")
        tag(request, "store", hit[0].id if hit else None)
        return hit

    async def yyb_page(request: web.Request) -> web.Response:
        pkg = request.query.get("pkgname")
        hit = _yyb_hit(request, pkg)
        fault = await _fault(world, hit[1] if hit else None)
        if (resp := _fault_response(fault)) is not None:
            return resp
        if hit is not None and hit[1].get("page") == "broken" or fault == "layout":
            page = "<html><head><title>应用宝</title></head><body><div id=root></div></body></html>"
            return web.Response(text=page, content_type="text/html", charset="utf-8")
        if hit is None or not hit[1].get("listed", True):
            data = {"appDetail": None, "pkgName": pkg or ""}
            title = "腾讯应用宝"
        else:
            data, title = yyb_system_data(hit[0], hit[1], pkg, world), f"{hit[0].name}app下载-腾讯应用宝"
        page = _YYB_PAGE.format(title=title, data=json.dumps(data, ensure_ascii=False))
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    async def yyb_api(request: web.Request) -> web.Response:
        pkg = await _param(request, "packagename")
        hit = _yyb_hit(request, pkg)
        fault = await _fault(world, hit[1] if hit else None)
        if not pkg:
            data: Any = {"ret": -1, "err_msg": "packagename required"}
        elif hit is None or not hit[1].get("listed", True):
            data = {"ret": 0, "app_detail_records": {}}
        else:
            data = {"ret": 0, "app_detail_records": {pkg: yyb_record(hit[0], hit[1], pkg, world)}}
        if fault == "layout":
            data = _renamed(data)
        return _fault_response(fault) or _json(data)

    codes: set[str] = world.state.setdefault("huawei_codes", set())

    def _huawei_hit(request, app_id):
        hit = _store_index(world, "huawei").get(app_id or "")
        if hit is None and app_id:  # appinfo also takes a package name
            hit = next(((a, sp) for a, sp in _store_index(world, "huawei").values() if a.id == app_id), None)
        tag(request, "store", hit[0].id if hit else None)
        return hit

    def _code_ok(request) -> bool:
        code, _, ms = request.headers.get("Interface-Code", "").rpartition("_")
        return bool(request.headers.get("Identity-Id")) and code in codes and ms.isdigit()

    async def huawei_code(request: web.Request) -> web.Response:
        tag(request, "store")
        fault = await _fault(world)
        if (resp := _fault_response(fault)) is not None:
            return resp
        if not request.headers.get("Identity-Id"):
            return _json({"rtnCode": 1001, "rtnDesc": "identity id required"}, status=400)
        code = f"{len(codes) + 1:04d}" + "ab12cd34ef56" * 4
        codes.add(code)
        return _json(code)

    def huawei_record(acc, spec, app_id) -> dict[str, Any]:
        return {"appId": app_id, "pkgName": acc.id, "name": acc.name, "allianceAppId": "",
                "developerName": spec.get("developer", "南通市大数据管理局"), "kindName": "政务",
                "version": str(spec.get("version", "3.4.0")), "versionCode": int(spec.get("version_code", 340)),
                "size": int(spec.get("size", 8396)), "sha256": spec.get("sha256", ""),
                "releaseDate": _days_ago(world, spec, 15).strftime("%Y-%m-%d"),
                "isShelves": 1 if spec.get("shelves", True) else 0, "minsdk": 24, "targetSdk": 34,
                "privacyUrl": "https://www.nantong.gov.cn/privacy.html", "downCount": "12345"}

    async def huawei_appinfo(request: web.Request) -> web.Response:
        body = await _body(request)
        app_id = str(body.get("appId") or body.get("pkgName") or "")
        hit = _huawei_hit(request, app_id)
        fault = await _fault(world, hit[1] if hit else None)
        if not _code_ok(request):
            return _json({"rtnCode": 1002, "rtnDesc": "interface code invalid"})
        if hit is not None and hit[1].get("expire_code") and not world.state.get(f"huawei_expired_{app_id}"):
            world.state[f"huawei_expired_{app_id}"] = True  # the first code used for it is "expired"
            return _json({"rtnCode": 1002, "rtnDesc": "interface code expired"})
        if hit is None or not hit[1].get("listed", True) or hit[1].get("harmony"):
            # No record: appinfo answers an empty body (HarmonyOS NEXT apps are in page-detail).
            return _fault_response(fault) or web.Response(status=200, body=b"", content_type="application/json")
        data: Any = huawei_record(hit[0], hit[1], str(hit[1].get("id", app_id)))
        if fault == "layout":
            data = _renamed(data)
        return _fault_response(fault) or _json(data)

    async def huawei_page_detail(request: web.Request) -> web.Response:
        body = await _body(request)
        app_id = str(body.get("pageId") or "").partition("|")[2]
        hit = _huawei_hit(request, app_id)
        fault = await _fault(world, hit[1] if hit else None)
        if not _code_ok(request):
            return _json({"rtnCode": 1002, "rtnDesc": "interface code invalid"})
        cards: list[dict] = [{"type": "com.huawei.hmos.appgallery.detailheadcard", "data": []}]
        if hit is not None and hit[1].get("listed", True) and hit[1].get("harmony"):
            acc, spec = hit
            cards = [{"type": "com.huawei.hmos.appgallery.detailheadcard", "data": [{
                "appId": app_id, "package": acc.id, "name": acc.name, "versionName": str(spec.get("version", "1.0.0")),
                "versionCode": str(spec.get("version_code", 100)), "developer": spec.get("developer", "南通市大数据管理局"),
                "releaseDate": _days_ago(world, spec, 15).strftime("%Y-%m-%d"), "ctype": "18",
                "deviceTypes": ["phone", "tablet"], "kindName": "政务"}]},
                {"type": "fl.card.comment", "data": [{"starInfo": "{\"averageRating\":\"4.5\"}"}]}]
        data: Any = {"rtnCode": 0, "pages": [{"pageId": body.get("pageId"), "data": {"cardlist": {"layoutData": cards}}}]}
        if fault == "layout":
            data = _renamed(data)
        return _fault_response(fault) or _json(data)

    async def vivo(request: web.Request) -> web.Response:
        vivo_id = request.match_info["vid"]
        hit = _store_index(world, "vivo").get(vivo_id)
        tag(request, "store", hit[0].id if hit else None)
        fault = await _fault(world, hit[1] if hit else None)
        if hit is None or not hit[1].get("listed", True):
            data: Any = {"id": None, "title_zh": None, "package_name": None}
        else:
            acc, spec = hit
            version = str(spec.get("version", "3.4.0"))
            data = {"id": int(vivo_id), "title_zh": acc.name, "package_name": acc.id, "version_name": version,
                    "version_code": int(spec.get("version_code", 340)), "developer": spec.get("developer", "南通市大数据管理局"),
                    "upload_time": _days_ago(world, spec, 15).strftime("%Y-%m-%d %H:%M:%S"),
                    "download_url": f"https://apkdl.vivo.com.cn/appstore/developer/soft/{acc.id}_{version}.apk",
                    "size": int(spec.get("size", 8396)), "score": 4.3}
        if fault == "layout":
            data = _renamed(data)
        return _fault_response(fault) or _json(data)

    async def xiaomi(request: web.Request) -> web.Response:
        pkg = request.query.get("id") or ""
        hit = _store_index(world, "xiaomi").get(pkg)
        tag(request, "store", hit[0].id if hit else None)
        fault = await _fault(world, hit[1] if hit else None)
        if (resp := _fault_response(fault)) is not None:
            return resp
        if hit is None or not hit[1].get("listed", True) or fault == "layout":
            page = _XIAOMI_EMPTY
        else:
            acc, spec = hit
            page = _XIAOMI_PAGE.format(name=acc.name, developer=spec.get("developer", "南通市大数据管理局"),
                                       size=f"{int(spec.get('size', 8396)) / 1024 / 1024:.2f} M",
                                       version=spec.get("version", "3.4.0"), pkg=pkg,
                                       updated=_days_ago(world, spec, 15).strftime("%Y-%m-%d"),
                                       app_id=spec.get("app_id", 1234567),
                                       download=f"/download/{spec.get('app_id', 1234567)}?id={pkg}")
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    app.router.add_get(f"{PREFIX}/apple/lookup", apple)
    app.router.add_get(f"{PREFIX}/yyb/o/simple.jsp", yyb_page)
    app.router.add_route("*", f"{PREFIX}/yyb/wechat-apkinfo", yyb_api)
    app.router.add_post(f"{PREFIX}/huawei/edge/webedge/getInterfaceCode", huawei_code)
    app.router.add_post(f"{PREFIX}/huawei/edge/webedge/appinfo", huawei_appinfo)
    app.router.add_post(f"{PREFIX}/huawei/edge/harmony/page-detail", huawei_page_detail)
    app.router.add_get(PREFIX + "/vivo/detail/{vid}", vivo)
    app.router.add_get(f"{PREFIX}/xiaomi/details", xiaomi)
