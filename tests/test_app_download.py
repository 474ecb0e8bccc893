"""The download-URL check against the sandbox: every failure kind, the real signed APK's
facts, bytes spent on a large APK, servers without Range, and 'unknown' when the check
itself cannot be made."""
from __future__ import annotations

import asyncio
import hashlib
import socket

import pytest

from spiders.appcheck import HttpxTransport, check_download, verify_full
from spiders.appcheck.ipv6 import CANNOT_TEST, NOT_SUPPORTED, SUPPORTED, ipv6_support
from monitor.sandbox.apk.build import FILES
from monitor.sandbox.platforms.apps import add_route


def check(url: str, expected: str | None = None, **kw):
    async def go():
        async with HttpxTransport() as t:
            return await check_download(t, url, expected, **kw)
    return asyncio.run(go())


@pytest.fixture
def cases(sandbox):
    return f"{sandbox.url}/apps/cases"


def test_real_signed_apk_facts(cases):
    r = check(f"{cases}/good.apk", "cn.gov.nantong.baitong")
    assert (r.outcome, r.reason) == ("ok", None), r.detail
    assert r.package == "cn.gov.nantong.baitong"
    assert (r.version_code, r.version_name) == (340, "3.4.0")
    assert (r.min_sdk, r.target_sdk) == (24, 34)
    assert r.signature_schemes == ["v2", "v3"]
    assert r.size == (FILES / "baitong.apk").stat().st_size
    assert r.details["range_support"] is True
    # Only ranges were asked for: no request without a Range header.
    assert all(q["range"] for q in r.details["requests"])


@pytest.mark.parametrize("case, expected, reason, in_detail", [
    ("html.apk", None, "html_not_apk", "HTML"),
    ("truncated.apk", None, "truncated", "end record"),
    ("empty.apk", None, "empty_file", "0 bytes"),
    ("missing.apk", None, "not_found", "HTTP 404"),
    ("login", None, "login_redirect", "/apps/sso/login"),
    ("expired.apk", None, "expired_link", "Request has expired"),
    ("not-apk.zip", None, "not_apk", "AndroidManifest.xml"),
    ("unsigned.apk", "cn.gov.sandbox.unsigned", "unsigned", "no v1"),
    ("target22.apk", "cn.gov.sandbox.old", "not_installable", "target_sdk 22 < 23"),
    ("v1only-target30.apk", "cn.gov.sandbox.v1only", "not_installable", "only a v1 signature"),
    ("arsc-compressed.apk", "cn.gov.sandbox.arsc", "not_installable", "compressed resources.arsc"),
    ("other-package.apk", "cn.gov.nantong.baitong", "package_mismatch", "cn.gov.chongchuan.app"),
])
def test_failure_kinds(cases, case, expected, reason, in_detail):
    r = check(f"{cases}/{case}", expected)
    assert (r.outcome, r.reason) == ("fail", reason), (r.reason, r.detail)
    assert in_detail in r.detail


@pytest.mark.parametrize("case, reason, in_detail", [
    ("server-error.apk", "http_5xx", "HTTP 500"),
    ("unavailable.apk", "http_5xx", "HTTP 503"),
    ("teapot.apk", "rate_limited", "HTTP 418"),
    ("too-many.apk", "rate_limited", "HTTP 429"),
    ("forbidden.apk", "http_4xx", "HTTP 403"),
    ("captcha.apk", "captcha", "安全验证"),
    ("short-206.apk", "short_body", "transfer cut"),
    ("cut.apk", "network", ""),
    ("redirect-loop.apk", "network", "too many redirects"),
])
def test_answers_that_only_show_we_could_not_look_are_unknown(cases, case, reason, in_detail):
    r = check(f"{cases}/{case}", "cn.gov.nantong.baitong")
    assert (r.outcome, r.reason) == ("unknown", reason), (r.reason, r.detail)
    assert in_detail in r.detail


def test_gone_is_a_failure(cases):
    r = check(f"{cases}/gone.apk")
    assert (r.outcome, r.reason) == ("fail", "not_found") and "HTTP 410" in r.detail


def test_cdn_redirect_chain_wrong_type_and_attachment_name(cases):
    r = check(f"{cases}/cdn.apk", "cn.gov.nantong.baitong")
    assert r.outcome == "ok", r.detail
    assert len(r.redirects) == 3 and r.final_url.endswith("/apps/cases/octet.apk")
    assert r.details["first"]["content_type"] == "application/octet-stream"
    assert "南通百通_v3.4.0.apk" in r.details["first"]["content_disposition"]
    plain = check(f"{cases}/text-plain.apk", "cn.gov.nantong.baitong")  # text/plain and no Range: still an APK
    assert plain.outcome == "ok" and plain.details["range_support"] is False


def test_server_without_range_larger_than_the_bound_is_unknown(cases, sandbox):
    r = check(f"{cases}/large-no-range.apk", "cn.gov.sandbox.large", max_bytes=1_000_000)
    assert (r.outcome, r.reason) == ("unknown", "too_large"), r.detail
    # Read what the check needed and stopped: the first 4 KiB, then at most the bound.
    assert r.bytes_transferred <= 4096 + 1_000_000 + 65536


def test_redirect_hops_are_recorded(cases, sandbox):
    r = check(f"{cases}/login")
    assert r.redirects and r.redirects[0]["status"] == 302
    assert r.redirects[0]["url"] == f"{cases}/login"
    assert r.final_url.startswith(f"{sandbox.url}/apps/sso/login")


def test_large_apk_range_check_reads_little(cases, sandbox):
    r = check(f"{cases}/large.apk", "cn.gov.sandbox.large")
    assert r.outcome == "ok", r.detail
    assert r.size > 6_000_000 and r.target_sdk == 34 and r.signature_schemes == ["v2", "v3"]
    sent = sandbox.world.state["apps_bytes"]["/apps/cases/large.apk"]
    assert r.bytes_transferred == sent  # our counter agrees with what the server sent
    assert sent < 200_000, f"range-based check of a {r.size}-byte APK transferred {sent} bytes"


def test_server_without_range_is_streamed_and_checked(cases):
    r = check(f"{cases}/no-range.apk", "cn.gov.nantong.baitong")
    assert r.outcome == "ok" and r.details["range_support"] is False
    assert r.sha256 == hashlib.sha256((FILES / "baitong.apk").read_bytes()).hexdigest()
    assert r.details["crc_checked"] is True


def test_server_without_range_stops_early_on_html(sandbox):
    # A large HTML page that ignores Range: we must not read all of it.
    add_route(sandbox.world, "/apps/cases/big-html.apk", {"serve": "html", "pad": 2_000_000})
    r = check(f"{sandbox.url}/apps/cases/big-html.apk")
    assert r.reason == "html_not_apk" and r.bytes_transferred <= 4096


def test_full_download_gives_sha256_and_crc(cases):
    async def go():
        async with HttpxTransport() as t:
            r = await check_download(t, f"{cases}/good.apk", "cn.gov.nantong.baitong")
            assert r.sha256 is None
            return await verify_full(t, r)
    r = asyncio.run(go())
    assert r.sha256 == hashlib.sha256((FILES / "baitong.apk").read_bytes()).hexdigest()
    assert r.details["crc_checked"] is True and r.outcome == "ok"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connection_refused_is_unknown_not_fail():
    r = check(f"http://127.0.0.1:{_free_port()}/app.apk", "cn.gov.x")
    assert (r.outcome, r.reason) == ("unknown", "connection_refused")


def test_data_driven_route_for_a_new_case(sandbox):
    add_route(sandbox.world, "/apps/download/new.apk", {"serve": "truncated", "file": "baitong.apk", "keep": 0.95})
    r = check(f"{sandbox.url}/apps/download/new.apk")
    assert r.reason == "truncated"


def test_landing_page_download_found_with_android_browser(cases):
    from spiders.appcheck.landing import LandingBrowser, check_landing, resolve_landing

    async def go():
        async with LandingBrowser() as browser, HttpxTransport() as t:
            pages = [await resolve_landing(f"{cases}/{name}", browser) for name in ("landing", "landing-empty")]
            checked = []
            for name in ("landing-empty", "landing-cut"):
                first = await check_download(t, f"{cases}/{name}")
                checked.append((await check_landing(t, first, None, browser=browser))[0])
            return pages + checked
    page, empty, empty_checked, cut = asyncio.run(go())
    assert (empty_checked.outcome, empty_checked.reason) == ("fail", "html_not_apk")
    # A page cut short on the way may have lost its link: not evidence.
    assert (cut.outcome, cut.reason) == ("unknown", "browser_error") and "cut short" in cut.detail
    assert page.download_url == f"{cases}/good.apk" and page.candidates[0].how == "page_download"
    assert page.app_store_url == "https://apps.apple.com/cn/app/id1660000015"
    r = check(page.download_url, "cn.gov.nantong.baitong")
    assert r.outcome == "ok"
    # The header's 帮助中心 link and the 下载 heading are not downloads.
    assert empty.candidates == [] and empty.errors == []


def test_ipv6_sandbox_literal_is_cannot_test(sandbox):
    verdict, detail = asyncio.run(ipv6_support("127.0.0.1", sandbox.port))
    assert verdict == CANNOT_TEST and "loopback" in detail


def test_ipv6_loopback_listener_supported_and_refused_not_supported():
    try:
        srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        srv.bind(("::1", 0))
    except OSError as exc:
        pytest.fail(f"this test machine cannot bind ::1 ({exc}); the IPv6 check needs loopback IPv6")
    srv.listen(1)
    port = srv.getsockname()[1]
    try:
        assert asyncio.run(ipv6_support("::1", port))[0] == SUPPORTED
    finally:
        srv.close()
    verdict, detail = asyncio.run(ipv6_support("::1", port))
    assert verdict == NOT_SUPPORTED and "no IPv6 connection" in detail
