"""What the store adapters share: fetch JSON, and turn transport/HTTP/parse problems into
``unknown`` (a store that did not answer says nothing about the app)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from spiders.appcheck import result as r
from spiders.appcheck.result import CheckResult
from spiders.appcheck.transport import Transport, TransportError


class StoreUnusable(Exception):
    pass


async def fetch_json(transport: Transport, url: str, result: CheckResult, **kw) -> Any:
    try:
        f = await transport.get(url, **kw)
    except TransportError as exc:
        raise StoreUnusable(exc.kind, exc.detail) from None
    result.bytes_transferred = (result.bytes_transferred or 0) + len(f.body)
    result.final_url, result.redirects = f.url, f.redirects
    result.capture_ref = f.capture_ref
    result.details["http_status"] = f.status
    if f.status >= 400:
        raise StoreUnusable("store_http_error", f"HTTP {f.status} from {f.url}")
    try:
        # Do not trust Content-Type: Apple answers text/javascript.
        return json.loads(f.body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise StoreUnusable("store_not_json", f"not JSON (captcha or error page?): {f.body[:120]!r}") from None


def unusable(result: CheckResult, exc: StoreUnusable) -> CheckResult:
    kind, detail = exc.args
    return result.unknown(kind, detail)


def utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def from_epoch(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None


def start(url: str) -> CheckResult:
    return CheckResult(url=url, outcome=r.OK, bytes_transferred=0)
