"""Classify a WeChat article page (``mp.weixin.qq.com/s/…``) and read its facts.

Order (research §2.4): the 环境异常 captcha → ``blocked``; ``#js_content`` present, or
``#js_article`` with a publish time (图片分享, ``item_show_type`` 8, has no ``#js_content``)
→ ``ok``; then the failure pages — deleted by the publisher, violation (with the reason
text), temporarily unavailable, account banned / closed, 参数错误. Every real page carries
ad-template JavaScript (``nick_name: '微信广告'``, ``广告文案或辅助信息``…) and strings such
as 违规 / 已注销 inside scripts, so text checks look at visible text only and ad signals
at the body (``#js_content``) only.

Page types (``item_show_type``): 0 ordinary article (``var ct``, ``var biz``), 5 video,
7 audio, 8 图片分享 and 10 文本分享 — the shares carry only ``window.ct`` /
``window.biz = '' || '…'`` and their text in cgiDataNew's ``content_noencode`` (their
``#js_content``, when there is one, holds the profile card and an empty placeholder).
"""
from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from lxml import etree
from parsel import Selector

SHANGHAI = ZoneInfo("Asia/Shanghai")


class _Word:
    r"""A pattern that starts at a word boundary (``\b`` then a word), searched fast.

    ``re`` jumps ahead only to a literal prefix; a leading ``\b`` hides the prefix, so every
    position of a page is tried (~70 ms on a real 3 MB article, per pattern). The ``leads``
    (the pattern's alternatives without the ``\b``) have literal prefixes: each place one
    matches is a candidate start, and the full pattern, matched there, decides — the same
    matches, in the same order, as searching with the full pattern."""

    def __init__(self, source: str, *leads: str) -> None:
        if not source.startswith(r"\b"):
            raise ValueError(f"not a word-boundary pattern: {source!r}")
        self.pattern = re.compile(source)
        self._leads = [re.compile(lead) for lead in (leads or (source[2:],))]

    def finditer(self, text: str):
        full, pos = self.pattern, 0
        while True:
            starts = [m.start() for m in (lead.search(text, pos) for lead in self._leads) if m]
            if not starts:
                return
            start = min(starts)
            m = full.match(text, start)  # \b still sees text[start - 1]
            if m:
                yield m
                pos = max(m.end(), start + 1)
            else:
                pos = start + 1

    def search(self, text: str) -> re.Match | None:
        return next(self.finditer(text), None)

# States a page can be in (stored as Post.state for the non-ok ones).
OK, BLOCKED, DELETED, VIOLATION, UNAVAILABLE = "ok", "blocked", "deleted", "violation", "unavailable"
ACCOUNT_BANNED, ACCOUNT_CLOSED, BAD_URL, UNKNOWN = "account_banned", "account_closed", "bad_url", "unknown"

# Publish time, most authoritative first (research §2.3). Unix seconds unless noted.
_TIME_PATTERNS: list[tuple[str, _Word]] = [
    ("ct", _Word(r"\bvar\s+ct\s*=\s*([\"'])(\d{9,})\1")),
    ("create_time", _Word(r"\bvar\s+create_time\s*=\s*([\"'])(\d{9,})\1")),
    ("window.ct", _Word(r"\bwindow\.ct\s*=\s*([\"'])(\d{9,})\1")),
    ("cgiDataNew.create_timestamp", _Word(r"\bcreate_timestamp:\s*([\"'])(\d{9,})\1")),
    ("cgiDataNew.ori_create_time", _Word(r"\bori_create_time:\s*([\"'])(\d{9,})\1")),
]
# cgiDataNew's human form is Beijing wall-clock time without a zone.
_CGI_LOCAL_TIME = _Word(r"\bcreate_time:\s*JsDecode\('(\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?)'\)")

_BIZ = _Word(r"\bvar\s+biz\s*=\s*\"([^\"]+)\"")
_WINDOW_BIZ = _Word(r"\bwindow\.biz\s*=\s*(?:([\"'])[^\"']*\1\s*\|\|\s*)?([\"'])([^\"']+)\2")
_SHOW_TYPE = _Word(r"\b(?:window\.|var\s+)item_show_type\s*=\s*([\"'])(\d+)\1",
                   r"window\.item_show_type", r"var\s+item_show_type")
SHOW_TYPES = {"0": "article", "5": "video", "7": "audio", "8": "image", "10": "text"}
_APPUIN = _Word(r"\bvar\s+appuin\s*=\s*\"[^\"]*\"\s*\|\|\s*\"([^\"]+)\"")
_NICKNAME = _Word(r"\bvar\s+nickname\s*=\s*htmlDecode\(\"([^\"]*)\"\)")
# cgiDataNew's account name is JsDecode'd; the ad template's ``nick_name: '微信广告'`` is not.
_CGI_NICKNAME = _Word(r"\bnick_name:\s*JsDecode\('([^']*)'\)")
_USER_NAME = _Word(r"\bvar\s+user_name\s*=\s*\"(gh_[^\"]*)\"")
# The account's own id in the newer forms; a bare ``user_name: 'gh_…'`` is often an ad's.
_USER_NAME_NEW = [
    _Word(r"\bwindow\.user_name\s*=\s*(?:([\"'])[^\"']*\1\s*\|\|\s*)?[\"'](gh_[^\"']+)[\"']"),
    re.compile(r"getXmlValue\('user_name\.DATA'\)\s*:\s*(['\"])(gh_[^'\"]+)\1"),
    _Word(r"\buser_name:\s*JsDecode\((['\"])(gh_[^'\"]+)\1\)"),
]
_NICKNAME_NEW = [
    re.compile(r"getXmlValue\('nick_name\.DATA'\)\s*:\s*(['\"])([^'\"]+)\1"),
    _Word(r"\bwindow\.name\s*=\s*([\"'])([^\"']+)\1"),
]
_CONTENT_NOENCODE = _Word(r"\bcontent_noencode:\s*(?:JsDecode\()?'((?:[^'\\]|\\.)*)'")
_JS_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|\n|.)")
_MID = _Word(r"\bvar\s+mid\s*=\s*\"(\d+)\"")
_IDX = _Word(r"\bvar\s+idx\s*=\s*\"(\d+)\"")
_SN = _Word(r"\bvar\s+sn\s*=\s*\"([0-9a-f]+)\"")
_COPYRIGHT = [
    _Word(r"\bvar\s+copyright_stat\s*=\s*\"(\d)\""),
    _Word(r"\bvar\s+_copyright_stat\s*=\s*\"(\d)\""),
    _Word(r"\bcopyright_stat:\s*[\"'](\d)[\"']"),
]
_CGI_DATA = re.compile(r"window\.cgiDataNew\s*=\s*\{")
# 留言: ``comment_enabled: '1' * 1`` (the appmsg bar data) or ``var comment_enabled = "0" * 1``.
# An empty value is the common case — the static page leaves it to a later request — and
# says nothing (fixtures/real/wechat: '' on two articles, '1' on the share pages).
_COMMENT_ENABLED = [
    _Word(r"\bcomment_enabled:\s*'(\d*)'\s*\*\s*1"),
    _Word(r"\bvar\s+comment_enabled\s*=\s*\"(\d*)\"\s*\*\s*1"),
]
# The ad framework every page carries (research §2.5): its presence is normal, never a signal.
_AD_TEMPLATE = re.compile(r"nick_name:\s*'微信广告'|广告文案或辅助信息|defaultMidAdData")
_REPRINT_TEXT = "以下文章来源于"
_SOURCE_LINE = re.compile(r"^\s*(?:文章|内容|信息|稿件)?(?:来源|转载自?|转自|原文来源)\s*[:：]", re.M)

# Commercial content an account puts into its own body (research §2.5).
_AD_MARKUP = {
    "mini_program": re.compile(r"data-miniprogram-appid|weapp_text_link|weapp_image_link|<mp-miniprogram"),
    "product_card": re.compile(r"<mpcps\b|mp-common-cpsad|js_product"),
}
_AD_WORDS = re.compile(r"(?<![\u4e00-\u9fff])(广告|推广|赞助)(?![\u4e00-\u9fff]{2,})")
_SHOP_LINK = re.compile(r"https?://[^\s\"'<>]*(?:taobao\.com|tmall\.com|jd\.com|pinduoduo\.com|yangkeduo\.com|youzan\.com|weidian\.com)", re.I)


@dataclass
class ArticlePage:
    state: str
    reason: str | None = None  # the page's own words for a failure (e.g. the violation reason)
    published_at: datetime | None = None
    time_field: str | None = None  # which marker gave published_at
    biz: str | None = None
    nickname: str | None = None
    user_name: str | None = None
    mid: str | None = None
    idx: str | None = None
    sn: str | None = None
    title: str | None = None
    author: str | None = None
    kind: str = "unknown"  # original, repost, unknown
    show_type: str | None = None  # article, video, audio, image, text (item_show_type)
    kind_evidence: str | None = None
    text: str | None = None
    text_source: str | None = None  # js_content (the body), share (a share's own text)
    ad_signals: list[dict] = field(default_factory=list)
    comment_enabled: bool | None = None  # 留言 open (True), closed (False), not said (None)


# The nodes every readable article is read from, found in one walk of the tree: each
# ``sel.css()`` is a walk of its own (~40 µs on a sandbox page, far more on a real 3 MB one).
_LANDMARKS = etree.XPath("descendant-or-self::*[@id = 'js_content' or @id = 'js_article' or @id = 'copyright_logo']"
                         " | descendant-or-self::meta[@property = 'og:title' or @name = 'author']")
_BODY_TEXT = etree.XPath(".//text()[not(ancestor::script) and not(ancestor::style)]", smart_strings=False)


class _Dom:
    """A page's tree and its landmarks: what ``sel.css('#js_content')``, ``…('#js_article')``,
    ``…('#copyright_logo')`` and the og:title / author ``::attr(content)`` would find."""

    def __init__(self, sel: Selector) -> None:
        if sel.type == "json":  # a JSON body: fail as sel.css() always did (parsel's own error)
            sel.css("#js_content")
        self.sel = sel
        self.content: list = []  # #js_content elements, in document order
        self.article = self.copyright_logo = False
        self.og_title: str | None = None
        self.author: str | None = None
        for el in _LANDMARKS(sel.root):
            if el.tag == "meta" and el.get("content") is not None:
                if self.og_title is None and el.get("property") == "og:title":
                    self.og_title = el.get("content")
                if self.author is None and el.get("name") == "author":
                    self.author = el.get("content")
            ident = el.get("id")
            if ident == "js_content":
                self.content.append(el)
            elif ident == "js_article":
                self.article = True
            elif ident == "copyright_logo":
                self.copyright_logo = True


def _visible_text(sel: Selector) -> str:
    parts = sel.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]").getall()
    if not parts:  # fragments without <body>
        parts = sel.xpath("//text()[not(ancestor::script) and not(ancestor::style)]").getall()
    return " ".join(" ".join(parts).split())


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def is_captcha(html: str, url: str | None = None, visible: str | None = None) -> bool:
    if url and "wappoc_appmsgcaptcha" in url:
        return True
    if visible is None:
        visible = _visible_text(Selector(text=html))
    return "环境异常" in visible and ("完成验证" in visible or "去验证" in visible)


def classify(html: str, url: str | None = None, sel: Selector | None = None,
             dom: _Dom | None = None) -> tuple[str, str | None]:
    """(state, reason) of a fetched page, in the order described in the module docstring."""
    if sel is None:  # not ``sel or``: a Selector's truth value serialises the whole page
        sel = Selector(text=html)
    if dom is None:
        dom = _Dom(sel)
    visible = None
    if "环境异常" in html or (url and "captcha" in url):
        visible = _visible_text(sel)
        if is_captcha(html, url, visible):
            return BLOCKED, "captcha: 环境异常"
    if dom.content:
        return OK, None
    if dom.article and publish_time(html)[0] is not None:
        return OK, None  # 图片分享 and other share types: no #js_content, still a post
    title = _norm(" ".join(sel.css(".weui-msg__title ::text").getall()))
    if title:
        if "已被发布者删除" in title or "deleted by the author" in title.lower():
            return DELETED, title
        if "违规" in title or "violat" in title.lower():
            desc = _norm("".join(sel.css(".weui-msg__desc ::text").getall()))
            return VIOLATION, f"{title}：{desc}" if desc else title
    mesg = _norm(" ".join(sel.css(".mesg-block ::text").getall()))
    if mesg:
        return UNAVAILABLE, mesg
    visible = visible if visible is not None else _visible_text(sel)
    if "已被屏蔽" in visible or "封禁" in visible:
        return ACCOUNT_BANNED, _excerpt(visible, ("已被屏蔽", "封禁"))
    if "已注销" in visible:
        return ACCOUNT_CLOSED, _excerpt(visible, ("已注销",))
    if "参数错误" in visible:
        return BAD_URL, "参数错误"
    if title:
        return UNAVAILABLE, title
    return UNKNOWN, "unrecognised page (no #js_content, no known failure message)"


def _excerpt(text: str, words: tuple[str, ...]) -> str:
    for w in words:
        i = text.find(w)
        if i >= 0:
            return text[max(0, i - 20): i + 20].strip()
    return text[:40]


def _first(pattern: _Word, html: str, group: int = 1) -> str | None:
    m = pattern.search(html)
    return m.group(group) if m else None


def publish_time(html: str, tz: ZoneInfo = SHANGHAI) -> tuple[datetime | None, str | None]:
    """The article's own publish time and the marker it came from."""
    for name, pattern in _TIME_PATTERNS:
        raw = _first(pattern, html, 2)
        if raw:
            return datetime.fromtimestamp(int(raw), tz), name
    raw = _first(_CGI_LOCAL_TIME, html)
    if raw:
        fmt = "%Y-%m-%d %H:%M:%S" if raw.count(":") == 2 else "%Y-%m-%d %H:%M"
        return datetime.strptime(raw, fmt).replace(tzinfo=SHANGHAI).astimezone(tz), "cgiDataNew.create_time"
    return None, None


def _copyright_stat(html: str) -> str | None:
    for pattern in _COPYRIGHT:
        value = _first(pattern, html)
        if value:
            return value
    return None


def comment_enabled(html: str) -> bool | None:
    for pattern in _COMMENT_ENABLED:
        for m in pattern.finditer(html):
            if m.group(1):
                return m.group(1) != "0"
    return None


def article_kind(html: str, dom: _Dom, body_text: str) -> tuple[str, str | None]:
    stat = _copyright_stat(html)
    if stat == "1":
        return "original", "copyright_stat=1"
    if dom.copyright_logo:
        return "original", "#copyright_logo"
    if stat == "2":
        return "repost", "copyright_stat=2"
    card = _norm(" ".join(dom.sel.css(".original_primary_card_tips ::text").getall()))
    if _REPRINT_TEXT in card:
        return "repost", card
    m = _SOURCE_LINE.search(body_text)
    if m:
        return "repost", body_text[m.start(): m.start() + 40].strip()
    return "unknown", None


def body_of(dom: _Dom) -> tuple[str, str]:
    """(text, html) of ``#js_content`` — the article body and nothing else."""
    if not dom.content:
        return "", ""
    lines = [line for node in dom.content for line in _BODY_TEXT(node)]
    text = "\n".join(line.strip() for line in lines if line.strip())
    return text, etree.tostring(dom.content[0], method="html", encoding="unicode", with_tail=False) or ""


def ad_signals(body_text: str, body_html: str, title: str | None = None) -> list[dict]:
    """Commercial markers inside the body (and title) only; the page's ad framework is ignored."""
    found: list[dict] = []
    for name, pattern in _AD_MARKUP.items():
        m = pattern.search(body_html)
        if m:
            found.append({"signal": name, "match": m.group(0)})
    for source, text in (("title", title or ""), ("body", body_text)):
        m = _AD_WORDS.search(text)
        if m:
            found.append({"signal": "ad_label", "where": source,
                          "match": text[max(0, m.start() - 10): m.end() + 10].strip()})
    m = _SHOP_LINK.search(body_html)
    if m:
        found.append({"signal": "shop_link", "match": m.group(0)})
    return found


def js_decode(text: str) -> str:
    """A JavaScript string literal's body (``\\x0a``, ``\\u4e2d``, ``\\'`` …) as text."""
    def one(m: re.Match) -> str:
        esc = m.group(1)
        if esc[0] in "xu" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        return {"n": "\n", "t": "\t", "\n": ""}.get(esc, esc)
    return htmllib.unescape(_JS_ESCAPE.sub(one, text))


def _first_of(patterns: list[_Word], html: str) -> str | None:
    for pattern in patterns:
        m = pattern.search(html)
        if m:
            return m.group(m.lastindex)
    return None


def show_type(html: str) -> str | None:
    raw = _first(_SHOW_TYPE, html, 2)
    return SHOW_TYPES.get(raw, f"type {raw}") if raw else None


def _share_text(html: str, sel: Selector) -> str:
    """A share's text: cgiDataNew's ``content_noencode``, else the page description."""
    raw = _first(_CONTENT_NOENCODE, html)
    text = js_decode(raw) if raw else ""
    if not text.strip():
        text = sel.css('meta[property="og:description"]::attr(content)').get() or ""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def parse_article(html: str, url: str | None = None, tz: ZoneInfo = SHANGHAI) -> ArticlePage:
    """Classify the page and, when it is a readable article, extract its facts."""
    sel = Selector(text=html)
    dom = _Dom(sel)
    state, reason = classify(html, url, sel, dom)
    if state != OK:
        return ArticlePage(state=state, reason=reason)
    when, time_field = publish_time(html, tz)
    kind_of_page = show_type(html)
    text, body_html = body_of(dom)
    text_source = "js_content"
    if kind_of_page in ("image", "text") or not dom.content:
        text, text_source = _share_text(html, sel), "share"
    title = (dom.og_title
             or _norm(" ".join(sel.css("#activity-name ::text").getall())) or None)
    nickname = _first(_NICKNAME, html)
    nickname = htmllib.unescape(nickname) if nickname else (
        _norm(" ".join(sel.css("#js_name ::text").getall())) or _first(_CGI_NICKNAME, html)
        or _first_of(_NICKNAME_NEW, html))
    kind, evidence = article_kind(html, dom, text)
    biz = _first(_BIZ, html) or _first(_APPUIN, html) or _first(_WINDOW_BIZ, html, 3)
    return ArticlePage(
        state=OK, published_at=when, time_field=time_field, show_type=kind_of_page,
        biz=biz, nickname=nickname or None,
        user_name=_first(_USER_NAME, html) or _first_of(_USER_NAME_NEW, html),
        mid=_first(_MID, html), idx=_first(_IDX, html),
        sn=_first(_SN, html), title=title, author=dom.author,
        kind=kind, kind_evidence=evidence, text=text, text_source=text_source,
        ad_signals=ad_signals(text, body_html, title), comment_enabled=comment_enabled(html),
    )


# ── markers, for the sandbox-vs-reality drift test ───────────────────────────
ARTICLE_MARKERS: dict[str, object] = {
    "var ct": _TIME_PATTERNS[0][1],
    "var create_time": _TIME_PATTERNS[1][1],
    "cgiDataNew": _CGI_DATA,
    "cgiDataNew.create_time": _CGI_LOCAL_TIME,
    "cgiDataNew.nick_name": _CGI_NICKNAME,
    "var biz": _BIZ,
    "window.biz": _WINDOW_BIZ,
    "window.ct": _TIME_PATTERNS[2][1],
    "item_show_type": _SHOW_TYPE,
    "content_noencode": _CONTENT_NOENCODE,
    "var nickname": _NICKNAME,
    "var user_name": _USER_NAME,
    "var mid": _MID,
    "var idx": _IDX,
    "var sn": _SN,
    "comment_enabled": _COMMENT_ENABLED[0],
    "copyright_stat": _COPYRIGHT[0],
    "_copyright_stat": _COPYRIGHT[1],
    "ad template noise": _AD_TEMPLATE,
    "#js_article": "#js_article",
    "#js_content": "#js_content",
    "#js_content hidden": '#js_content[style*="visibility: hidden"]',
    "#activity-name": "#activity-name",
    "#js_name": "#js_name",
    "#publish_time": "#publish_time",
    "og:title": 'meta[property="og:title"]',
    "#copyright_logo": "#copyright_logo",
    "reprint card": ".original_primary_card_tips",
    "#copyright_info": "#copyright_info",
    ".weui-msg__title": ".weui-msg__title",
    ".weui-msg__desc": ".weui-msg__desc",
    ".mesg-block": ".mesg-block",
}


def page_markers(html: str, markers: dict[str, object] = ARTICLE_MARKERS) -> set[str]:
    """Names of the markers (regexes on the source, CSS selectors on the DOM) a page has."""
    sel = Selector(text=html)
    out = set()
    for name, probe in markers.items():
        if not isinstance(probe, str):
            if probe.search(html):
                out.add(name)
        elif sel.css(probe):
            out.add(name)
    return out
