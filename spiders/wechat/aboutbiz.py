"""The account's "关于公众号" page (``/mp/aboutbiz?__biz=…``, research §2.6; 2025–2026 in
platforms_2026.md).

Rows are ``div.item-info > div.item-title`` + ``div.item-desc`` (the 认证主体 row's value
is a link to ``/mp/getverifyinfo``). 认证主体 is read whatever the other rows are: with
认证类型 (其他组织, 政府 …), with 主体类型 = 事业单位/政府 and no 认证类型 row, or alone.
Without it, 主体类型 / 账号类型 / 账号主体 rows (a 个人 account, an unverified one) mean the
page is there and shows no 认证主体: not verified. Anything else — the captcha, the error page
WeChat answers a request without client credentials ("参数错误", "密钥已过期"), a layout we do
not know — proves nothing: ``verified`` stays None, never False.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from parsel import Selector

from spiders.wechat.article import is_captcha

UNVERIFIED_ROWS = ("主体类型", "账号类型", "账号主体")
# What WeChat answers instead of the page: without x-wechat-uin/x-wechat-key, with expired
# ones, or outside its client.
ERROR_WORDS = ("参数错误", "密钥已过期", "登录已过期", "请在微信客户端打开", "访问过于频繁", "系统错误", "操作频繁")
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
    error: str | None = None  # the error page's own words

    @property
    def state(self) -> str:
        """ok (the page is there), captcha, error-page, or unknown (a layout we do not read)."""
        if self.verified is not None:
            return "ok"
        return "captcha" if self.blocked else "error-page" if self.error else "unknown"

    @property
    def facts(self) -> dict[str, str]:
        """Profile facts as stored on the account (Chinese keys, as the page shows them). A page
        that is there without a 认证主体 row stores 认证主体 "" — seen, and empty."""
        keep = ("认证类型", "认证主体", "主体类型", "账号类型", "账号主体", "微信号", "客服电话")
        out = {k: v for k, v in self.rows.items() if k in keep and v}
        if self.verified is False:
            out["认证主体"] = ""
        return out


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
    kind = rows.get("认证类型") or rows.get("主体类型") or rows.get("账号类型")
    if rows.get("认证主体"):
        return AboutBiz(True, rows["认证主体"], kind, rows, intro)
    if "认证类型" in rows:  # verified, but who verified it is not shown: 认证主体 unknown
        return AboutBiz(True, None, kind, rows, intro)
    if any(k in rows for k in UNVERIFIED_ROWS):
        return AboutBiz(False, rows.get("账号主体"), kind, rows, intro)
    visible = _text(sel.css("body")[:1]) if sel.css("body") else _text(sel)
    error = next((w for w in ERROR_WORDS if w in visible), None)
    if error:
        title = " ".join(" ".join(sel.css(".weui-msg__title ::text, .weui-msg__desc ::text").getall()).split())
        return AboutBiz(verified=None, rows=rows, intro=intro, error=title or error)
    return AboutBiz(verified=None, rows=rows, intro=intro)
