"""Recognise what a download URL answered when it did not answer an APK."""
from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from spiders.appcheck import result as r
from spiders.appcheck.transport import Fetched

# Unified-auth / SSO / login pages (统一身份认证) in a redirect target's host or path.
_LOGIN = re.compile(r"(^|[/._-])(login|logon|signin|sign-in|sso|cas|passport|auth|oauth2?|uias|uaa)([/._?=-]|$)|统一身份|登录",
                    re.IGNORECASE)
_EXPIRY_PARAMS = re.compile(r"(^|[?&])(expires|x-oss-expires|q-sign-time|x-amz-expires|x-cos-expires|sign|auth_key)=",
                            re.IGNORECASE)
_XML_ERROR = re.compile(rb"<Error>.*?<Code>\s*([^<]+?)\s*</Code>(?:.*?<Message>\s*([^<]*?)\s*</Message>)?", re.S)


def looks_like_login(url: str) -> bool:
    parts = urlsplit(url)
    return bool(_LOGIN.search(parts.netloc) or _LOGIN.search(parts.path) or _LOGIN.search(parts.query))


def login_redirect(f: Fetched) -> str | None:
    """The login URL when the request was redirected to a login/SSO page."""
    if not f.redirects:
        return None
    targets = [urljoin(h["url"], h.get("location") or "") for h in f.redirects] + [f.url]
    for t in targets:
        if t and looks_like_login(t):
            return t
    return None


def xml_error(body: bytes) -> tuple[str, str] | None:
    """(Code, Message) of an OSS/COS/S3-style XML error body."""
    m = _XML_ERROR.search(body[:8192])
    if not m:
        return None
    return m.group(1).decode("utf-8", "replace"), (m.group(2) or b"").decode("utf-8", "replace")


def expired_link(f: Fetched) -> str | None:
    """A detail string when the answer is a signed CDN link that has expired."""
    err = xml_error(f.body)
    if err:
        code, message = err
        if "expire" in message.lower() or "expire" in code.lower():
            return f"{code}: {message}"
        if code == "AccessDenied" and _EXPIRY_PARAMS.search(urlsplit(f.url).query):
            return f"{code}: {message} (signed link)"
    return None


def looks_like_html(body: bytes, content_type: str) -> bool:
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<meta")) \
        or ("html" in content_type.lower() and head.startswith(b"<"))


def http_failure(f: Fetched) -> tuple[str, str] | None:
    """(reason, detail) for an HTTP error answer, or None."""
    if f.status < 400:
        return None
    expired = expired_link(f)
    if expired:
        return r.EXPIRED_LINK, f"HTTP {f.status} {expired}"
    return (r.HTTP_5XX if f.status >= 500 else r.HTTP_4XX), f"HTTP {f.status} at {f.url}"


def first_bytes_text(body: bytes, n: int = 200) -> str:
    return body[:n].decode("utf-8", "replace")
