"""腾讯应用宝: the 微下载 page ``a.app.qq.com/o/simple.jsp?pkgname=<pkg>`` and the JSON in its
``window.systemData=`` (``appDetail``: versionName, apkUrl/apkUrl64, apkMd5 …), as maintained
clients read it since 2025-12; the old ``wechat-apkinfo`` JSON API (POST
``{"packagename": pkg}``) when the page gives no usable answer.

Not listed only in a known shape: ``appDetail`` null in the page data, or the old API's
``{"ret": 0, "app_detail_records": {}}``. ``online_status`` 0 in the old API is listed but
not downloadable (a failure of the store channel)."""
from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from spiders.appcheck import result as r
from spiders.appcheck.stores._common import (StoreUnusable, check_package, fetch, fetch_json, from_epoch,
                                             html_text, start, unusable)

_SYSTEM_DATA = re.compile(r"window\.systemData\s*=\s*")


def parse_simple_page(text: str, pkg: str, result):
    m = _SYSTEM_DATA.search(text)
    if not m:
        raise StoreUnusable(r.STORE_UNEXPECTED, "应用宝 page without window.systemData")
    try:
        data, _ = json.JSONDecoder().raw_decode(text, m.end())
    except json.JSONDecodeError as exc:
        raise StoreUnusable(r.STORE_UNEXPECTED, f"应用宝 window.systemData is not JSON: {exc}") from None
    if not isinstance(data, dict) or "appDetail" not in data:
        raise StoreUnusable(r.STORE_UNEXPECTED, f"应用宝 systemData without appDetail: {str(data)[:120]}")
    app = data["appDetail"]
    if not app:
        return result.not_listed(r.NOT_IN_STORE, f"应用宝 has no {pkg} (appDetail empty)")
    if not isinstance(app, dict) or not app.get("versionName"):
        raise StoreUnusable(r.STORE_UNEXPECTED, f"应用宝 appDetail in an unknown shape: {str(app)[:120]}")
    result.package = app.get("pkgName") or app.get("packageName") or pkg
    result.store_version = str(app["versionName"])
    result.version_code = _int(app.get("versionCode"))
    result.store_release_date = from_epoch(app.get("updateTime") or app.get("apkPublishTime"))
    download = app.get("apkUrl64") or app.get("apkUrl")
    result.details.update({"name": app.get("appName"), "developer": app.get("author"), "apk_md5": app.get("apkMd5"),
                           "download_url": download, "via": "simple.jsp"})
    if not download:
        return result.fail(r.STORE_OFFLINE, "应用宝 lists the app without a download link (apkUrl empty)")
    return check_package(result, pkg, "应用宝")


def parse_apkinfo(data, pkg: str, result):
    if not isinstance(data, dict) or data.get("ret") != 0:
        ret = data.get("ret") if isinstance(data, dict) else None
        msg = data.get("err_msg", "") if isinstance(data, dict) else ""
        raise StoreUnusable(r.STORE_ERROR, f"应用宝 ret={ret} {msg}".strip())
    records = data.get("app_detail_records")
    if not isinstance(records, dict):
        raise StoreUnusable(r.STORE_UNEXPECTED, f"应用宝 answer without app_detail_records: {str(data)[:120]}")
    record = records.get(pkg)
    if not records:
        return result.not_listed(r.NOT_IN_STORE, f"应用宝 has no {pkg}")
    if not isinstance(record, dict) or not isinstance(record.get("app_info"), dict):
        raise StoreUnusable(r.STORE_UNEXPECTED, f"应用宝 records in an unknown shape: {str(records)[:120]}")
    info, apk = record["app_info"], record.get("apk_all_data") or {}
    result.package = info.get("package_name")
    result.store_version = apk.get("version_name")
    result.version_code = _int(apk.get("version_code"))
    result.store_release_date = from_epoch(apk.get("update_time") or info.get("update_time"))
    result.details.update({"name": info.get("name"), "developer": info.get("developer"),
                           "online_status": info.get("online_status"), "icp_number": info.get("icp_number"),
                           "size_byte": apk.get("size_byte"), "download_url": apk.get("url"), "via": "wechat-apkinfo"})
    check_package(result, pkg, "应用宝")
    if result.outcome == r.OK and info.get("online_status") == 0:
        return result.fail(r.STORE_OFFLINE, "应用宝 lists the app with online_status 0 (download blocked)")
    return result


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Yyb:
    name = "yyb"

    async def check(self, transport, url, store_id, expected_package=None, *, fallback_url=None):
        result = start(f"{url}?{urlencode({'pkgname': store_id})}")
        result.details["packagename"] = store_id
        try:
            f = await fetch(transport, result.url, result)
            return _expect(parse_simple_page(html_text(f), store_id, result), expected_package)
        except StoreUnusable as exc:
            if not fallback_url:
                return unusable(result, exc)
            result.details["simple_jsp"] = {"reason": exc.args[0], "detail": exc.args[1]}
        try:
            data = await fetch_json(transport, fallback_url, result, method="POST", json_body={"packagename": store_id})
            return _expect(parse_apkinfo(data, store_id, result), expected_package)
        except StoreUnusable as exc:
            return unusable(result, exc)


def _expect(result, expected):
    return check_package(result, expected, "应用宝") if result.outcome == r.OK else result


STORE = Yyb()
