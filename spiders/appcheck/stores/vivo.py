"""vivo 应用商店: ``h5-api.appstore.vivo.com.cn/detail/<vivoAppId>?frompage=messageh5&
app_version=2100`` → JSON (``id``, ``package_name``, ``version_name``, ``version_code``,
``upload_time``, ``download_url`` …). ``id`` null means not listed; the store offers no
lookup by package name, so the registry keeps vivo's numeric id (``vivo:123``)."""
from __future__ import annotations

from urllib.parse import quote, urlencode

from spiders.appcheck import result as r
from spiders.appcheck.stores._common import StoreUnusable, check_package, fetch_json, local, start, unusable


class Vivo:
    name = "vivo"

    async def check(self, transport, url, store_id, expected_package=None, *, fallback_url=None):
        query = urlencode({"frompage": "messageh5", "app_version": "2100"})
        result = start(f"{url.rstrip('/')}/{quote(store_id, safe='')}?{query}")
        try:
            data = await fetch_json(transport, result.url, result)
        except StoreUnusable as exc:
            return unusable(result, exc)
        return parse_detail(data, store_id, expected_package, result)


def parse_detail(data, store_id: str, expected, result):
    if not isinstance(data, dict) or "id" not in data:
        return result.unknown(r.STORE_UNEXPECTED, f"vivo detail without id: {str(data)[:120]}")
    if data["id"] is None:
        return result.not_listed(r.NOT_IN_STORE, f"vivo has no app {store_id} (id null)")
    if not data.get("version_name") or not data.get("package_name"):
        return result.unknown(r.STORE_UNEXPECTED, f"vivo detail in an unknown shape: {str(data)[:120]}")
    result.package, result.store_version = data["package_name"], str(data["version_name"])
    try:
        result.version_code = int(data.get("version_code"))
    except (TypeError, ValueError):
        result.version_code = None
    result.store_release_date = local(data.get("upload_time"))
    result.details.update({"name": data.get("title_zh"), "developer": data.get("developer"),
                           "download_url": data.get("download_url")})
    return check_package(result, expected, "vivo")


STORE = Vivo()
