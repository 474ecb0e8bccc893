"""Keep secrets out of what we write: WARC records, logs, stored reasons and URLs.

Two tools, both needed:
- by *shape*: the values of ``Cookie``, ``Set-Cookie``, ``Authorization`` headers, the password
  in ``scheme://user:password@host``, query arguments named like credentials (``key``,
  ``token``, ``access_token``, ``secret``, ``password`` …) are replaced by ``REDACTED``;
- by *value*: a ``Scrubber`` knows the configured secrets (cookies, database/Redis/TSA
  passwords, webhook tokens) and replaces any occurrence of them in any text, wherever it
  ended up (an error message quoting a URL, a traceback, a header we did not foresee).
"""
from __future__ import annotations

import logging
import re
from typing import Iterable
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"
# Headers whose values are credentials (request and response side).
SECRET_HEADERS = frozenset({"cookie", "set-cookie", "authorization", "proxy-authorization", "x-auth-token",
                            "x-api-key", "x-wechat-key", "x-wechat-uin"})  # the last two: WeChat-client credentials
# Query arguments that carry credentials in the URLs we are given or build.
SECRET_QUERY = re.compile(r"^(key|token|access_token|secret|sign|signature|password|passwd|pass|pwd|auth|apikey|"
                          r"api_key|appsecret|app_secret|pass_ticket|appmsg_token|uin|sessionid|ticket)$", re.I)
MIN_SECRET = 6  # shorter fragments are too common to scrub by value


def redact_header(name: str, value: str) -> str:
    """The value with its secret part replaced: cookie names and attributes stay readable
    (they say which cookie was set, for how long), their values do not."""
    low = name.lower()
    if low in ("cookie",):
        return "; ".join(f"{p.split('=', 1)[0].strip()}={REDACTED}" if "=" in p else REDACTED
                         for p in value.split(";") if p.strip())
    if low == "set-cookie":
        first, _, attrs = value.partition(";")
        cookie = f"{first.split('=', 1)[0].strip()}={REDACTED}" if "=" in first else REDACTED
        return cookie + (f";{attrs}" if attrs else "")
    if low in ("authorization", "proxy-authorization"):
        scheme = value.split(" ", 1)[0] if " " in value else ""
        return f"{scheme} {REDACTED}".strip()
    if low in SECRET_HEADERS:
        return REDACTED
    return value


def mask_url(url: str, mask: str = REDACTED) -> str:
    """``url`` with its password and credential-like query values replaced by ``mask``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _pw = userinfo.partition(":")
        netloc = f"{user}:{mask}@{hostport}" if sep else f"{userinfo}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(SECRET_QUERY.match(k) for k, _ in pairs):
            query = urlencode([(k, mask if SECRET_QUERY.match(k) else v) for k, v in pairs], safe="{}@:/*")
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing hidden: keep the text exactly (urlunsplit would drop sqlite:///'s "//")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str) -> set[str]:
    """The secret values inside a URL (password, credential-like query values), for a Scrubber."""
    out: set[str] = set()
    try:
        parts = urlsplit(url)
    except ValueError:
        return out
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        if ":" in userinfo:
            out.add(userinfo.partition(":")[2])
    for k, v in parse_qsl(parts.query, keep_blank_values=True):
        if SECRET_QUERY.match(k):
            out.add(v)
    return {s for s in out if len(s) >= MIN_SECRET} | {unquote(s) for s in out if len(unquote(s)) >= MIN_SECRET}


def cookie_secrets(cookies: str) -> set[str]:
    """A cookie string and each of its values."""
    out = {cookies.strip()} if cookies and cookies.strip() else set()
    for part in (cookies or "").split(";"):
        if "=" in part:
            out.add(part.split("=", 1)[1].strip())
    return {s for s in out if len(s) >= MIN_SECRET}


class Scrubber:
    """Replaces every known secret value (and its URL-encoded form) in a text."""

    def __init__(self, secrets: Iterable[str] = (), mask: str = REDACTED):
        self.mask = mask
        values: set[str] = set()
        for s in secrets:
            if s and len(s) >= MIN_SECRET:
                values |= {s, quote(s, safe=""), quote(s)}
        # Longest first, so a secret that contains another is replaced whole.
        self.values = sorted(values, key=len, reverse=True)
        self._re = re.compile("|".join(re.escape(v) for v in self.values)) if self.values else None

    def __bool__(self) -> bool:
        return self._re is not None

    def text(self, value: str) -> str:
        if self._re is None or not value:
            return value
        return self._re.sub(self.mask, value)

    def data(self, value):
        """Scrub every string inside JSON-like data."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.data(v) for v in value)
        return value


class ScrubbingFilter(logging.Filter):
    """A log filter that formats the message and scrubs it (args included)."""

    def __init__(self, scrubber: Scrubber):
        super().__init__()
        self.scrubber = scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        if self.scrubber:
            try:
                message = record.getMessage()
            except Exception:  # a bad format string is the logger's problem, not ours
                return True
            record.msg, record.args = self.scrubber.text(message), ()
            if record.exc_info and not record.exc_text:
                record.exc_text = self.scrubber.text(logging.Formatter().formatException(record.exc_info))
                record.exc_info = None
        return True


def install_log_filter(scrubber: Scrubber, logger: logging.Logger | None = None) -> None:
    """Scrub every handler of ``logger`` (default: the root logger, and Python's last-resort
    handler that prints warnings when no handler is configured). Installing again adds the
    new secrets to the filter already there."""
    if not scrubber:
        return
    target = logger or logging.getLogger()
    handlers = list(target.handlers) + ([logging.lastResort] if logger is None and logging.lastResort else [])
    for handler in handlers:
        existing = next((f for f in handler.filters if isinstance(f, ScrubbingFilter)), None)
        if existing is None:
            handler.addFilter(ScrubbingFilter(scrubber))
        elif set(scrubber.values) - set(existing.scrubber.values):
            existing.scrubber = Scrubber([*existing.scrubber.values, *scrubber.values], scrubber.mask)
