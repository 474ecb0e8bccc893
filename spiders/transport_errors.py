"""A failed request as a transport error kind, whichever client met it (httpx in the app
checks, Scrapy's downloaders in the listing spiders): timeout, dns, connection_refused,
network or refused_by_policy. Kept free of the clients' imports, so a crawl child that never
checks an app does not load httpx for it."""
from __future__ import annotations

import asyncio
import errno

from spiders.netpolicy import OutboundRefused


class TransportError(Exception):
    """The request could not be made; ``kind`` is timeout, dns, connection_refused, network
    or refused_by_policy (the outbound policy refused the URL or a redirect hop)."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail = kind, detail


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def classify_error(exc: BaseException) -> TransportError:
    text = str(exc) or type(exc).__name__
    refused = next((e for e in _chain(exc) if isinstance(e, OutboundRefused)), None)
    if refused is not None:
        return TransportError("refused_by_policy", str(refused))
    if any(isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == errno.ECONNREFUSED for e in _chain(exc)):
        return TransportError("connection_refused", text)
    lowered = " ".join(str(e) for e in _chain(exc)).lower()
    # httpx's timeouts (ConnectTimeout, ReadTimeout …) are caught by their name.
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)) or "timed out" in lowered or "timeout" in type(exc).__name__.lower():
        return TransportError("timeout", text)
    if "name or service not known" in lowered or "nodename nor servname" in lowered or "dns" in lowered \
            or "temporary failure in name resolution" in lowered or "no address associated" in lowered:
        return TransportError("dns", text)
    if "refused" in lowered:
        return TransportError("connection_refused", text)
    return TransportError("network", text)
