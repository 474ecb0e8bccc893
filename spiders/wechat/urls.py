"""Article link normalisation.

One article reaches us under many URLs: the short ``/s/{id}`` form (any query string is
noise), the permanent ``/s?__biz=…&mid=…&idx=…&sn=…`` form with tracking extras (``chksm``,
``scene``…) and the aliases ``appmsgid``/``itemidx``/``sign``, with ``&amp;`` or ``\\x26``
leaking in from HTML and JavaScript. We fetch and store each article under one key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

REAL_HOST = "mp.weixin.qq.com"
_SHORT = re.compile(r"^(?P<prefix>.*)/s/(?P<id>[A-Za-z0-9_-]{6,})/?$")
_LONG = re.compile(r"^(?P<prefix>.*)/s/?$")
_ALIASES = {"mid": ("mid", "appmsgid"), "idx": ("idx", "itemidx"), "sn": ("sn", "sign")}


@dataclass(frozen=True)
class ArticleRef:
    post_id: str  # stable key: the short id, or "{mid}_{idx}" for the permanent form
    url: str  # the URL we fetch


def _clean(link: str) -> str:
    return link.strip().replace("\\x26", "&").replace("&amp;", "&").replace("\\/", "/")


def normalise_article_url(link: str | None, base_url: str | None = None) -> ArticleRef | None:
    """The canonical fetch URL and post id of an article link, or None when the link is not
    an article page. Links on the real host are moved to ``base_url`` (a mirror or the
    sandbox) when one is configured."""
    if not link:
        return None
    parts = urlsplit(_clean(link))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    if base_url and parts.netloc == REAL_HOST:
        origin = base_url.rstrip("/")
    path = parts.path
    m = _SHORT.match(path)
    if m:
        return ArticleRef(m["id"], f"{origin}{m['prefix']}/s/{m['id']}")
    m = _LONG.match(path)
    if not m:
        return None
    q = parse_qs(parts.query)
    biz = (q.get("__biz") or [""])[0]
    values = {}
    for key, names in _ALIASES.items():
        values[key] = next((q[n][0] for n in names if q.get(n)), "")
    if not (biz and values["mid"] and values["idx"]):
        return None
    query = f"__biz={quote(biz, safe='=')}&mid={values['mid']}&idx={values['idx']}"
    if values["sn"]:
        query += f"&sn={values['sn']}"
    return ArticleRef(f"{values['mid']}_{values['idx']}", f"{origin}{m['prefix']}/s?{query}")


def aboutbiz_url(base_url: str, biz: str) -> str:
    """The account's "关于公众号" page, which shows 认证类型 and 认证主体."""
    return f"{base_url.rstrip('/')}/mp/aboutbiz?__biz={quote(biz, safe='=')}"


# Same rule as the registry: a ``__biz`` is padded base64 (MzIzOTkwMjM0OQ==); a 微信号
# alias (shengongshewx) or an original id (gh_…) is not.
_BIZ = re.compile(r"^[A-Za-z0-9+/]{8,}={1,2}$")


def looks_like_biz(value: str | None) -> bool:
    return bool(value) and bool(_BIZ.match(value))
