"""Outbound policy: where the product may connect when it follows a URL it did not choose.

Registry URLs, feed and article links, redirects and APK download hosts come from outside:
without a policy any of them can point the crawl at the machine's own services (PostgreSQL
on 127.0.0.1:5432), the office network or the cloud metadata endpoint (169.254.169.254),
and their answers would end up in WARC files and app-check details. By default only http(s)
to public addresses is allowed; ``[crawl] allow_networks`` lists the networks the operator
exempts (the sandbox, the demo and the tests allow loopback).

The check is on addresses, after DNS resolution: a name is refused when any address it
resolves to is refused (a name that mixes public and private answers is a rebinding trick).
Callers also check at connect time, on the address actually connected to (Scrapy's resolver
in ``spiders.middlewares.outbound``, the httpx network backend below), so a name that
answers differently the second time still cannot reach a refused address.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import Iterable
from urllib.parse import urlsplit

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = ("http", "https")
LOOPBACK = ("127.0.0.0/8", "::1/128")  # what the sandbox, the demo and the tests allow

# Named so the refusal says what kind of address it was; anything else that is not globally
# routable (documentation, benchmarking, reserved ranges) is refused as "not public".
_KINDS: list[tuple[IPNetwork, str]] = [(ipaddress.ip_network(n), kind) for n, kind in [
    ("127.0.0.0/8", "loopback"),
    ("::1/128", "loopback"),
    ("169.254.0.0/16", "link-local (cloud metadata)"),
    ("fe80::/10", "IPv6 link-local"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("100.64.0.0/10", "carrier-grade NAT (RFC 6598)"),
    ("fc00::/7", "IPv6 unique-local (ULA)"),
    ("0.0.0.0/8", "unspecified (\"this network\")"),
    ("::/128", "unspecified"),
    ("224.0.0.0/4", "multicast"),
    ("ff00::/8", "IPv6 multicast"),
]]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(Exception):
    """The policy refused a URL; the message names the URL and why."""

    def __init__(self, url: str, reason: str):
        super().__init__(f"refused by outbound policy: {url}: {reason}")
        self.url, self.reason = url, reason


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    out = []
    for i, cidr in enumerate(cidrs):
        try:
            out.append(ipaddress.ip_network(str(cidr).strip(), strict=False))
        except ValueError:
            raise ValueError(f"allow_networks[{i}]: {cidr!r} is not a network like 127.0.0.0/8 or ::1/128") from None
    return tuple(out)


def _embedded_v4(ip: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or NAT64 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def address_kind(ip: IPAddress) -> str | None:
    """Why an address is not public (None: it is a public address)."""
    ip = _embedded_v4(ip)
    for net, kind in _KINDS:
        if ip.version == net.version and ip in net:
            return kind
    if not ip.is_global:
        return "reserved (non-public)"
    return None


@dataclass(frozen=True)
class NetPolicy:
    allow: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_cidrs(cls, cidrs: Iterable[str] | None) -> "NetPolicy":
        return cls(parse_networks(cidrs or ()))

    def address_refusal(self, address: str | IPAddress, host: str | None = None) -> str | None:
        """Why connecting to ``address`` (that ``host`` resolved to) is refused, or None."""
        try:
            ip = ipaddress.ip_address(str(address).split("%", 1)[0]) if isinstance(address, str) else address
        except ValueError:
            return f"{address!r} is not an IP address"
        for candidate in {ip, _embedded_v4(ip)}:
            if any(candidate.version == net.version and candidate in net for net in self.allow):
                return None
        kind = address_kind(ip)
        if kind is None:
            return None
        what = f"{'an' if kind[0] in 'aeiouI' else 'a'} {kind} address, not in [crawl] allow_networks"
        return f"{host} resolves to {ip}, {what}" if host else f"{ip} is {what}"

    def url_refusal(self, url: str) -> tuple[str | None, str | None]:
        """(refusal, hostname to resolve): the checks that need no DNS — scheme, an IP
        literal host. A hostname comes back for the caller to resolve."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError as exc:
            return f"not a valid URL ({exc})", None
        if parts.scheme.lower() not in SCHEMES:
            return f"scheme {parts.scheme or '(none)'!r} is not allowed (only http and https)", None
        if not host:
            return "the URL has no host", None
        try:
            literal = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return None, host
        return self.address_refusal(literal), None

    def addresses_refusal(self, host: str, addresses: Iterable[str]) -> str | None:
        for a in dict.fromkeys(addresses):
            why = self.address_refusal(a, host)
            if why:
                return why
        return None

    def check(self, url: str) -> None:
        """Raise OutboundRefused unless ``url`` may be fetched (resolves names, blocking).
        A name that does not resolve passes: the fetch itself then fails as a DNS error."""
        why, host = self.url_refusal(url)
        if why is None and host is not None:
            why = self.addresses_refusal(host, resolve(host))
        if why:
            raise OutboundRefused(url, why)

    async def acheck(self, url: str) -> None:
        """``check`` without blocking the event loop."""
        why, host = self.url_refusal(url)
        if why is None and host is not None:
            why = self.addresses_refusal(host, await aresolve(host))
        if why:
            raise OutboundRefused(url, why)


def resolve(host: str) -> list[str]:
    try:
        return [info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)]
    except (socket.gaierror, UnicodeError):
        return []


async def aresolve(host: str) -> list[str]:
    try:
        # An address is its own answer: no round trip through the executor's lookup threads.
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return [info[4][0] for info in infos]


# ── httpx: checked on every hop and at connect time ────────────────────────────────────────
def guard_httpx(client, policy: NetPolicy) -> None:
    """Apply ``policy`` to an ``httpx.AsyncClient``: each request (redirect hops included) is
    checked before it is sent, and the connection is made only to an address the policy
    allows, resolved once and connected to directly (no second lookup to rebind)."""
    async def on_request(request) -> None:
        await policy.acheck(str(request.url))

    client.event_hooks["request"] = [*client.event_hooks.get("request", []), on_request]
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    if pool is not None and hasattr(pool, "_network_backend"):
        pool._network_backend = _PolicyBackend(pool._network_backend, policy)


class _PolicyBackend:
    """An httpcore network backend that resolves the host itself, refuses what the policy
    refuses, and connects to the checked address (TLS still verifies the hostname: httpcore
    takes the server name from the request's origin, not from this address)."""

    def __init__(self, inner, policy: NetPolicy):
        self.inner, self.policy = inner, policy

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        addresses = await aresolve(host)
        if not addresses:
            return await self.inner.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                                socket_options=socket_options)
        why = self.policy.addresses_refusal(host, addresses)
        if why:
            raise OutboundRefused(f"{host}:{port}", why)
        return await self.inner.connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                            socket_options=socket_options)

    def __getattr__(self, name):  # connect_unix_socket, sleep …
        return getattr(self.inner, name)


# ── Playwright: every request a page makes ─────────────────────────────────────────────────
async def guard_playwright_context(context, policy: NetPolicy, refused: list[str]) -> None:
    """Abort every request of a browser context that the policy refuses (pages, frames,
    redirects, subresources); each refusal is appended to ``refused`` for the record."""
    async def handler(route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:", "about:")):
            await route.continue_()
            return
        try:
            await policy.acheck(url)
        except OutboundRefused as exc:
            refused.append(str(exc))
            await route.abort("blockedbyclient")
            return
        await route.continue_()

    await context.route("**/*", handler)


def guard_playwright_context_sync(context, policy: NetPolicy, refused: list[str]) -> None:
    """``guard_playwright_context`` for Playwright's sync API."""
    def handler(route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:", "about:")):
            route.continue_()
            return
        try:
            policy.check(url)
        except OutboundRefused as exc:
            refused.append(str(exc))
            route.abort("blockedbyclient")
            return
        route.continue_()

    context.route("**/*", handler)
