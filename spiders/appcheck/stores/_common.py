"""What the store adapters share: fetch (counting bytes and requests), read JSON, and turn
transport / HTTP / captcha / parse problems into ``unknown`` (a store that did not answer,
or answered in a shape we do not know, says nothing about the app)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from spiders.appcheck import classify
from spiders.appcheck import result as r
from spiders.appcheck.result import CheckResult
from spiders.appcheck.transport import Fetched, Transport, TransportError

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_STORE_BYTES = 4 * 1024 * 1024  # a listing page or JSON answer is far smaller


class StoreUnusable(Exception):
    """(reason, detail): the store gave no answer we can read."""


async def fetch(transport: Transport, url: str, result: CheckResult, **kw) -> Fetched:
    kw.setdefault("limit", MAX_STORE_BYTES)
    try:
        f = await transport.get(url, **kw)
    except TransportError as exc:
        raise StoreUnusable(exc.kind, exc.detail) from None
    result.bytes_transferred = (result.bytes_transferred or 0) + len(f.body)
    result.details.setdefault("requests", []).append({"url": f.url, "status": f.status, "bytes": len(f.body)})
    result.final_url, result.redirects = f.url, f.redirects
    result.capture_ref = result.capture_ref or f.capture_ref
    result.details["http_status"] = f.status
    if f.status in classify.RATE_LIMIT_STATUSES:
        raise StoreUnusable(r.RATE_LIMITED, f"HTTP {f.status} from {f.url}")
    if f.status >= 400:
        raise StoreUnusable(r.STORE_HTTP_ERROR, f"HTTP {f.status} from {f.url}")
    if f.stopped_early:
        raise StoreUnusable(r.STORE_UNEXPECTED, f"answer from {f.url} larger than {MAX_STORE_BYTES} bytes")
    return f


def decode_json(f: Fetched) -> Any:
    try:
        # Do not trust Content-Type: Apple answers text/javascript.
        return json.loads(f.body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        if classify.looks_like_captcha(f.body):
            raise StoreUnusable(r.CAPTCHA, f"a verification page instead of JSON: {f.body[:120]!r}") from None
        raise StoreUnusable(r.STORE_NOT_JSON, f"not JSON (error page?): {f.body[:120]!r}") from None


async def fetch_json(transport: Transport, url: str, result: CheckResult, **kw) -> Any:
    return decode_json(await fetch(transport, url, result, **kw))


def html_text(f: Fetched) -> str:
    text = f.body.decode("utf-8", "replace")
    if classify.looks_like_captcha(f.body) and "window.systemData" not in text:
        raise StoreUnusable(r.CAPTCHA, f"a verification page from {f.url}: {text[:120]!r}")
    return text


def unusable(result: CheckResult, exc: StoreUnusable) -> CheckResult:
    kind, detail = exc.args
    return result.unknown(kind, detail)


def utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def local(text: Any) -> datetime | None:
    """A store's date or date-time without a zone: Chinese stores mean Beijing time."""
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(str(text).strip().replace("/", "-"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=SHANGHAI)


def from_epoch(value: Any) -> datetime | None:
    """Seconds or milliseconds since the epoch (stores use both)."""
    try:
        n = int(value)
    except (TypeError, ValueError):
        return None
    try:
        return datetime.fromtimestamp(n / 1000 if n > 10**11 else n, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def start(url: str) -> CheckResult:
    return CheckResult(url=url, outcome=r.OK, bytes_transferred=0)


def check_package(result: CheckResult, expected: str | None, store: str) -> CheckResult:
    if expected and result.package and result.package != expected:
        return result.fail(r.PACKAGE_MISMATCH, f"{store} listing is {result.package!r}, registered {expected!r}")
    return result
