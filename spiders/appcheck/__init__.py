"""Checks of a government app's channels: the official download URL (range-based APK
inspection, landing pages), store listings, IPv6. Plain async functions over a small
``Transport`` so the Scrapy spider and tests share one code path.

Public interface::

    result = await check_download(transport, url, expected_package, full=False)
    result = await check_landing(url, transport, expected_package, chromium=...)
    result = await STORES["apple"].check(transport, base_url, store_id, at)
    verdict = await ipv6_support(host, port)

Every check returns a ``CheckResult`` with outcome ok / fail / not_listed / unknown.
"""
from spiders.appcheck.download import check_download, verify_full
from spiders.appcheck.result import CheckResult
from spiders.appcheck.transport import Fetched, HttpxTransport, Transport, TransportError

__all__ = ["CheckResult", "Fetched", "HttpxTransport", "Transport", "TransportError", "check_download", "verify_full"]
