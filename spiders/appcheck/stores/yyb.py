"""腾讯应用宝: the ``wechat-apkinfo`` JSON API (POST ``{"packagename": pkg}``).
``app_detail_records`` empty → not listed; ``online_status`` 0 → listed but not downloadable."""
from __future__ import annotations

from spiders.appcheck import result as r
from spiders.appcheck.stores._common import StoreUnusable, fetch_json, from_epoch, start, unusable


class Yyb:
    name = "yyb"

    async def check(self, transport, url, store_id, expected_package=None):
        result = start(url)
        result.details["packagename"] = store_id
        try:
            data = await fetch_json(transport, url, result, method="POST", json_body={"packagename": store_id})
        except StoreUnusable as exc:
            return unusable(result, exc)
        if not isinstance(data, dict) or data.get("ret") != 0:
            return result.unknown("store_error", f"应用宝 ret={data.get('ret') if isinstance(data, dict) else None} "
                                                 f"{(data or {}).get('err_msg', '') if isinstance(data, dict) else ''}")
        records = data.get("app_detail_records") or {}
        record = records.get(store_id)
        if not record:
            result.outcome, result.reason, result.detail = r.NOT_LISTED, "not_in_store", f"应用宝 has no {store_id}"
            return result
        info, apk = record.get("app_info") or {}, record.get("apk_all_data") or {}
        result.package = info.get("package_name")
        result.store_version = apk.get("version_name")
        result.version_code = apk.get("version_code")
        result.store_release_date = from_epoch(apk.get("update_time") or info.get("update_time"))
        result.details.update({"name": info.get("name"), "developer": info.get("developer"),
                               "online_status": info.get("online_status"), "icp_number": info.get("icp_number"),
                               "size_byte": apk.get("size_byte"), "download_url": apk.get("url")})
        if expected_package and result.package and result.package != expected_package:
            return result.fail(r.PACKAGE_MISMATCH, f"listing is {result.package!r}, registered {expected_package!r}")
        if info.get("online_status") == 0:
            return result.fail(r.STORE_OFFLINE, "应用宝 lists the app with online_status 0 (download blocked)")
        return result


STORE = Yyb()
