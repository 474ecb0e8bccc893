"""Simulated app stores under ``/stores``.

- ``/stores/apple/lookup?id=N&country=cn`` — the iTunes lookup JSON with the keys of the real
  payload (``shared/fixtures/real/apps``): ``{"resultCount": 1, "results": [{...}]}``;
  ``resultCount`` 0 for an unknown or removed app, and for any storefront but ``cn`` (a
  China-only government app is not sold in the default US store). Extra (cache-busting)
  parameters are ignored.
- ``/stores/yyb/appdetail`` — 应用宝 ``wechat-apkinfo``: POST ``{"packagename": pkg}`` (or GET
  ``?packagename=``) → ``{"ret":0,"app_detail_records":{pkg:{"app_info":{…"online_status"…},
  "apk_all_data":{…}}}}``; not listed → ``{"ret":0,"app_detail_records":{}}``.
- ``/stores/huawei/app`` — AppGallery ``webedge/appinfo``-style: POST ``{"appId": "C…"}`` (or GET
  ``?appId=``) → ``{"appId","pkgName","name","version","versionCode","isShelves",…}``; unknown →
  ``{}``.
Scenario keys per app account: ``stores: {apple: {id, listed, version, days_ago, seller},
yyb: {listed, online, version, version_code}, huawei: {id, listed, shelves, version}}``.
"""
from __future__ import annotations

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


async def _param(request: web.Request, name: str) -> str | None:
    if request.method == "POST":
        try:
            body = await request.json()
        except (json.JSONDecodeError, ValueError):
            return None
        return str(body.get(name)) if isinstance(body, dict) and body.get(name) is not None else None
    return request.query.get(name)


def _fault(world: World) -> web.Response | None:
    fault = world.faults.pick()
    if fault in ("500", "418", "432"):
        return web.Response(status=int(fault), text=f"HTTP {fault}")
    if fault == "captcha":
        return web.Response(text="<html><body>请完成安全验证</body></html>", content_type="text/html")
    return None


def register(app: web.Application, world: World) -> None:
    async def apple(request: web.Request) -> web.Response:
        ids = [i for i in (request.query.get("id") or "").split(",") if i]
        country = (request.query.get("country") or "us").lower()
        results = []
        for track_id in ids:
            hit = _store_index(world, "apple").get(track_id)
            if hit is not None:
                tag(request, "store", hit[0].id)
            if hit is not None and hit[1].get("listed", True) and country == "cn":
                results.append(apple_record(hit[0], hit[1], world.at))
        if not ids:
            tag(request, "store")
        fault = _fault(world)
        if fault:
            return fault
        # Apple answers text/javascript; clients must not rely on the Content-Type.
        return _json({"resultCount": len(results), "results": results}, content_type="text/javascript")

    async def yyb(request: web.Request) -> web.Response:
        pkg = await _param(request, "packagename")
        hit = _store_index(world, "yyb").get(pkg or "")
        tag(request, "store", hit[0].id if hit else None)
        fault = _fault(world)
        if fault:
            return fault
        if not pkg:
            return _json({"ret": -1, "err_msg": "packagename required"})
        if hit is None or not hit[1].get("listed", True):
            return _json({"ret": 0, "app_detail_records": {}})
        acc, spec = hit
        updated = int((world.at - timedelta(days=float(spec.get("days_ago", 15)))).timestamp())
        record = {
            "app_info": {"app_id": str(spec.get("app_id", 54000000 + len(pkg))), "name": acc.name,
                         "package_name": pkg, "developer": spec.get("developer", "南通市大数据管理局"),
                         "online_status": 1 if spec.get("online", True) else 0,
                         "icp_number": spec.get("icp", "苏ICP备2026000001号-3A"), "update_time": updated},
            "apk_all_data": {"version_name": str(spec.get("version", "3.4.0")),
                             "version_code": int(spec.get("version_code", 340)),
                             "size_byte": str(spec.get("size", 8396)), "update_time": updated,
                             "url": f"http://imtt.dd.qq.com/sjy.00001/{pkg}.apk?fsname={pkg}_{spec.get('version', '3.4.0')}.apk",
                             "sha256": spec.get("sha256", ""), "apk_md5": spec.get("md5", "")},
            "app_rating_info": {"average_rating": 4.1},
        }
        return _json({"ret": 0, "app_detail_records": {pkg: record}})

    async def huawei(request: web.Request) -> web.Response:
        app_id = await _param(request, "appId")
        hit = _store_index(world, "huawei").get(app_id or "")
        tag(request, "store", hit[0].id if hit else None)
        fault = _fault(world)
        if fault:
            return fault
        if hit is None or not hit[1].get("listed", True):
            return _json({})
        acc, spec = hit
        return _json({"appId": app_id, "pkgName": acc.id, "name": acc.name,
                      "developerName": spec.get("developer", "南通市大数据管理局"),
                      "version": str(spec.get("version", "3.4.0")), "versionCode": int(spec.get("version_code", 340)),
                      "size": int(spec.get("size", 8396)), "sha256": spec.get("sha256", ""),
                      "releaseDate": (world.at - timedelta(days=float(spec.get("days_ago", 15)))).strftime("%Y-%m-%d"),
                      "isShelves": 1 if spec.get("shelves", True) else 0, "minsdk": 24, "targetSdk": 34})

    app.router.add_get(f"{PREFIX}/apple/lookup", apple)
    app.router.add_route("*", f"{PREFIX}/yyb/appdetail", yyb)
    app.router.add_route("*", f"{PREFIX}/huawei/app", huawei)
