"""Store adapters on the real Apple payloads and against the sandbox stores."""
from __future__ import annotations

import asyncio
import json

from spiders.appcheck import HttpxTransport
from spiders.appcheck.result import CheckResult
from spiders.appcheck.stores import STORES
from spiders.appcheck.stores.apple import parse_lookup
from monitor.sandbox import Scenario
from tests.fixtures.core import T


def test_registry_discovers_one_module_per_store():
    assert {"apple", "yyb", "huawei"} <= set(STORES)


def test_apple_parser_on_real_lookup(real_fixtures):
    data = json.loads((real_fixtures / "apps" / "itunes_lookup_single_uber_us.json").read_text())
    r = parse_lookup(data, "368677368", CheckResult(url="x", outcome="ok"))
    assert r.outcome == "ok" and r.store_version == "3.258.2"
    assert r.store_release_date.isoformat() == "2017-08-21T17:19:29+00:00"
    assert r.details["bundleId"] == "com.ubercab.UberClient"
    multi = json.loads((real_fixtures / "apps" / "itunes_lookup_multi_2apps_us.json").read_text())
    assert parse_lookup(multi, "447188370", CheckResult(url="x", outcome="ok")).store_version == "10.10.2.0"
    # An id absent from the answer is not listed, even when other apps are.
    assert parse_lookup(multi, "1", CheckResult(url="x", outcome="ok")).outcome == "not_listed"
    gone = parse_lookup({"resultCount": 0, "results": []}, "1", CheckResult(url="x", outcome="ok"))
    assert gone.outcome == "not_listed"


APPS = [
    {"platform": "app", "id": "cn.gov.listed", "name": "上架应用",
     "stores": {"apple": {"id": "1660000101", "version": "2.0.1"}, "yyb": {"online": True, "version": "2.0.1"},
                "huawei": {"id": "C100000101", "version": "2.0.1"}}},
    {"platform": "app", "id": "cn.gov.removed", "name": "下架应用",
     "stores": {"apple": {"id": "1660000102", "listed": False}, "yyb": {"online": False},
                "huawei": {"id": "C100000102", "shelves": False}}},
]


def run_store(store, url, ident, expected=None):
    async def go():
        async with HttpxTransport() as t:
            return await STORES[store].check(t, url, ident, expected)
    return asyncio.run(go())


def test_sandbox_stores_listed_removed_offline(sandbox_factory):
    srv = sandbox_factory(scenario=Scenario(APPS, at=T))
    base = srv.url + "/stores"
    ok = run_store("apple", f"{base}/apple/lookup", "1660000101")
    assert ok.outcome == "ok" and ok.store_version == "2.0.1" and ok.store_release_date.tzinfo
    assert "country=cn" in ok.url and "&_=" in ok.url  # storefront and cache-buster sent
    assert run_store("apple", f"{base}/apple/lookup", "1660000102").outcome == "not_listed"
    assert run_store("yyb", f"{base}/yyb/appdetail", "cn.gov.listed", "cn.gov.listed").outcome == "ok"
    off = run_store("yyb", f"{base}/yyb/appdetail", "cn.gov.removed", "cn.gov.removed")
    assert (off.outcome, off.reason) == ("fail", "store_offline")
    assert run_store("yyb", f"{base}/yyb/appdetail", "cn.gov.nowhere").outcome == "not_listed"
    assert run_store("huawei", f"{base}/huawei/app", "C100000101", "cn.gov.listed").outcome == "ok"
    assert run_store("huawei", f"{base}/huawei/app", "C100000102").outcome == "not_listed"
    mismatch = run_store("huawei", f"{base}/huawei/app", "C100000101", "cn.gov.other")
    assert mismatch.reason == "package_mismatch"


def test_store_trouble_is_unknown_never_not_listed(sandbox_factory):
    srv = sandbox_factory(scenario=Scenario(APPS, at=T), faults="1.0:500")
    r = run_store("apple", f"{srv.url}/stores/apple/lookup", "1660000101")
    assert (r.outcome, r.reason) == ("unknown", "store_http_error")
    srv2 = sandbox_factory(scenario=Scenario(APPS, at=T), faults="1.0:captcha")
    r = run_store("yyb", f"{srv2.url}/stores/yyb/appdetail", "cn.gov.listed")
    assert (r.outcome, r.reason) == ("unknown", "store_not_json")
