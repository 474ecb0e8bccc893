"""A Scrapy request that got no answer, as a stored failure reason ``"<code>: <detail>"``.

The listing spiders (Weibo, WeChat) record why an account could not be read; the code is
worded for inspectors by ``monitor.reports.wording`` and the detail (Twisted's message,
the URL the outbound policy refused …) stays for operators. The transport codes are the app
checks' own (``spiders.transport_errors.classify_error``), so a timeout reads the same
whichever platform met it.
"""
from __future__ import annotations

from twisted.python.failure import Failure

from spiders.transport_errors import classify_error


def staged(reason: str, stage: str) -> str:
    """``"rate_limited: HTTP 418"`` at stage ``timeline`` → ``"rate_limited: timeline: HTTP 418"``:
    the code stays first, the stage joins the detail."""
    code, sep, detail = reason.partition(": ")
    return f"{code}: {stage}: {detail}" if sep else f"{code}: {stage}"


def request_failure(failure: Failure) -> str:
    """Why a request failed: over_limit (DOWNLOAD_MAXSIZE), redirect_loop, or a transport
    code (timeout, dns, connection_refused, refused_by_policy, network)."""
    exc = failure.value
    name = type(exc).__name__
    message = failure.getErrorMessage() or name
    if "DOWNLOAD_MAXSIZE" in message or "max size" in message.lower():
        return f"over_limit: {message}"
    kind = classify_error(exc).kind
    if kind == "network" and "redirect" in message.lower():
        kind = "redirect_loop"
    return f"{kind}: {name}: {message}"


def http_code(status: int) -> str:
    """The code of an HTTP error answer that carries no platform-specific meaning."""
    return "http_5xx" if status >= 500 else "http_4xx" if status >= 400 else "http_error"
