"""Store adapters on the real Apple payloads and against the sandbox stores."""
from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from spiders.appcheck import HttpxTransport
from spiders.appcheck.result import CheckResult
from spiders.appcheck.stores import STORES
from spiders.appcheck.stores.apple import parse_lookup
from monitor.sandbox import Scenario
from tests.fixtures.core import T


def test_registry_discovers_one_module_per_store():
    assert set(STORES) == {"apple", "yyb", "huawei", "vivo", "xiaomi"}


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
                "huawei": {"id": "C100000101", "version": "2.0.1", "expire_code": True},
                "vivo": {"id": "3000101", "version": "2.0.1", "days_ago": 3},
                "xiaomi": {"version": "2.0.1", "days_ago": 4}}},
    {"platform": "app", "id": "cn.gov.removed", "name": "下架应用",
     "stores": {"apple": {"id": "1660000102", "listed": False}, "yyb": {"online": False},
                "huawei": {"id": "C100000102", "shelves": False}, "vivo": {"id": "3000102", "listed": False}}},
    {"platform": "app", "id": "cn.gov.harmony", "name": "鸿蒙应用",
     "stores": {"huawei": {"id": "C576588020785000001", "harmony": True, "version": "1.2.0"}}},
    {"platform": "app", "id": "cn.gov.changed", "name": "改版应用",
     "stores": {"apple": {"id": "1660000104", "shape": "changed"}, "yyb": {"shape": "changed"},
                "huawei": {"id": "C100000104", "shape": "changed"}, "vivo": {"id": "3000104", "shape": "changed"},
                "xiaomi": {"shape": "changed"}}},
    {"platform": "app", "id": "cn.gov.oldapi", "name": "旧接口应用", "stores": {"yyb": {"page": "broken", "version": "5.1"}}},
]
URLS = {"apple": "/stores/apple/lookup", "yyb": "/stores/yyb/o/simple.jsp", "huawei": "/stores/huawei/edge",
        "vivo": "/stores/vivo/detail", "xiaomi": "/stores/xiaomi/details"}


def run_store(srv, store, ident, expected=None, fallback=True):
    async def go():
        async with HttpxTransport() as t:
            fb = f"{srv.url}/stores/yyb/wechat-apkinfo" if store == "yyb" and fallback else None
            return await STORES[store].check(t, srv.url + URLS[store], ident, expected, fallback_url=fb)
    return asyncio.run(go())


@pytest.fixture
def stores(sandbox_factory):
    return sandbox_factory(scenario=Scenario(APPS, at=T))


def test_sandbox_stores_listed_with_version_and_date(stores):
    # Huawei: interface code, appinfo answers 1002 (code expired) once, new code, appinfo.
    hw = run_store(stores, "huawei", "C100000101")
    assert [q["url"].rsplit("/", 1)[-1] for q in hw.details["requests"]] == [
        "getInterfaceCode", "appinfo", "getInterfaceCode", "appinfo"]
    assert hw.details["harmony"] is False
    ok = run_store(stores, "apple", "1660000101")
    assert ok.outcome == "ok" and ok.store_version == "2.0.1" and ok.store_release_date.tzinfo
    assert "country=cn" in ok.url and "&_=" in ok.url  # storefront and cache-buster sent
    for store, ident in (("yyb", "cn.gov.listed"), ("huawei", "C100000101"), ("vivo", "3000101"),
                         ("xiaomi", "cn.gov.listed")):
        r = run_store(stores, store, ident, "cn.gov.listed")
        assert (r.outcome, r.store_version, r.package) == ("ok", "2.0.1", "cn.gov.listed"), (store, r.reason, r.detail)
        assert r.store_release_date is not None and r.store_release_date.tzinfo, store
    assert run_store(stores, "vivo", "3000101").store_release_date == T - timedelta(days=3)
    yyb = run_store(stores, "yyb", "cn.gov.listed")
    assert yyb.details["via"] == "simple.jsp" and len(yyb.details["requests"]) == 1


def test_harmonyos_next_app_found_through_the_harmony_detail_call(stores):
    r = run_store(stores, "huawei", "C576588020785000001", "cn.gov.harmony")
    assert (r.outcome, r.store_version, r.package) == ("ok", "1.2.0", "cn.gov.harmony"), r.detail
    assert r.details["harmony"] is True
    assert [q["url"].rsplit("/", 1)[-1] for q in r.details["requests"]] == ["getInterfaceCode", "appinfo", "page-detail"]


def test_removed_and_offline_in_each_store_known_format(stores):
    assert run_store(stores, "apple", "1660000102").outcome == "not_listed"
    off = run_store(stores, "yyb", "cn.gov.removed", "cn.gov.removed")
    assert (off.outcome, off.reason) == ("fail", "store_offline")
    assert run_store(stores, "yyb", "cn.gov.nowhere").outcome == "not_listed"
    assert run_store(stores, "huawei", "C100000102").reason == "not_in_store"  # isShelves 0
    nowhere = run_store(stores, "huawei", "C100000999")  # appinfo empty and page-detail without it
    assert nowhere.outcome == "not_listed" and "page-detail" in nowhere.detail
    assert run_store(stores, "vivo", "3000102").outcome == "not_listed"
    mismatch = run_store(stores, "huawei", "C100000101", "cn.gov.other")
    assert mismatch.reason == "package_mismatch"


def test_xiaomi_never_says_not_listed(stores):
    # Its not-listed page is undocumented: a page without the details is unknown.
    r = run_store(stores, "xiaomi", "cn.gov.nowhere")
    assert (r.outcome, r.reason) == ("unknown", "store_unexpected")


def test_yyb_page_without_data_falls_back_to_the_old_api(stores):
    r = run_store(stores, "yyb", "cn.gov.oldapi", "cn.gov.oldapi")
    assert (r.outcome, r.store_version, r.details["via"]) == ("ok", "5.1", "wechat-apkinfo"), r.detail
    assert r.details["simple_jsp"]["reason"] == "store_unexpected"
    alone = run_store(stores, "yyb", "cn.gov.oldapi", fallback=False)
    assert (alone.outcome, alone.reason) == ("unknown", "store_unexpected")


@pytest.mark.parametrize("store, ident", [("apple", "1660000104"), ("yyb", "cn.gov.changed"), ("huawei", "C100000104"),
                                          ("vivo", "3000104"), ("xiaomi", "cn.gov.changed")])
def test_a_store_that_changed_its_answer_is_unknown_never_not_listed(stores, store, ident):
    r = run_store(stores, store, ident, fallback=False)
    assert r.outcome == "unknown" and r.reason.startswith("store_"), (r.outcome, r.reason, r.detail)


def test_renamed_apple_keys_with_result_count_one_is_unknown():
    renamed = {"resultCount": 1, "results": [{"track_id": 1660000101, "version": "2.0.1"}]}
    r = parse_lookup(renamed, "1660000101", CheckResult(url="x", outcome="ok"))
    assert (r.outcome, r.reason) == ("unknown", "store_unexpected")
    assert parse_lookup({"result_count": 1, "results": []}, "1", CheckResult(url="x", outcome="ok")).outcome == "unknown"


@pytest.mark.parametrize("fault, reason", [("500", "store_http_error"), ("418", "rate_limited"),
                                           ("captcha", "captcha")])
def test_store_trouble_is_unknown_never_not_listed(sandbox_factory, fault, reason):
    srv = sandbox_factory(scenario=Scenario(APPS, at=T), faults=f"1.0:{fault}")
    for store, ident in (("apple", "1660000101"), ("vivo", "3000101")):
        r = run_store(srv, store, ident)
        assert (r.outcome, r.reason) == ("unknown", reason), (store, r.detail)
    for store, ident in (("yyb", "cn.gov.listed"), ("huawei", "C100000101"), ("xiaomi", "cn.gov.listed")):
        r = run_store(srv, store, ident)
        assert r.outcome == "unknown", (store, r.reason, r.detail)
