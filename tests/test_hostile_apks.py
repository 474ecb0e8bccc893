"""Hostile APKs cost their own channel, never the night: a 3 MB APK whose manifest is a
deflate bomb and a 5 MB APK with an asset that inflates to 5 GB, served by the sandbox
(made at test time), checked by the real crawl child beside the demo registry's accounts."""
from __future__ import annotations

import asyncio
import zlib

import pytest
from sqlalchemy import select

from monitor.crawl import run_crawl
from monitor.registry import UrlBases, read_registry, upsert_accounts
from monitor.sandbox import bombs
from monitor.sandbox.platforms.apps import add_route
from spiders.appcheck import HttpxTransport, check_download, verify_full
from spiders.appcheck.zipmeta import OverLimit, inflate_entry
from storage.models import Account, AppCheck, Observation
from tests.fixtures.core import T, make_app


def test_bombs_are_what_they_claim():
    """The sandbox's bombs really inflate that far (declared sizes are true)."""
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(bombs.manifest_bomb())) as z:
        assert z.getinfo("AndroidManifest.xml").file_size > 3000 * 2**20
    with zipfile.ZipFile(io.BytesIO(bombs.entry_bomb())) as z:
        assert z.getinfo("assets/data.bin").file_size == 5000 * 2**20
        assert z.getinfo("assets/data.bin").compress_size < 6 * 2**20
    # A small one of the same make is a valid stream with a true CRC.
    stream, crc, size = bombs._zeros_stream(b"head", 3)
    assert zlib.decompress(stream, -15) == b"head" + bytes(3 * 2**20) and crc == zlib.crc32(b"head" + bytes(3 * 2**20))


def test_inflate_stops_at_its_bound_whatever_the_headers_say():
    stream, _, _ = bombs._zeros_stream(b"", 64)
    with pytest.raises(OverLimit, match="exceeds 8 MB when inflated"):
        inflate_entry("AndroidManifest.xml", 8, stream, 8 * 2**20)
    assert inflate_entry("a", 8, zlib.compress(b"x" * 100)[2:-4], 100) == b"x" * 100
    with pytest.raises(zlib.error, match="truncated"):
        inflate_entry("a", 8, zlib.compress(b"abc" * 1000)[2:20], 10_000)


def _check(url):
    async def go():
        async with HttpxTransport() as t:
            r = await check_download(t, url, None)
            return await verify_full(t, r) if r.outcome == "ok" else r
    return asyncio.run(go())


def test_manifest_bomb_is_unknown_over_limit(sandbox):
    r = _check(f"{sandbox.url}/apps/cases/manifest-bomb.apk")
    assert (r.outcome, r.reason) == ("unknown", "over_limit"), r.detail
    assert "AndroidManifest.xml exceeds 8 MB" in r.detail
    # Only the 3 MB on the wire were read, never the 3 GB it inflates to.
    assert r.bytes_transferred < 4 * 2**20


def test_big_entry_keeps_the_range_check_and_skips_the_crc_test(sandbox):
    r = _check(f"{sandbox.url}/apps/cases/entry-bomb.apk")
    assert (r.outcome, r.package, r.target_sdk) == ("ok", "cn.gov.sandbox.bigasset", 34), r.detail
    assert r.details["crc_checked"] is False
    assert r.details["crc_skipped"]["reason"] == "over_limit"
    assert "assets/data.bin: 5000 MB from 5 MB" in r.details["crc_skipped"]["detail"]


def test_bombs_in_a_night_cost_their_channel_only(sandbox, demo_registry, sqlite_url, tmp_path):
    # A memory limit well below what inflating either bomb would take: had the check
    # inflated them, the child would be killed and the night's other accounts lost.
    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0, "child_memory_mb": 900})
    parsed = read_registry(demo_registry, UrlBases.from_settings(app.settings))
    add_route(sandbox.world, "/apps/download/bomb.apk", {"serve": "manifest_bomb"})
    add_route(sandbox.world, "/apps/download/big.apk", {"serve": "entry_bomb"})
    with app.session() as s:
        upsert_accounts(s, parsed.records)
        for name, path, package in (("炸弹应用", "bomb.apk", "cn.gov.sandbox.bomb"),
                                    ("大文件应用", "big.apk", "cn.gov.sandbox.bigasset")):
            s.add(Account(name=name, platform="app", host_unit="测试单位", platform_id=package,
                          download_url=f"{sandbox.url}/apps/download/{path}", store_ids={}))
    result = run_crawl(app, T, ["apps", "wechat", "weibo"])
    assert result.ok and not result.memory_exceeded, (result.peak_rss_mb, result.log_path.read_text()[-3000:])
    with app.session() as s:
        accounts = {a.name: a for a in s.scalars(select(Account))}
        observed = {o.account_id: o for o in s.scalars(select(Observation))}
        checks = {(c.account_id, c.channel): c for c in s.scalars(select(AppCheck))}
    # Every account of the night's platforms was observed, the bombs' included.
    assert set(observed) == {a.id for a in accounts.values() if a.platform in ("app", "wechat", "weibo")}
    bomb = checks[(accounts["炸弹应用"].id, "download")]
    assert (bomb.outcome, bomb.reason) == ("unknown", "over_limit") and "8 MB" in bomb.detail
    assert observed[accounts["炸弹应用"].id].outcome == "error"  # its only channel: 未能核验, not a failure
    big = checks[(accounts["大文件应用"].id, "download")]
    assert big.outcome == "ok" and big.details["crc_skipped"]["reason"] == "over_limit"
    # The others are observed as usual (the demo's app accounts as in test_app_spider).
    by_pkg = {a.platform_id: a.id for a in accounts.values() if a.platform == "app"}
    assert checks[(by_pkg["cn.gov.nantong.baitong"], "download")].outcome == "ok"
    assert checks[(by_pkg["cn.gov.nantong.baitong"], "download")].details["crc_checked"] is True
    others = [o for o in observed.values() if o.platform in ("weibo", "wechat")]
    assert others and any(o.outcome == "ok" for o in others)


def test_inflating_parsing_and_crc_run_off_the_event_loop(sandbox, monkeypatch):
    """The CPU-heavy steps run in a worker thread, so the crawl's event loop (every other
    account's requests) keeps moving while one APK is inflated, parsed or CRC-tested."""
    import threading

    from spiders.appcheck import download

    threads: dict[str, int] = {}

    def spy(name, real):
        def wrapped(*a):
            threads[name] = threading.get_ident()
            return real(*a)
        return wrapped

    monkeypatch.setattr(download, "_read_manifest", spy("manifest", download._read_manifest))
    monkeypatch.setattr(download, "crc_test", spy("crc", download.crc_test))

    async def go():
        loop_thread = threading.get_ident()
        async with HttpxTransport() as t:
            r = await verify_full(t, await check_download(t, f"{sandbox.url}/apps/cases/good.apk", None))
        return loop_thread, r

    loop_thread, r = asyncio.run(go())
    assert r.outcome == "ok" and r.details["crc_checked"] is True
    assert set(threads) == {"manifest", "crc"} and loop_thread not in threads.values()
