"""Xiaomi 应用商店: the HTML detail page ``app.mi.com/details?id=<package>``. Its "details"
block lists size, version, update date and package, each value in the element after its label
(软件大小 / 版本号 / 更新时间 / 包名: ``li`` pairs, or ``div[style*='float:right']`` in the newer layout). What the page looks like for an app that
is not listed is not documented, so this adapter never says ``not_listed``: a page without
the block, or with another package, is ``unknown`` with the page's first bytes."""
from __future__ import annotations

import re
from urllib.parse import urlencode

from parsel import Selector

from spiders.appcheck import result as r
from spiders.appcheck.stores._common import StoreUnusable, check_package, fetch, html_text, local, start, unusable

_LABELS = {"版本号": "version", "更新时间": "updated", "包名": "package", "软件大小": "size"}


class Xiaomi:
    name = "xiaomi"

    async def check(self, transport, url, store_id, expected_package=None, *, fallback_url=None):
        result = start(f"{url}?{urlencode({'id': store_id})}")
        try:
            text = html_text(await fetch(transport, result.url, result))
        except StoreUnusable as exc:
            return unusable(result, exc)
        return parse_details(text, store_id, expected_package, result)


def parse_details(text: str, store_id: str, expected, result):
    page = Selector(text=text)
    # Label and value are separate elements (li pairs, or float:left / float:right divs in the
    # newer layout): read the visible texts in order and take the one after each label.
    texts = [t.strip().rstrip("：:").strip() for t in page.css("body :not(script):not(style)::text").getall()]
    texts = [t for t in texts if t]
    facts: dict[str, str] = {}
    for label, value in zip(texts, texts[1:]):
        if label in _LABELS and _LABELS[label] not in facts and value not in _LABELS:
            facts[_LABELS[label]] = value
    name = (page.css(".intro-titles h3::text").get() or "").strip()
    if facts.get("package") != store_id or not facts.get("version"):
        return result.unknown(r.STORE_UNEXPECTED, f"小米 page without the details of {store_id} "
                                                  f"(found {facts or 'nothing'}): {text[:120]!r}")
    result.package, result.store_version = facts["package"], facts["version"]
    result.store_release_date = local(re.sub(r"\s+", " ", facts.get("updated", "")).strip() or None)
    download = page.css("a.download::attr(href)").get()
    result.details.update({"name": name, "size": facts.get("size"), "download_url": download})
    return check_package(result, expected, "小米")


STORE = Xiaomi()
