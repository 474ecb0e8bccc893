"""Which configured values are secrets, and how they are shown.

``known_secrets(settings)`` collects every secret value of a config: ``SecretStr`` fields
(Weibo cookies, the manager e-mail template, anything added later as SecretStr), passwords
in URLs (database, Redis, TSA), and the tokens inside apprise alert URLs (found by asking
apprise which parts of the URL it hides). ``scrubber(settings)`` turns them into a
``spiders.redact.Scrubber`` for logs, stored errors, the outbox and evidence notes.
``mask_alert_url`` is how an apprise URL is displayed (``config show``, alert targets).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterator
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import BaseModel, SecretStr

from spiders.redact import MIN_SECRET, Scrubber, cookie_secrets, mask_url, url_secrets


def _private_form(url: str) -> str:
    """apprise's own display of a URL it knows (tokens hidden), or "" when it does not."""
    import apprise

    from monitor.alerts import channels  # noqa: F401  (registers the relay schemas)

    from apprise.decorators.base import CustomNotifyPlugin

    try:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        # Our relay schemas (wecomhook:// …) are decorator plugins, which apprise cannot mask.
        if not plugin or isinstance(plugin, CustomNotifyPlugin):
            return ""
        return plugin.url(privacy=True)
    except Exception:  # an invalid URL is masked by shape alone
        return ""


# A path segment that is a token (Feishu's /hook/<uuid>, relay paths holding the bot key):
# long, and mixing letters and digits the way no ordinary path word does.
_TOKEN_SEGMENT = re.compile(r"^(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-]{16,}$")


def _token_segments(url: str) -> set[str]:
    return {seg for seg in urlsplit(url).path.split("/") if _TOKEN_SEGMENT.match(seg)}


MASK = "********"  # how a hidden value is shown to people (config show, alert targets)


@lru_cache(maxsize=512)
def mask_alert_url(url: str) -> str:
    """An apprise URL as shown to people: its password, credential-like query values and
    every part apprise itself would hide (bot keys, tokens) replaced by ``********``."""
    return Scrubber(alert_url_secrets(url), MASK).text(mask_url(url, MASK))


@lru_cache(maxsize=512)
def alert_url_secrets(url: str) -> frozenset[str]:
    """The credentials inside an apprise URL: its password and credential-like query values,
    and whatever apprise's privacy form hides (bot keys and webhook tokens are often the
    "host" or a path segment: ``wecombot://KEY``, ``tgram://BOT:TOKEN/CHAT``)."""
    found = set(url_secrets(url)) | _token_segments(url)
    private = unquote(_private_form(url))
    if private:
        parts = urlsplit(url)
        userinfo, _, hostport = parts.netloc.rpartition("@")
        pieces = {*userinfo.split(":"), *(hostport.split(":") if hostport.count(":") == 1 else [hostport]),
                  *parts.path.split("/"), *(v for _, v in parse_qsl(parts.query))}
        found |= {unquote(p) for p in pieces if p and "{" not in p and unquote(p) not in private}
    return frozenset(s for s in found if len(s) >= MIN_SECRET)


def _walk(model: BaseModel) -> Iterator[tuple[str, Any]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _walk(value)
        else:
            yield name, value


def known_secrets(settings) -> set[str]:
    out: set[str] = set()
    for name, value in _walk(settings):
        if isinstance(value, SecretStr):
            raw = value.get_secret_value()
            out |= url_secrets(raw) | ({raw} if len(raw) >= MIN_SECRET else set())
            if "cookie" in name:
                out |= cookie_secrets(raw)
            if "://" in raw:
                out |= alert_url_secrets(raw.replace("{email}", "x@example.org"))
        elif isinstance(value, str) and "://" in value:
            out |= url_secrets(value)
    alerts = settings.alerts
    for url in [*alerts.operator, *(u for urls in alerts.inspectors.values() for u in urls)]:
        out |= alert_url_secrets(url)
    return {s for s in out if s}


def scrubber(settings) -> Scrubber:
    return Scrubber(known_secrets(settings))
