"""Apple App Store: the iTunes lookup API, cn storefront, with a cache-busting parameter
(lookup answers are cached for hours). ``resultCount`` 0 with HTTP 200 → not listed."""
from __future__ import annotations

import secrets
from urllib.parse import urlencode

from spiders.appcheck import result as r
from spiders.appcheck.stores._common import StoreUnusable, fetch_json, start, unusable, utc


class Apple:
    name = "apple"

    async def check(self, transport, url, store_id, expected_package=None):
        query = urlencode({"id": store_id, "country": "cn", "entity": "software", "_": secrets.token_hex(6)})
        result = start(f"{url}?{query}")
        try:
            data = await fetch_json(transport, result.url, result)
        except StoreUnusable as exc:
            return unusable(result, exc)
        return parse_lookup(data, store_id, result)


def parse_lookup(data, store_id: str, result):
    if not isinstance(data, dict) or "resultCount" not in data:
        return result.unknown("store_unexpected", f"lookup JSON without resultCount: {str(data)[:120]}")
    hits = [x for x in data.get("results") or [] if str(x.get("trackId")) == str(store_id)]
    if data["resultCount"] == 0 or not hits:
        result.outcome, result.reason = r.NOT_LISTED, "not_in_cn_store"
        result.detail = f"lookup id={store_id} country=cn: resultCount {data['resultCount']}"
        return result
    app = hits[0]
    result.store_version = app.get("version")
    result.store_release_date = utc(app.get("currentVersionReleaseDate"))
    result.details.update({k: app.get(k) for k in ("trackName", "bundleId", "sellerName", "trackViewUrl",
                                                   "fileSizeBytes", "minimumOsVersion", "releaseDate")})
    return result


STORE = Apple()
