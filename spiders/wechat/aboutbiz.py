"""The account's "关于公众号" page (``/mp/aboutbiz?__biz=…``, research §2.6).

Rows are ``div.item-info > div.item-title`` + ``div.item-desc`` (the 认证主体 row's value
is a link to ``/mp/getverifyinfo``). A ``认证类型`` row means the account is verified and
``认证主体`` names who verified it; ``主体类型`` / ``账号类型`` / ``账号主体`` rows mean it is
not. A page with neither (captcha, error page, a layout we do not know) proves nothing:
``verified`` stays None, never False.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from parsel import Selector

from spiders.wechat.article import is_captcha

VERIFIED_ROWS = ("认证类型", "认证主体")
UNVERIFIED_ROWS = ("主体类型", "账号类型", "账号主体")
MARKERS = {
    ".about-page": ".about-page",
    ".item-info": ".item-info",
    ".item-title": ".item-title",
    ".item-desc": ".item-desc",
    "getverifyinfo link": 'a[href*="getverifyinfo"]',
}


@dataclass
class AboutBiz:
    verified: bool | None
    subject: str | None = None  # 认证主体 (or 账号主体 when unverified)
    verify_type: str | None = None  # 认证类型 (or 主体类型/账号类型 when unverified)
    rows: dict[str, str] = field(default_factory=dict)
    intro: str | None = None
    blocked: bool = False

    @property
    def facts(self) -> dict[str, str]:
        """Profile facts as stored on the account (Chinese keys, as the page shows them)."""
        keep = ("认证类型", "认证主体", "主体类型", "账号类型", "账号主体", "微信号", "客服电话")
        return {k: v for k, v in self.rows.items() if k in keep and v}


def _text(node) -> str:
    return " ".join(" ".join(node.xpath(".//text()[not(ancestor::script)]").getall()).split())


def parse_aboutbiz(html: str, url: str | None = None) -> AboutBiz:
    sel = Selector(text=html)
    if is_captcha(html, url):
        return AboutBiz(verified=None, blocked=True)
    rows: dict[str, str] = {}
    intro = None
    for item in sel.css(".item-info"):
        title = _text(item.css(".item-title")[:1]) if item.css(".item-title") else ""
        desc_nodes = item.css(".item-desc")
        desc = _text(desc_nodes[0]) if desc_nodes else ""
        if not title:
            continue
        if title == "公众号简介":
            intro = desc or None
        elif desc and title not in rows:
            rows[title] = desc
    if "认证类型" in rows or "认证主体" in rows:
        return AboutBiz(True, rows.get("认证主体"), rows.get("认证类型"), rows, intro)
    if any(k in rows for k in UNVERIFIED_ROWS):
        return AboutBiz(False, rows.get("账号主体"), rows.get("主体类型") or rows.get("账号类型"), rows, intro)
    return AboutBiz(verified=None, rows=rows, intro=intro)
