"""Huawei AppGallery: the ``webedge/appinfo`` JSON (POST ``{"appId": "C…"}``), whose
``isShelves`` flag says whether the app is on the shelves. The real service also wants
Identity-Id / Interface-Code headers (research/app_checks.md §2.2); a refused answer is
``unknown``, never "not listed"."""
from __future__ import annotations

import uuid

from spiders.appcheck import result as r
from spiders.appcheck.stores._common import StoreUnusable, fetch_json, start, unusable, utc


class Huawei:
    name = "huawei"

    async def check(self, transport, url, store_id, expected_package=None):
        result = start(url)
        result.details["appId"] = store_id
        try:
            data = await fetch_json(transport, url, result, method="POST", json_body={"appId": store_id, "locale": "zh_CN"},
                                    headers={"Identity-Id": uuid.uuid4().hex})
        except StoreUnusable as exc:
            return unusable(result, exc)
        if not isinstance(data, dict):
            return result.unknown("store_unexpected", f"unexpected AppGallery answer: {str(data)[:120]}")
        if "rtnCode" in data and data.get("rtnCode") not in (0, "0"):
            return result.unknown("store_error", f"AppGallery rtnCode {data.get('rtnCode')}")
        if not data.get("appId") or data.get("isShelves") in (0, "0"):
            result.outcome, result.reason = r.NOT_LISTED, "not_in_store"
            result.detail = f"AppGallery {store_id}: " + ("off the shelves (isShelves 0)" if data.get("appId") else "no such app")
            return result
        result.package = data.get("pkgName")
        result.store_version = data.get("version")
        result.version_code = data.get("versionCode")
        result.store_release_date = utc(data.get("releaseDate") + "T00:00:00+08:00") if data.get("releaseDate") else None
        result.details.update({k: data.get(k) for k in ("name", "developerName", "size", "sha256", "minsdk", "targetSdk")})
        if expected_package and result.package and result.package != expected_package:
            return result.fail(r.PACKAGE_MISMATCH, f"listing is {result.package!r}, registered {expected_package!r}")
        return result


STORE = Huawei()
