"""Apple App Store: the iTunes lookup API, cn storefront, with a cache-busting parameter
(lookup answers are cached for hours). ``resultCount`` 0 with HTTP 200 → not listed."""
from __future__ import annotations

import secrets
from urllib.parse import urlencode

from spiders.appcheck import result as r
from spiders.appcheck.stores._common import StoreUnusable, fetch_json, start, unusable, utc


class Apple:
    name = "apple"

    async def check(self, transport, url, store_id, expected_package=None, *, fallback_url=None):
        query = urlencode({"id": store_id, "country": "cn", "entity": "software", "_": secrets.token_hex(6)})
        result = start(f"{url}?{query}")
        try:
            data = await fetch_json(transport, result.url, result)
        except StoreUnusable as exc:
            return unusable(result, exc)
        return parse_lookup(data, store_id, result)


def parse_lookup(data, store_id: str, result):
    """Listed, or not listed only in the lookup's known shape: ``resultCount`` 0 with an
    empty ``results``, or results that all carry a ``trackId`` and none is ours. Anything
    else (renamed keys, a count that disagrees with the list) is an answer we cannot read."""
    if not isinstance(data, dict) or not isinstance(data.get("resultCount"), int) \
            or not isinstance(data.get("results"), list):
        return result.unknown(r.STORE_UNEXPECTED, f"lookup JSON without resultCount/results: {str(data)[:120]}")
    results = data["results"]
    if data["resultCount"] != len(results) or not all(isinstance(x, dict) and "trackId" in x for x in results):
        return result.unknown(r.STORE_UNEXPECTED, f"lookup answer in an unknown shape (resultCount "
                                                  f"{data['resultCount']}, {len(results)} results): {str(results)[:120]}")
    hits = [x for x in results if str(x.get("trackId")) == str(store_id)]
    if not hits:
        return result.not_listed(r.NOT_IN_CN_STORE, f"lookup id={store_id} country=cn: resultCount {data['resultCount']}")
    app = hits[0]
    result.store_version = app.get("version")
    result.store_release_date = utc(app.get("currentVersionReleaseDate"))
    result.details.update({k: app.get(k) for k in ("trackName", "bundleId", "sellerName", "trackViewUrl",
                                                   "fileSizeBytes", "minimumOsVersion", "releaseDate")})
    if not result.store_version:
        return result.unknown(r.STORE_UNEXPECTED, f"lookup result for {store_id} without a version: {str(app)[:120]}")
    return result


STORE = Apple()
