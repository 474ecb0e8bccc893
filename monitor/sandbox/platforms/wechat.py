"""WeChat mp pages, as mp.weixin.qq.com serves them (research §2.3–2.6, real pages in
shared/fixtures/real/wechat/): article pages ``/wechat/s/{id}`` with the real markers
(``var ct``, ``create_time``, ``var biz``, ``nickname``, ``user_name``, ``copyright_stat``,
``#copyright_logo`` or the 以下文章来源于 reprint card, ``#js_content`` hidden by inline style,
and the ad-template JavaScript every real page carries), the deleted / violation /
temporarily-unavailable / 参数错误 pages (the deleted page also in English), 图片分享 /
文本分享 pages (``show_type: image|text`` on a post), the 环境异常 captcha (a redirect to
``/mp/wappoc_appmsgcaptcha``), and ``/wechat/mp/aboutbiz?__biz=…`` with 认证主体 — only
for requests carrying WeChat-client headers ``x-wechat-uin`` and ``x-wechat-key`` (any values;
a key starting with "expired" gets 密钥已过期), else the 参数错误 page, as WeChat does.

Templates (copies of the real pages' structure, text generated) live in wechat_templates/.

Scenario keys (account): ``kind`` 订阅号/服务号/小程序, ``subject`` 认证主体, ``verified``
(default true), ``verify_type`` (default 政府), ``alias`` 微信号, ``articles_captcha: true``
(every article page answers with the captcha), ``aboutbiz_status`` (e.g. 500). Per post
(extra keys): ``state: deleted|deleted_en|violation|unavailable``, ``reason`` (violation text),
``copyright: 1|2|0`` (default from the post kind), ``source`` (reprint source account),
``source_line`` (a 来源： line in the body), ``ad: true`` (a product card and 广告 label),
``comments_closed: true`` (留言 closed: ``comment_enabled`` 0; also an account key).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import html
from datetime import datetime
from pathlib import Path
from string import Template
from urllib.parse import quote, unquote

from aiohttp import web

from monitor.sandbox.scenario import SandboxAccount, SandboxPost
from monitor.sandbox.server import World, tag

PREFIX = "/wechat"
TEMPLATES = Path(__file__).with_name("wechat_templates")
_SERVICE_TYPE = {"订阅号": "1", "服务号": "2", "小程序": "0"}
_COPYRIGHT_BY_KIND = {"original": "1", "repost": "2", "repost_deleted": "2"}


class _Template(Template):
    delimiter = "%%"  # the pages are full of "$" (JavaScript), none of "%%"


_cache: dict[str, _Template] = {}


def render(template: str, /, **values) -> str:
    if template not in _cache:
        _cache[template] = _Template((TEMPLATES / template).read_text(encoding="utf-8"))
    return _cache[template].substitute(**values)


# ── ids ─────────────────────────────────────────────────────────────────────
def article_id(biz: str, post_id: str) -> str:
    """An opaque short id (like the real 22-char ones) that carries biz and post id, so any
    page can be served without scanning the scenario (scale mode has 10,000+ accounts)."""
    return base64.urlsafe_b64encode(f"{biz}|{post_id}".encode()).decode().rstrip("=")


def parse_article_id(short_id: str) -> tuple[str, str] | None:
    try:
        raw = base64.urlsafe_b64decode(short_id + "=" * (-len(short_id) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    biz, sep, post_id = raw.partition("|")
    return (biz, post_id) if sep and biz and post_id else None


def article_url(request: web.Request, biz: str, post_id: str) -> str:
    """Absolute, on the host the client used, so the sandbox works on any port."""
    return f"{request.scheme}://{request.host}{PREFIX}/s/{article_id(biz, post_id)}"


def user_name(acc: SandboxAccount) -> str:
    return acc.get("user_name") or "gh_" + hashlib.sha1(acc.id.encode()).hexdigest()[:12]


def feed_posts(acc: SandboxAccount) -> list[SandboxPost]:
    """Articles newest first (WeChat has no pinned articles in feeds)."""
    return sorted(acc.posts, key=lambda p: p.published_at, reverse=True)


def find_post(acc: SandboxAccount, post_id: str) -> SandboxPost | None:
    return next((p for p in acc.posts if p.id == post_id), None)


# ── pages ───────────────────────────────────────────────────────────────────
def _paragraphs(text: str) -> str:
    style = "text-align: left;line-height: 1.75;font-size: 16px;margin-bottom: 24px;"
    return "\n".join(f'                        <section style="{style}"><p><span leaf="">{html.escape(line)}</span></p></section>'
                     for line in text.split("\n") if line.strip())


_SHOW_TYPES = {"image": "8", "text": "10"}
_IMAGE_SHARE_BODY = """<div id="js_article" class="share_content_page  ">
    <div class="share_content_page_hd" id="js_share_content_page_hd"></div>
    <div class="share_content_page_bd" id="js_base_container"></div>
</div>"""
_TEXT_SHARE_BODY = """<div id="js_article" data-server-rendered="true" class="page_pages share_content_page  "><div id="js_article_content" class="rich_media_area_primary " style=""><div id="js_base_container" class="rich_media_area_primary_inner "><div id="js_content"><div id="js_top_profile" class="profile_area_hide"><div class="wx_follow_nickname ">%s</div></div> <div class="share_notice js_share_notice_dom  "><p id="js_text_desc" class="share_notice_inner js_underline_content "></p></div> <span id="publish_time" class="rich_media_meta rich_media_meta_text "></span></div></div></div></div>"""


def _js(text: str) -> str:
    """Text inside a single-quoted JavaScript literal, escaped as WeChat's templates do."""
    return (text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\x0a")
            .replace("&", "\\x26").replace("<", "\\x3c").replace(">", "\\x3e"))


def comment_enabled(acc: SandboxAccount, post: SandboxPost, default: str) -> str:
    """``'0'`` for 留言 closed (the post's or the account's ``comments_closed``), else the
    real pages' value: empty on ordinary articles (filled by a later request), 1 on shares."""
    return "0" if post.extra.get("comments_closed", acc.get("comments_closed", False)) else default


def share_page(acc: SandboxAccount, post: SandboxPost, url: str, tz, show: str) -> str:
    """图片分享 (item_show_type 8: #js_article, no #js_content) and 文本分享 (10: a
    #js_content holding only the profile card); time and account only in ``window.*``."""
    ct = int(post.published_at.timestamp())
    digest_seed = hashlib.md5(post.id.encode()).hexdigest()
    title = post.title or post.text[:24]
    body = _IMAGE_SHARE_BODY if show == "image" else _TEXT_SHARE_BODY % html.escape(acc.name)
    local = datetime.fromtimestamp(ct, tz).strftime("%Y-%m-%d %H:%M")
    # As the real pages: a 文本分享's cgiDataNew is JsDecode'd, a 图片分享's is plain.
    fields = ([f"user_name: JsDecode('{user_name(acc)}')", f"nick_name: JsDecode('{_js(acc.name)}')",
               f"title: JsDecode('{_js(title)}')", f"content_noencode: JsDecode('{_js(post.text)}')",
               f"create_time: JsDecode('{local}')"] if show == "text" else
              [f"user_name: '{user_name(acc)}'", f"title: '{_js(title)}'", f"content_noencode: '{_js(post.text)}'"])
    return render(
        "article_share.html", nonce=str(int(digest_seed[:8], 16) % 10**9), biz=acc.id,
        mid=str(2247400000 + int(digest_seed[8:16], 16) % 100000), idx="1",
        title=html.escape(title), js_title=_js(title), digest=html.escape(post.text[:54]),
        author=html.escape(acc.name), og_url=url, nickname=html.escape(acc.name),
        user_name=user_name(acc), ct=str(ct), show_type=_SHOW_TYPES[show],
        cgi_fields="".join(f"            {f},\n" for f in fields),
        copyright_stat=str(post.extra.get("copyright", _COPYRIGHT_BY_KIND.get(post.kind, "0"))),
        comment_enabled=comment_enabled(acc, post, "1"), page_body=body)


def article_page(acc: SandboxAccount, post: SandboxPost, url: str, tz) -> str:
    show = post.extra.get("show_type")
    if show in _SHOW_TYPES:
        return share_page(acc, post, url, tz, show)
    copyright_stat = str(post.extra.get("copyright", _COPYRIGHT_BY_KIND.get(post.kind, "0")))
    text = post.text
    if post.extra.get("source_line"):
        text += "\n" + str(post.extra["source_line"])
    body = _paragraphs(text)
    if post.extra.get("ad"):
        body += ('\n                        <p><span leaf="">广告</span></p>'
                 '\n                        <mpcps data-planid="10001" data-templateid="list" data-pid="88001"></mpcps>')
    reprint = ""
    if copyright_stat == "2":
        source = str(post.extra.get("source", "江苏发布"))
        reprint = render("reprint_card.html", source=html.escape(source),
                         source_author=html.escape(str(post.extra.get("source_author", source))))
    logo = ('                        <span id="copyright_logo" class="wx_tap_link js_wx_tap_highlight rich_media_meta '
            'icon_appmsg_tag appmsg_title_tag weui-wa-hotarea">原创</span>') if copyright_stat == "1" else ""
    ct = int(post.published_at.timestamp())
    digest_seed = hashlib.md5(post.id.encode()).hexdigest()
    title = post.title or post.text[:24]
    return render(
        "article.html", nonce=str(int(digest_seed[:8], 16) % 10**9), biz=acc.id, sn=digest_seed,
        mid=str(2247400000 + int(digest_seed[8:16], 16) % 100000), idx="1",
        title=html.escape(title), digest=html.escape(post.text[:54]), author=html.escape(acc.name),
        og_url=url, nickname=html.escape(acc.name), user_name=user_name(acc), alias=acc.get("alias", ""),
        ct=str(ct), create_time_text=datetime.fromtimestamp(ct, tz).strftime("%Y-%m-%d %H:%M"),
        copyright_stat=copyright_stat, copyright_logo=logo, reprint_card=reprint, body=body, js_body=_js(body),
        verify_status="2" if acc.get("verified", True) else "0",
        servicetype=_SERVICE_TYPE.get(acc.get("kind", "订阅号"), "1"),
        comment_enabled=comment_enabled(acc, post, ""),
    )


_FOOTER = """    <div class="weui-msg__extra-area">
        <div class="weui-footer">
            <p class="weui-footer__links">
                <a class="weui-footer__link"
                   href="https://mp.weixin.qq.com/webpoc/ruleCenter?type=oa">微信公众平台运营中心</a>
            </p>
        </div>
    </div>"""


def message_page(title: str, desc: str | None = None, *, heading: str = "div", warn: bool = True,
                 page_title: str = "", body_id: str = "activity-detail", extra: str = "") -> str:
    """The weui-msg pages: deleted, violation, 参数错误, and the captcha."""
    title_html = (f'<div class="weui-msg__title warn">{title}</div>' if heading == "div"
                  else f"<h2 class='weui-msg__title title'>\n            {title}\n        </h2>")
    desc_html = f'\n        <div class="weui-msg__desc">\n            <p class="tips">{desc}\n            </p>\n        </div>' if desc else ""
    icon = "weui-icon-warn weui-icon_msg-primary" if warn else "weui-icon-info weui-icon_msg"
    message = (f'<div class="weui-msg">\n    <div class="weui-msg__icon-area">\n        <i class="{icon}"></i>\n    </div>\n'
               f'    <div class="weui-msg__text-area">\n        {title_html}{desc_html}{extra}\n    </div>\n{_FOOTER}\n</div>')
    return render("message.html", page_title=page_title, body_id=body_id, message=message)


def deleted_page(english: bool = False) -> str:
    return message_page("The content has been deleted by the author." if english else "该内容已被发布者删除")


def violation_page(reason: str) -> str:
    rule = ('<a\n                    href="http://mp.weixin.qq.com/mp/opshowpage?action=oplaw&amp;id=26&amp;'
            't=operation/faq_index#wechat_redirect">对应规则</a>')
    return message_page("此内容因违规无法查看", f"{html.escape(reason)}，查看{rule}", heading="h2", body_id="")


def captcha_page() -> str:
    extra = ('\n        <p class="weui-msg__desc">当前环境异常，完成验证后即可继续访问。</p>'
             '\n        <div class="weui-msg__opr-area"><a id="js_verify" class="weui-btn weui-btn_primary" '
             'href="javascript:;">去验证</a></div>\n        <iframe id="tcaptcha_iframe_dy" style="display:none"></iframe>')
    return message_page("环境异常", heading="h2", warn=False, page_title="Weixin Official Accounts Platform",
                        body_id="", extra=extra)


def bad_url_page() -> str:
    return message_page("参数错误", body_id="")


def aboutbiz_page(acc: SandboxAccount) -> str:
    verified = bool(acc.get("verified", True)) and bool(acc.get("subject"))
    values = dict(biz=acc.id, subject=html.escape(str(acc.get("subject") or acc.name)),
                  verify_type=html.escape(str(acc.get("verify_type") or ("政府" if verified else "事业单位"))))
    block = render("aboutbiz_verified.html" if verified else "aboutbiz_unverified.html", **values)
    return render("aboutbiz.html", name=html.escape(acc.name), biz=acc.id,
                  intro=html.escape(acc.get("intro") or f"{acc.name}官方公众号。"),
                  alias=html.escape(acc.get("alias") or user_name(acc)), verification=block)


# ── faults ──────────────────────────────────────────────────────────────────
async def apply_fault(world: World, kinds: tuple[str, ...]) -> str | None:
    """The injected fault for this request, if it is one this endpoint can show; a
    ``timeout`` stalls here first."""
    fault = world.faults.pick()
    if fault not in kinds:
        return None
    if fault == "timeout":
        await asyncio.sleep(world.faults.timeout_seconds)
    return fault


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def register(app: web.Application, world: World) -> None:
    tz = world.scenario.at.tzinfo

    def account_for(biz: str) -> SandboxAccount | None:
        return world.scenario.account("wechat", biz)

    async def article(request: web.Request) -> web.StreamResponse:
        decoded = parse_article_id(request.match_info["sid"])
        if decoded is None:
            tag(request, "wechat")
            return _html(bad_url_page())
        biz, post_id = decoded
        tag(request, "wechat", biz)
        acc = account_for(biz)
        post = find_post(acc, post_id) if acc is not None else None
        if post is None:
            return _html(bad_url_page())
        fault = await apply_fault(world, ("captcha", "500", "timeout"))
        if fault == "500":
            return web.Response(status=500, text="Internal Server Error")
        if fault == "timeout":
            return web.Response(status=504, text="Gateway Timeout")
        url = article_url(request, biz, post_id)
        if fault == "captcha" or acc.get("articles_captcha"):
            raise web.HTTPFound(f"{PREFIX}/mp/wappoc_appmsgcaptcha?poc_token=sandbox&target_url={quote(url, safe='')}")
        state = post.extra.get("state")
        if state in ("deleted", "deleted_en"):
            return _html(deleted_page(english=state == "deleted_en"))
        if state == "violation":
            return _html(violation_page(str(post.extra.get("reason", "由用户投诉并经平台审核，涉嫌过度营销、骚扰用户"))))
        if state == "unavailable":
            return _html(render("unavailable.html"))
        return _html(article_page(acc, post, url, tz))

    async def captcha(request: web.Request) -> web.StreamResponse:
        target = unquote(request.query.get("target_url", ""))
        decoded = parse_article_id(target.rsplit("/s/", 1)[-1]) if "/s/" in target else None
        tag(request, "wechat", decoded[0] if decoded else None)
        return _html(captcha_page())

    async def aboutbiz(request: web.Request) -> web.StreamResponse:
        biz = request.query.get("__biz", "")
        tag(request, "wechat", biz or None)
        acc = account_for(biz)
        if acc is None:
            return _html(bad_url_page())
        if acc.get("aboutbiz_status"):
            return web.Response(status=int(acc.get("aboutbiz_status")), text="error")
        # Since 2025 the page is served only to the WeChat client: a plain GET gets 参数错误,
        # expired client credentials 密钥已过期 (both HTTP 200).
        key = request.headers.get("x-wechat-key", "")
        if not key or not request.headers.get("x-wechat-uin"):
            return _html(bad_url_page())
        if key.startswith("expired"):
            return _html(message_page("密钥已过期", "请在微信客户端重新打开", body_id=""))
        fault = await apply_fault(world, ("captcha", "500", "timeout"))
        if fault == "captcha":
            return _html(captcha_page())
        if fault in ("500", "timeout"):
            return web.Response(status=500 if fault == "500" else 504, text="error")
        return _html(aboutbiz_page(acc))

    app.router.add_get(PREFIX + "/s/{sid}", article)
    app.router.add_get(PREFIX + "/mp/wappoc_appmsgcaptcha", captcha)
    app.router.add_get(PREFIX + "/mp/aboutbiz", aboutbiz)
