"""How the checks fetch bytes: ``Transport.get(url, range=..., limit=...)``.

The checks only need "GET this URL (optionally a byte range), follow redirects, give me the
status, headers, hops and at most ``limit`` body bytes". The spider supplies a Scrapy-backed
transport (downloader middlewares, WARC capture, per-host delay); tests and the CLI use
``HttpxTransport``. A transport raises ``TransportError`` when the check itself could not be
made (timeout, DNS, refused connection): that is outcome ``unknown``, never a failure.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol
from urllib.parse import urlsplit

import httpx

from spiders.netpolicy import NetPolicy, OutboundRefused, guard_httpx
from spiders.transport_errors import TransportError, classify_error  # noqa: F401 (re-exported)

ANDROID_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0 Mobile Safari/537.36")


@dataclass
class Fetched:
    url: str  # final URL after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    redirects: list[dict[str, Any]] = field(default_factory=list)  # every hop before ``url``
    stopped_early: bool = False  # we stopped reading at ``limit``
    capture_ref: Optional[str] = None

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


class Transport(Protocol):
    bytes_transferred: int

    async def get(self, url: str, *, range: str | None = None, limit: int | None = None,
                  headers: dict[str, str] | None = None, method: str = "GET",
                  json_body: Any = None) -> Fetched: ...


class HostPacer:
    """At most one request per ``delay`` seconds to one host (politeness)."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self._last: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, url: str) -> None:
        if self.delay <= 0:
            return
        host = urlsplit(url).netloc
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            gap = self._last.get(host, 0) + self.delay - time.monotonic()
            if gap > 0:
                await asyncio.sleep(gap)
            self._last[host] = time.monotonic()


class HttpxTransport:
    """Plain async HTTP with redirect hops, byte counting and early stop."""

    def __init__(self, *, timeout: float = 30.0, user_agent: str = ANDROID_UA, delay: float = 0.0,
                 max_redirects: int = 10, local_address: str | None = None, policy: NetPolicy | None = None):
        transport = httpx.AsyncHTTPTransport(local_address=local_address) if local_address else None
        self.client = httpx.AsyncClient(timeout=timeout, max_redirects=max_redirects, transport=transport,
                                        headers={"User-Agent": user_agent, "Accept-Encoding": "identity"})
        if policy is not None:  # every hop checked, and connections only to allowed addresses
            guard_httpx(self.client, policy)
        self.pacer = HostPacer(delay)
        self.bytes_transferred = 0
        self.requests = 0

    async def aclose(self) -> None:
        await self.client.aclose()

    async def __aenter__(self) -> "HttpxTransport":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def get(self, url: str, *, range: str | None = None, limit: int | None = None,
                  headers: dict[str, str] | None = None, method: str = "GET",
                  json_body: Any = None) -> Fetched:
        hdrs = dict(headers or {})
        if range:
            hdrs["Range"] = range
        await self.pacer.wait(url)
        self.requests += 1
        body = bytearray()
        stopped = False
        try:
            async with self.client.stream(method, url, headers=hdrs, follow_redirects=True,
                                          json=json_body) as resp:
                async for chunk in resp.aiter_raw():
                    body += chunk
                    if limit is not None and len(body) >= limit:
                        stopped = len(body) > limit or resp.headers.get("content-length") not in (None, str(len(body)))
                        del body[limit:]
                        break
        except httpx.TooManyRedirects as exc:
            raise TransportError("network", f"too many redirects from {url}: {exc}") from None
        except (httpx.HTTPError, OSError, OutboundRefused) as exc:
            raise classify_error(exc) from None
        finally:
            self.bytes_transferred += len(body)
        hops = [{"url": str(r.url), "status": r.status_code, "location": r.headers.get("location")}
                for r in resp.history]
        return Fetched(str(resp.url), resp.status_code, {k.lower(): v for k, v in resp.headers.items()},
                       bytes(body), hops, stopped)
