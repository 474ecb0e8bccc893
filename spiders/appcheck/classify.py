"""Recognise what a download URL answered when it did not answer an APK, and whether that
is a positive observation of a broken download (``fail``) or only shows that we could not
look (``unknown``)."""
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
# Verification / WAF / rate-limit pages (腾讯云/阿里云/知道创宇 WAF, slider captchas).
_CAPTCHA = re.compile(r"captcha|验证码|安全验证|人机验证|滑块|拖动滑块|访问过于频繁|请求过于频繁|访问频率|"
                      r"waf|web应用防火墙|防火墙拦截|您的访问被拦截|access denied|are you a robot|"
                      r"security check|cf-chl|challenge-platform|_guard/|acw_sc__v2", re.IGNORECASE)
RATE_LIMIT_STATUSES = {418, 429, 432}
GONE_STATUSES = {404, 410}
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


def looks_like_captcha(body: bytes) -> bool:
    return bool(_CAPTCHA.search(body[:16384].decode("utf-8", "replace")))


def http_failure(f: Fetched) -> tuple[str, str, str] | None:
    """(outcome, reason, detail) for an HTTP error answer, or None. Only 404/410 and an
    expired signed link are failures of the download; every other error status says the
    server turned us away or is down, not that the file is broken."""
    if f.status < 400:
        return None
    where = f"HTTP {f.status} at {f.url}"
    expired = expired_link(f)
    if expired:
        return r.FAIL, r.EXPIRED_LINK, f"HTTP {f.status} {expired}"
    if f.status in GONE_STATUSES:
        return r.FAIL, r.NOT_FOUND, where
    if f.status in RATE_LIMIT_STATUSES:
        return r.UNKNOWN, r.RATE_LIMITED, where
    if f.status >= 500:
        return r.UNKNOWN, r.HTTP_5XX, where
    if looks_like_captcha(f.body):
        return r.UNKNOWN, r.CAPTCHA, where
    return r.UNKNOWN, r.HTTP_4XX, where


def first_bytes_text(body: bytes, n: int = 200) -> str:
    return body[:n].decode("utf-8", "replace")
