"""Scrapy's aiohttp download handler, with the outbound policy checked at connect time.

Twisted's HTTP/1.1 client parses every answer in Python (about 1 ms of CPU a request, a
sixth of the night crawl's CPU, issue 24); aiohttp parses in C. Scrapy ships the handler as
experimental; what this module adds:
- ``PolicyAiohttpResolver``: the names aiohttp is about to connect to are resolved here and
  refused if any address is, like ``OutboundPolicyMiddleware`` before the request was sent
  (a name that rebinds to 127.0.0.1 after that check still cannot be reached). An IP literal
  is never resolved by aiohttp; the middleware has already judged it, and it cannot change.
- the URL is sent as Scrapy encoded it, and the response headers are the bytes the server
  sent (aiohttp decodes them to text, which a non-UTF-8 header such as a GBK file name would
  not survive the way back to bytes).
- the session is built on the first request (``lazy``): aiohttp needs the running event loop,
  which the crawl child starts only after the crawlers are set up.

Used by the spiders that make most of the night's requests (Weibo, WeChat: their
``custom_settings``); the others keep Twisted's more lenient parser for the odd servers of
app landing pages and download hosts.
"""
from __future__ import annotations

import logging
import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from scrapy.core.downloader.handlers._aiohttp import AiohttpDownloadHandler, _ClientResponse
from scrapy.http import Headers
from scrapy.utils.ssl import _make_ssl_context

from spiders.middlewares.outbound import policy_from_settings
from spiders.netpolicy import NetPolicy, OutboundRefused

log = logging.getLogger(__name__)


class RefusedAtConnect(OSError, OutboundRefused):
    """aiohttp reports a resolver's ``OSError`` as a failed lookup, with its ``strerror``; this
    one also carries the policy's reason (``spiders.appcheck.transport.classify_error`` finds
    it in the chain)."""

    def __init__(self, host: str, reason: str):
        OutboundRefused.__init__(self, host, reason)
        self.strerror = str(self)


class PolicyAiohttpResolver(AbstractResolver):
    def __init__(self, policy: NetPolicy):
        self.policy = policy
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        why = self.policy.addresses_refusal(host, [r["host"] for r in found])
        if why:
            log.warning("refused by outbound policy at connect time: %s", why)
            raise RefusedAtConnect(host, why)
        return found

    async def close(self) -> None:
        await self._inner.close()


class PolicyAiohttpDownloadHandler(AiohttpDownloadHandler):
    lazy = True
    experimental = False  # its one warning would say so every night; the choice is documented here

    def __init__(self, crawler):
        # AiohttpDownloadHandler.__init__ with our resolver (it offers no hook for one).
        super(AiohttpDownloadHandler, self).__init__(crawler)
        self._ssl_context = _make_ssl_context(crawler.settings)
        connector = aiohttp.TCPConnector(
            local_addr=self._bind_address, limit=self._pool_size_total,
            limit_per_host=self._pool_size_per_host,
            resolver=PolicyAiohttpResolver(policy_from_settings(crawler.settings)))
        self._session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
            response_class=_ClientResponse,
            skip_auto_headers=("Accept", "Accept-Encoding", "Content-Type", "User-Agent"))

    async def download_request(self, request):
        # The URL as Scrapy built it (already percent-encoded), as Twisted sent it: yarl would
        # otherwise re-quote it (``%2F`` in a query becomes ``/``), and the WARC request
        # record would no longer name what was fetched.
        request.meta.setdefault("verbatim_url", True)
        return await super().download_request(request)

    @staticmethod
    def _extract_headers(response: _ClientResponse) -> Headers:
        return Headers(list(response.raw_headers))


# For a spider's custom_settings.
DOWNLOAD_HANDLERS = {"http": f"{__name__}.PolicyAiohttpDownloadHandler",
                     "https": f"{__name__}.PolicyAiohttpDownloadHandler"}
