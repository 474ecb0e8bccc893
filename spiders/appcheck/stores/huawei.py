"""Huawei AppGallery through the web edge API its own web app uses (``url`` is the edge
base, ``https://web-drcn.hispace.dbankcloud.com/edge``; ``appgallery.huawei.com/app`` is the
web app, not an API):

1. POST ``/webedge/getInterfaceCode`` with an ``Identity-Id`` (random hex) → a JSON string;
2. POST ``/webedge/appinfo`` ``{"appId": "C…"}`` (or ``{"pkgName": …}``) with headers
   ``Interface-Code: <code>_<epoch ms>`` and the same ``Identity-Id`` → the app's record
   (``appId, pkgName, version, versionCode, releaseDate, isShelves`` …); ``rtnCode`` 1002
   means the code expired: fetch a new one, once;
3. when appinfo has no record (an empty answer): POST ``/harmony/page-detail``
   ``{"pageId": "webAgAppDetail|C…"}`` — HarmonyOS NEXT apps (鸿蒙, no APK) are found there.

Not listed: ``isShelves`` 0, or appinfo empty *and* page-detail ``rtnCode`` 0 without the app.
"""
from __future__ import annotations

import secrets
import time

from spiders.appcheck import result as r
from spiders.appcheck.stores._common import (StoreUnusable, check_package, decode_json, fetch, local, start,
                                             unusable)

CODE_EXPIRED = {1002, "1002"}


class _Session:
    def __init__(self, transport, base: str, result):
        self.transport, self.base, self.result = transport, base.rstrip("/"), result
        self.identity = secrets.token_hex(16)
        self.code: str | None = None

    async def refresh(self) -> None:
        f = await fetch(self.transport, f"{self.base}/webedge/getInterfaceCode", self.result, method="POST",
                        json_body={"params": {}, "zone": "", "locale": "zh"},
                        headers={"Identity-Id": self.identity, "Interface-Code": f"null_{_ms()}"})
        code = decode_json(f)
        if not isinstance(code, str) or not code.strip():
            raise StoreUnusable(r.STORE_UNEXPECTED, f"getInterfaceCode answered {str(code)[:80]!r}, not a code")
        self.code = code.strip()

    async def post(self, path: str, body: dict):
        """The JSON answer, ``{}`` for an empty body (appinfo's answer for no such app)."""
        for attempt in (1, 2):
            if self.code is None:
                await self.refresh()
            f = await fetch(self.transport, f"{self.base}{path}", self.result, method="POST", json_body=body,
                            headers={"Identity-Id": self.identity, "Interface-Code": f"{self.code}_{_ms()}"})
            data = {} if not f.body.strip() else decode_json(f)
            if isinstance(data, dict) and data.get("rtnCode") in CODE_EXPIRED and attempt == 1:
                self.code = None
                continue
            return data
        raise StoreUnusable(r.STORE_ERROR, f"AppGallery {path}: interface code refused twice (rtnCode 1002)")


def _ms() -> int:
    return int(time.time() * 1000)


def _find_app(node, app_id: str):
    """The card of ``app_id`` anywhere in a page-detail answer (its layout varies)."""
    if isinstance(node, dict):
        if str(node.get("appId") or node.get("appid") or "") == app_id and (node.get("pkgName") or node.get("package")):
            return node
        children = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        hit = _find_app(child, app_id)
        if hit is not None:
            return hit
    return None


def _rtn_ok(data) -> bool:
    return isinstance(data, dict) and data.get("rtnCode", 0) in (0, "0")


class Huawei:
    name = "huawei"

    async def check(self, transport, url, store_id, expected_package=None, *, fallback_url=None):
        result = start(url)
        result.details["appId"] = store_id
        session = _Session(transport, url, result)
        key = "pkgName" if "." in store_id and not store_id.startswith("C") else "appId"
        try:
            info = await session.post("/webedge/appinfo", {key: store_id, "locale": "zh_CN"})
            if not isinstance(info, dict) or not _rtn_ok(info):
                raise StoreUnusable(r.STORE_ERROR, f"AppGallery appinfo answered {str(info)[:120]}")
            if info.get("appId") or info.get("pkgName"):
                return self._listed(result, info, expected_package, harmony=False)
            if info:
                raise StoreUnusable(r.STORE_UNEXPECTED, f"AppGallery appinfo in an unknown shape: {str(info)[:120]}")
            page = await session.post("/harmony/page-detail", {"pageId": f"webAgAppDetail|{store_id}",
                                                               "pageNum": 1, "pageSize": 100, "zone": ""})
            if not _rtn_ok(page) or not isinstance(page.get("pages"), list):
                raise StoreUnusable(r.STORE_UNEXPECTED, f"AppGallery page-detail in an unknown shape: {str(page)[:120]}")
            card = _find_app(page["pages"], store_id)
            if card is None:
                return result.not_listed(r.NOT_IN_STORE, f"AppGallery has no {store_id} (appinfo empty, "
                                                         f"HarmonyOS page-detail without it)")
            return self._listed(result, card, expected_package, harmony=True)
        except StoreUnusable as exc:
            return unusable(result, exc)

    def _listed(self, result, app: dict, expected, harmony: bool):
        result.package = app.get("pkgName") or app.get("package")
        result.store_version = app.get("version") or app.get("versionName")
        try:
            result.version_code = int(app["versionCode"]) if app.get("versionCode") not in (None, "") else None
        except (TypeError, ValueError):
            result.version_code = None
        result.store_release_date = local(app.get("releaseDate"))
        result.details.update({k: app.get(k) for k in ("name", "developerName", "size", "sha256", "minsdk",
                                                       "targetSdk", "isShelves") if k in app})
        result.details["harmony"] = harmony
        if app.get("isShelves") in (0, "0"):
            return result.not_listed(r.NOT_IN_STORE, f"AppGallery {result.details['appId']}: off the shelves (isShelves 0)")
        return check_package(result, expected, "AppGallery")


STORE = Huawei()
