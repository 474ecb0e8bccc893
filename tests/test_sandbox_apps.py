"""The sandbox's app downloads and stores behave like the real servers they imitate."""
from __future__ import annotations

import json

import httpx

from monitor.sandbox.apk.build import FILES


def test_range_semantics(sandbox):
    url = f"{sandbox.url}/apps/download/baitong.apk"
    data = (FILES / "baitong.apk").read_bytes()
    r = httpx.get(url, headers={"Range": "bytes=0-3"})
    assert r.status_code == 206 and r.content == b"PK\x03\x04"
    assert r.headers["content-range"] == f"bytes 0-3/{len(data)}" and r.headers["accept-ranges"] == "bytes"
    tail = httpx.get(url, headers={"Range": "bytes=-22"})
    assert tail.status_code == 206 and tail.content == data[-22:]
    bad = httpx.get(url, headers={"Range": f"bytes={len(data)}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(data)}"
    whole = httpx.get(url)
    assert whole.status_code == 200 and whole.content == data


def test_no_range_variant_ignores_range(sandbox):
    r = httpx.get(f"{sandbox.url}/apps/cases/no-range.apk", headers={"Range": "bytes=0-3"})
    assert r.status_code == 200 and len(r.content) > 4 and "accept-ranges" not in r.headers


def test_demo_routes_follow_the_registry(sandbox):
    trunc = httpx.get(f"{sandbox.url}/apps/download/chongchuan-truncated.apk")
    full = (FILES / "chongchuan.apk").read_bytes()
    assert trunc.status_code == 200 and full.startswith(trunc.content) and len(trunc.content) < len(full)
    login = httpx.get(f"{sandbox.url}/apps/download/tzw-login")
    assert login.status_code == 302 and "/apps/sso/login" in login.headers["location"]
    page = httpx.get(f"{sandbox.url}/apps/download/tzw-login", follow_redirects=True)
    assert page.status_code == 200 and 'type="password"' in page.text
    expired = httpx.get(f"{sandbox.url}/apps/cases/expired.apk")
    assert expired.status_code == 403 and "<Code>AccessDenied</Code>" in expired.text


def test_apple_lookup_keys_match_the_real_payload(sandbox, real_fixtures):
    real = json.loads((real_fixtures / "apps" / "itunes_lookup_single_uber_us.json").read_text())
    ours = httpx.get(f"{sandbox.url}/stores/apple/lookup",
                     params={"id": "1660000015", "country": "cn", "_": "123"}).json()
    assert set(ours) == set(real)
    assert ours["resultCount"] == 1
    assert set(ours["results"][0]) == set(real["results"][0])
    for key in ("trackId", "fileSizeBytes", "price", "genres"):
        assert type(ours["results"][0][key]) is type(real["results"][0][key]), key


def test_apple_lookup_storefront_and_unknown_ids(sandbox):
    lookup = f"{sandbox.url}/stores/apple/lookup"
    assert httpx.get(lookup, params={"id": "1660000015"}).json()["resultCount"] == 0  # US default
    assert httpx.get(lookup, params={"id": "999", "country": "cn"}).json() == {"resultCount": 0, "results": []}


def test_yyb_shapes(sandbox):
    r = httpx.post(f"{sandbox.url}/stores/yyb/wechat-apkinfo", json={"packagename": "cn.gov.nantong.baitong"}).json()
    rec = r["app_detail_records"]["cn.gov.nantong.baitong"]
    assert r["ret"] == 0 and rec["app_info"]["online_status"] == 1 and rec["apk_all_data"]["version_code"] == 340
    page = httpx.get(f"{sandbox.url}/stores/yyb/o/simple.jsp", params={"pkgname": "cn.gov.nantong.baitong"}).text
    line = next(x.strip() for x in page.splitlines() if x.strip().startswith("window.systemData="))
    detail = json.loads(line[len("window.systemData="):])["appDetail"]  # as maintained clients read it
    assert detail["versionName"] == "3.4.0" and detail["apkUrl"].startswith("https://imtt.dd.qq.com/")
    gone = httpx.get(f"{sandbox.url}/stores/yyb/o/simple.jsp", params={"pkgname": "cn.gov.none"}).text
    assert '"appDetail": null' in gone


def test_huawei_edge_needs_an_interface_code(sandbox):
    edge = f"{sandbox.url}/stores/huawei/edge"
    refused = httpx.post(f"{edge}/webedge/appinfo", json={"appId": "C1"}).json()
    assert refused["rtnCode"] == 1002
    assert httpx.post(f"{edge}/webedge/getInterfaceCode", json={}).status_code == 400  # no Identity-Id
    code = httpx.post(f"{edge}/webedge/getInterfaceCode", json={}, headers={"Identity-Id": "ab" * 16}).json()
    headers = {"Identity-Id": "ab" * 16, "Interface-Code": f"{code}_1764547200000"}
    empty = httpx.post(f"{edge}/webedge/appinfo", json={"appId": "C1"}, headers=headers)
    assert empty.status_code == 200 and empty.content == b""  # no such app: an empty answer
