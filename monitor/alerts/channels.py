"""Chat-bot webhooks at any address: ``wecomhook://``, ``dingtalkhook://``, ``feishuhook://``
(``…hooks://`` for HTTPS) post the vendor's own JSON body to the given host and path.

apprise's ``wecombot://``, ``dingtalk://`` and ``feishu://`` always call the vendors' public
hosts; government intranets usually reach them through a relay gateway, and tests use a
local receiver. Example: ``wecomhooks://gw.example.gov.cn/cgi-bin/webhook/send?key=KEY``.
"""
from __future__ import annotations

import logging
from urllib.parse import urlencode

import httpx
from apprise.decorators import notify

log = logging.getLogger("apprise")
TIMEOUT = 15.0
# Our own query arguments that apprise adds; everything else is the vendor's (key=, access_token=).
_APPRISE_ARGS = {"format", "overflow", "emojis", "rto", "cto", "verify", "tz", "store", "retry", "wait", "optional"}


def _target(meta: dict, secure: bool) -> str:
    host = meta.get("host", "")
    port = f":{meta['port']}" if meta.get("port") else ""
    query = {k: v for k, v in (meta.get("qsd") or {}).items() if k not in _APPRISE_ARGS}
    path = meta.get("fullpath") or "/"
    return f"{'https' if secure else 'http'}://{host}{port}{path}" + (f"?{urlencode(query)}" if query else "")


def _post(url: str, payload: dict, ok_field: str) -> bool:
    try:
        r = httpx.post(url, json=payload, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        log.warning("webhook %s unreachable: %s", url.split("?")[0], exc)
        return False
    if r.status_code >= 300:
        log.warning("webhook %s answered HTTP %s", url.split("?")[0], r.status_code)
        return False
    try:
        code = r.json().get(ok_field, 0)
    except ValueError:
        code = 0  # a relay may answer with an empty body
    if code not in (0, "0", None):
        log.warning("webhook %s refused the message: %s", url.split("?")[0], r.text[:300])
        return False
    return True


def _text(title: str, body: str) -> str:
    return f"{title}\n{body}" if title else body


def _register(schema: str, build, ok_field: str) -> None:
    for secure, suffix in ((False, ""), (True, "s")):
        def send(body, title, notify_type, meta, *args, _secure=secure, **kwargs):
            return _post(_target(meta, _secure), build(title, body), ok_field)
        notify(on=f"{schema}{suffix}", name=f"{schema}{suffix} relay")(send)


_register("wecomhook", lambda t, b: {"msgtype": "text", "text": {"content": _text(t, b)}}, "errcode")
_register("dingtalkhook", lambda t, b: {"msgtype": "text", "text": {"content": _text(t, b)}}, "errcode")
_register("feishuhook", lambda t, b: {"msg_type": "text", "content": {"text": _text(t, b)}}, "code")
