"""Outbound policy: URLs from the registry, feeds and redirects reach public addresses only,
checked after DNS resolution and on every redirect hop; ``[crawl] allow_networks`` exempts
what the operator chooses. 
which the tests' policy (127.0.0.2/32 only) does not allow: the "public" side is a sandbox on
127.0.0.2, the "internal service" the usual sandbox on 127.0.0.1 (where ``localhost`` points)."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from monitor.config import ConfigError, load_settings
from monitor.crawl import run_crawl
from monitor.detectors import run_detection
from monitor.registry import UrlBases, read_registry, upsert_accounts
from monitor.sandbox import SandboxServer, World, load_scenario
from monitor.sandbox.platforms.apps import add_route
from spiders.appcheck.download import check_download
from spiders.appcheck.transport import HttpxTransport, TransportError
from spiders.netpolicy import NetPolicy, OutboundRefused, _PolicyBackend
from storage.models import Account, AppCheck, Finding, Observation
from tests.fixtures.core import T, make_app

PUBLIC_ONLY = ["127.0.0.2/32"]
HEADERS = "名称,平台,主办单位,属地,账号ID,访问链接,订阅源,下载地址,应用商店,开设时间,是否认证"


@pytest.mark.parametrize("url, kind", [
    ("http://127.0.0.1:5432/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.0.0.8/", "RFC 1918"),
    ("http://172.20.1.1/", "RFC 1918"),
    ("http://192.168.1.1/", "RFC 1918"),
    ("http://100.64.3.4/", "carrier-grade NAT"),
    ("http://[fd12:3456::1]/", "unique-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[::ffff:10.0.0.1]/", "RFC 1918"),  # IPv4-mapped IPv6 is the IPv4 address
    ("http://0.0.0.0:6379/", "unspecified"),
    ("http://localhost:6379/", "localhost resolves to"),  # after DNS resolution
    ("file:///etc/passwd", "scheme 'file'"),
    ("ftp://example.com/x.apk", "scheme 'ftp'"),
])
def test_default_policy_refuses_non_public_targets_naming_the_url(url, kind):
    with pytest.raises(OutboundRefused) as err:
        NetPolicy().check(url)
    assert url in str(err.value) and kind in str(err.value)


def test_public_addresses_pass_and_allow_networks_exempts_only_what_it_lists():
    NetPolicy().check("http://1.1.1.1/")
    NetPolicy().check("https://[2400:3200::1]/")
    p = NetPolicy.from_cidrs(["127.0.0.1/32", "10.20.0.0/16"])
    p.check("http://127.0.0.1:8080/")
    p.check("http://10.20.3.4/")
    for refused in ("http://127.0.0.2/", "http://10.21.0.1/", "http://169.254.169.254/"):
        with pytest.raises(OutboundRefused):
            p.check(refused)


def test_a_bad_allow_networks_entry_is_a_config_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.delenv("MONITOR_CRAWL__ALLOW_NETWORKS", raising=False)
    cfg = tmp_path / "monitor.toml"
    cfg.write_text('[crawl]\nallow_networks = ["127.0.0.0/8", "intranet"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg)
    assert "allow_networks" in str(err.value) and "'intranet'" in str(err.value)


@pytest.fixture
def public():
    """The allowed side: the demo sandbox on 127.0.0.2."""
    srv = SandboxServer(World(load_scenario("demo", at=T)), host="127.0.0.2").start()
    yield srv
    srv.stop()


@pytest.fixture
def internal(sandbox):
    """A service the policy must not reach (127.0.0.1, like the database and Redis)."""
    return sandbox


def _import(app, tmp_path, rows: list[str]):
    path = tmp_path / "registry.csv"
    path.write_text("\n".join([HEADERS, *rows]) + "\n", encoding="utf-8")
    parsed = read_registry(path, UrlBases.from_settings(app.settings))
    assert not parsed.invalid, [str(p) for p in parsed.invalid]
    with app.session() as s:
        upsert_accounts(s, parsed.records)
        return {a.name: a.id for a in s.scalars(select(Account))}


def test_crawl_refuses_registry_urls_and_redirect_hops_to_refused_addresses(public, internal, sqlite_url, tmp_path):
    sandbox = public
    public, inside = sandbox.url, internal.url
    add_route(sandbox.world, "/apps/cases/to-internal.apk", {"serve": "redirect", "to": f"{inside}/apps/cases/good.apk"})
    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(),
                   crawl={"delay": 0, "retries": 0, "allow_networks": PUBLIC_ONLY})
    ids = _import(app, tmp_path, [
        f"内网应用,移动客户端APP,某局,市级,cn.gov.x1,,,{inside}/apps/cases/good.apk,,2018-01-01,",
        f"跳转应用,移动客户端APP,某局,市级,cn.gov.x2,,,{public}/apps/cases/to-internal.apk,,2018-01-01,",
        f"名字应用,移动客户端APP,某局,市级,cn.gov.x3,,,http://localhost:{internal.port}/apps/cases/good.apk,,2018-01-01,",
        f"正常应用,移动客户端APP,某局,市级,cn.gov.nantong.baitong,,,{public}/apps/cases/good.apk,,2018-01-01,",
        f"内网公众号,微信订阅号,某局,市级,MzA5MDAwMDAwMQ==,,{inside}/feeds/wewe/MzA5MDAwMDAwMQ==.atom,,,2015-03-01,是",
    ])
    result = run_crawl(app, T, ["apps", "wechat"])
    assert result.ok, result.log_path.read_text()[-4000:]
    assert internal.world.count() == 0, "a request reached the internal service"
    with app.session() as s:
        checks = {c.account_id: c for c in s.scalars(select(AppCheck).where(AppCheck.channel == "download"))}
        obs = {o.account_id: o for o in s.scalars(select(Observation))}
    direct, hop, name, good = (checks[ids[n]] for n in ("内网应用", "跳转应用", "名字应用", "正常应用"))
    assert (direct.outcome, direct.reason) == ("unknown", "refused_by_policy")
    assert f"{inside}/apps/cases/good.apk" in direct.detail and "127.0.0.1 is a loopback address" in direct.detail
    # The first hop was fetched (public side), the redirect target was refused.
    assert (hop.outcome, hop.reason) == ("unknown", "refused_by_policy")
    assert f"{inside}/apps/cases/good.apk" in hop.detail
    # Checked after DNS resolution: localhost is 127.0.0.1.
    assert (name.outcome, name.reason) == ("unknown", "refused_by_policy") and "localhost resolves to" in name.detail
    assert good.outcome == "ok"
    feed = obs[ids["内网公众号"]]
    assert feed.outcome == "error" and "refused by outbound policy" in (feed.reason or "")
    assert f"{inside}/feeds/wewe/" in feed.reason
    # A refusal is never evidence: no veto and no deduction rests on it.
    run_detection(app, T)
    with app.session() as s:
        accused = {f.account_id for f in s.scalars(select(Finding).where(~Finding.rule.startswith("adv.")))}
    assert not accused & {ids["内网应用"], ids["跳转应用"], ids["名字应用"], ids["内网公众号"]}


def test_allow_networks_lets_the_operator_reach_a_chosen_network(public, internal, sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, **public.config_overrides(),
                   crawl={"delay": 0, "retries": 0, "allow_networks": ["127.0.0.1/32", "127.0.0.2/32"]})
    ids = _import(app, tmp_path, [
        f"内网应用,移动客户端APP,某局,市级,cn.gov.nantong.baitong,,,{internal.url}/apps/cases/good.apk,,2018-01-01,"])
    assert run_crawl(app, T, ["apps"]).ok
    with app.session() as s:
        check = s.scalar(select(AppCheck).where(AppCheck.account_id == ids["内网应用"]))
    assert check.outcome == "ok" and internal.world.count(path_prefix="/apps/") > 0


def test_httpx_transport_checks_every_hop_and_the_connected_address(public, internal):
    sandbox = public
    add_route(sandbox.world, "/apps/cases/hop.apk", {"serve": "redirect", "to": f"{internal.url}/apps/cases/good.apk"})
    policy = NetPolicy.from_cidrs(PUBLIC_ONLY)

    async def go():
        async with HttpxTransport(policy=policy) as t:
            ok = await check_download(t, f"{sandbox.url}/apps/cases/good.apk")
            hop = await check_download(t, f"{sandbox.url}/apps/cases/hop.apk")
            with pytest.raises(TransportError) as err:
                await t.get(f"{internal.url}/apps/cases/good.apk")
            return ok, hop, err.value
    ok, hop, err = asyncio.run(go())
    assert ok.outcome == "ok"
    assert (hop.outcome, hop.reason) == ("unknown", "refused_by_policy") and internal.url in hop.detail
    assert err.kind == "refused_by_policy"
    assert internal.world.count() == 0


def test_connect_time_check_refuses_a_name_whatever_the_url_check_said():
    """The connection itself resolves and checks: a name that answered with a public address
    before and a refused one now (DNS rebinding) is still refused."""
    class Inner:
        async def connect_tcp(self, *a, **kw):  # pragma: no cover - must not be reached
            raise AssertionError("connected to a refused address")

    backend = _PolicyBackend(Inner(), NetPolicy.from_cidrs(PUBLIC_ONLY))
    with pytest.raises(OutboundRefused) as err:
        asyncio.run(backend.connect_tcp("localhost", 5432))
    assert "localhost resolves to 127.0.0.1, a loopback address" in str(err.value)


# ── a private network namespace: a real RFC 1918 host next to this machine ──────────────────
_NS_SERVER = """
import sys, time
from monitor.sandbox import SandboxServer, World, load_scenario
from monitor.timeutil import resolve_at
SandboxServer(World(load_scenario("demo", at=resolve_at(sys.argv[3]))), host=sys.argv[1], port=int(sys.argv[2])).start()
print("ready", flush=True)
time.sleep(600)
"""


@pytest.fixture
def private_host(tmp_path):
    """A sandbox at 10.254.N.2 inside a network namespace of its own, reached over a veth
    pair (this machine is 10.254.N.1): a private office-network address, for real."""
    import os
    import random
    import subprocess
    import sys

    tag = f"{os.getpid() % 10000:04d}{random.randrange(100):02d}"
    ns, host_if, ns_if = f"w26c-{tag}", f"vh{tag}", f"vn{tag}"
    net = f"10.254.{random.randrange(1, 250)}"

    def ip(*args, check=True):
        return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)

    ip("netns", "add", ns)
    proc = None
    try:
        ip("link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        ip("link", "set", ns_if, "netns", ns)
        ip("addr", "add", f"{net}.1/30", "dev", host_if)
        ip("link", "set", host_if, "up")
        ip("netns", "exec", ns, "ip", "addr", "add", f"{net}.2/30", "dev", ns_if)
        ip("netns", "exec", ns, "ip", "link", "set", ns_if, "up")
        ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")
        repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", _NS_SERVER, f"{net}.2", "8080",
                                 T.isoformat()], cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, "PYTHONPATH": repo})
        line = proc.stdout.readline()  # the server says when it listens (or dies, and we see why)
        assert line.strip() == "ready", proc.stderr.read()
        yield f"http://{net}.2:8080", f"{net}.0/30"
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        ip("link", "del", host_if, check=False)
        ip("netns", "del", ns, check=False)


def test_a_private_network_host_is_refused_unless_allowed(private_host, sqlite_url, tmp_path):
    url, network = private_host
    row = f"内网应用,移动客户端APP,某局,市级,cn.gov.nantong.baitong,,,{url}/apps/cases/good.apk,,2018-01-01,"
    refused_app = make_app(sqlite_url, tmp_path, crawl={"delay": 0, "retries": 0, "allow_networks": []})
    ids = _import(refused_app, tmp_path, [row])
    assert run_crawl(refused_app, T, ["apps"]).ok
    allowed_app = make_app(sqlite_url, tmp_path, crawl={"delay": 0, "retries": 0, "allow_networks": [network]})
    assert run_crawl(allowed_app, T, ["apps"]).ok
    with allowed_app.session() as s:
        first, second = s.scalars(select(AppCheck).where(AppCheck.account_id == ids["内网应用"],
                                                         AppCheck.channel == "download").order_by(AppCheck.id))
    assert (first.outcome, first.reason) == ("unknown", "refused_by_policy")
    assert "private (RFC 1918)" in first.detail and f"{url}/apps/cases/good.apk" in first.detail
    assert second.outcome == "ok"  # the same host, allowed: so the refusal above was the policy's


def test_the_evidence_browser_reaches_only_allowed_addresses(public, internal, sqlite_url, tmp_path):
    """The screenshot browser goes through the policy proxy: a page, and a redirect hop the
    browser follows by itself, are refused the same way as in the crawl."""
    from monitor.evidence.screenshot import Capturer

    add_route(public.world, "/apps/cases/to-internal", {"serve": "redirect", "to": f"{internal.url}/apps/sso/login"})
    app = make_app(sqlite_url, tmp_path, crawl={"allow_networks": PUBLIC_ONLY})
    with Capturer(app.settings) as c:
        good = c.capture(f"{public.url}/apps/sso/login", expect=["统一身份认证"])
        direct = c.capture(f"{internal.url}/apps/sso/login")
        hop = c.capture(f"{public.url}/apps/cases/to-internal")
    assert good.ok, good.notes
    for cap in (direct, hop):
        assert not cap.ok and cap.png is None and cap.html is None
        assert any("出站策略拒绝" in n and f"{internal.url}/apps/sso/login" in n for n in cap.notes), cap.notes
    assert internal.world.count() == 0


def _serve_once(answer: bytes):
    """A loopback HTTP server answering ``answer`` to each connection; ``hits`` counts them."""
    hits = []

    async def handle(reader, writer):
        hits.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(answer)
        await writer.drain()
        writer.close()

    return hits, asyncio.start_server(handle, "127.0.0.1", 0)


def _aiohttp_fetch(allow: list[str], url_of, answer: bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"):
    """Download ``url_of(port)`` with the Weibo/WeChat download handler under ``allow``."""
    from scrapy import Request
    from scrapy.utils.test import get_crawler

    from spiders.aiohttp_download import PolicyAiohttpDownloadHandler

    async def run():
        hits, starting = _serve_once(answer)
        server = await starting
        port = server.sockets[0].getsockname()[1]
        handler = PolicyAiohttpDownloadHandler(get_crawler(settings_dict={"OUTBOUND_ALLOW_NETWORKS": allow}))
        try:
            return await handler.download_request(Request(url_of(port), meta={"download_timeout": 10})), hits
        finally:
            await handler.close()
            server.close()

    return asyncio.run(run())


def test_aiohttp_handler_refuses_at_connect_time_a_name_the_policy_refuses():
    """The Weibo/WeChat transport resolves again when it connects: a name that now answers
    with a refused address (DNS rebinding after the middleware's check) is never reached, and
    the failure reads as the policy's refusal."""
    from twisted.python.failure import Failure

    from spiders.failures import request_failure

    with pytest.raises(Exception) as err:
        _aiohttp_fetch(PUBLIC_ONLY, lambda port: f"http://localhost:{port}/")
    reason = request_failure(Failure(err.value))
    assert reason.startswith("refused_by_policy: ") and "localhost resolves to 127.0.0.1, a loopback address" in reason


def test_aiohttp_handler_answers_with_the_peer_address_and_the_headers_as_sent():
    """Allowed, the same transport gives the WARC records the connected address, and header
    bytes that are not UTF-8 (a GBK file name) exactly as the server sent them."""
    gbk = "附件.apk".encode("gbk")
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Disposition: attachment; filename=" + gbk + \
        b"\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\nok"
    response, hits = _aiohttp_fetch(["127.0.0.0/8"], lambda port: f"http://localhost:{port}/x", answer)
    assert len(hits) == 1 and str(response.ip_address) == "127.0.0.1"
    assert response.status == 200 and response.body == b"ok"
    assert response.headers.get("Content-Disposition") == b"attachment; filename=" + gbk
    assert response.headers.getlist("Set-Cookie") == [b"a=1", b"b=2"]
