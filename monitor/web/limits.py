"""How big a request body may be, refused while it is being received: a Content-Length over the
limit is answered 413 before the body is read, and a body without one (chunked) is counted as it
streams in and cut off at the limit — never the whole upload first, then the check.

A route that takes uploads declares its limit here with ``register(pattern, limit)``; every other
POST is a small form."""
from __future__ import annotations

import re
from typing import Awaitable, Callable

from fastapi import HTTPException
from starlette.requests import Request

from monitor.reports.wording import upload_too_large_text

FORM_MAX = 1 << 20  # a form without files: a review note, a login, a 通报's period
MULTIPART_SLACK = 64 << 10  # the form's other fields and part headers around the files
_LIMITS: list[tuple[re.Pattern, Callable]] = []


def register(pattern: str, limit: Callable) -> None:
    """``limit(settings) -> bytes`` for the request paths matching ``pattern`` (a full match)."""
    _LIMITS.append((re.compile(pattern), limit))


def body_limit(settings, path: str) -> int:
    for pattern, limit in _LIMITS:
        if pattern.fullmatch(path):
            return int(limit(settings)) + MULTIPART_SLACK
    return FORM_MAX


class BodyLimit:
    """ASGI middleware. ``refuse(request, exc)`` renders the refusal as the app renders any
    HTTPException (a page, or JSON for /api/ and htmx)."""

    def __init__(self, app, settings, refuse: Callable[[Request, HTTPException], Awaitable]):
        self.app, self.settings, self.refuse = app, settings, refuse

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = body_limit(self.settings, scope["path"])
        too_large = HTTPException(413, upload_too_large_text(limit))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            response = await self.refuse(Request(scope), too_large)
            response.headers["Connection"] = "close"  # the rest of the body is never read
            return await response(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise too_large  # the route's form parsing stops here; the app answers 413
            return message

        return await self.app(scope, counted, send)
