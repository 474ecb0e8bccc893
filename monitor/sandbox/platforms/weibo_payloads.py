"""JSON bodies of the simulated m.weibo.cn API, shaped key for key like the real captures
(shared/fixtures/real/weibo; tests/test_sandbox_weibo_keys.py compares the key sets)."""
from __future__ import annotations

import hashlib
import html
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from monitor.sandbox.scenario import SandboxAccount, SandboxPost

PAGE_SIZE = 10
PLACEHOLDER = {"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}
DELETED_TEXT = ("抱歉，此微博已被作者删除。查看帮助：<a  href=\"https://m.weibo.cn/c/help\" "
                "data-hide=\"\">http://t.cn/EzGz3Lq</a>")
_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_URL_ICON = ("<span class='url-icon'><img style='width: 1rem;height: 1rem' "
             "src='https://h5.sinaimg.cn/upload/2015/09/25/3/timeline_card_small_web_default.png'></span>")


def created_at(when: datetime, at: datetime, relative: bool) -> str:
    """The real ``created_at``: the full English form, or (as m.weibo.cn answers for recent
    posts) 刚刚 / N分钟前 / N小时前 / 昨天 HH:MM / MM-DD / YYYY-MM-DD."""
    local = when.astimezone(at.tzinfo)
    if relative:
        age = at - when
        if age < timedelta(minutes=1):
            return "刚刚"
        if age < timedelta(hours=1):
            return f"{int(age.total_seconds() // 60)}分钟前"
        if age < timedelta(hours=24) and local.date() == at.date():
            return f"{int(age.total_seconds() // 3600)}小时前"
        if local.date() == at.date() - timedelta(days=1):
            return f"昨天 {local:%H:%M}"
        if local.year == at.year:
            return f"{local:%m-%d}"
        return f"{local:%Y-%m-%d}"
    off = local.strftime("%z")
    return (f"{_WEEKDAYS[local.weekday()]} {_MONTHS[local.month - 1]} {local.day:02d} "
            f"{local:%H:%M:%S} {off} {local.year}")


def follower_number(acc: SandboxAccount) -> int:
    return int(acc.get("followers", 8000 + int(acc.id[-3:]) * 137))


def followers(acc: SandboxAccount) -> Any:
    """Counts of 10,000 and more are display strings ("14.5万"), as the real API gives."""
    n = follower_number(acc)
    return f"{n / 10000:.1f}万" if n >= 10000 else n


def bid(post_id: str) -> str:
    return hashlib.md5(post_id.encode()).hexdigest()[:9]


def user_dict(acc: SandboxAccount, base: str, full: bool = True) -> dict[str, Any]:
    verified = bool(acc.get("verified", True))
    user: dict[str, Any] = {
        "id": int(acc.id), "screen_name": acc.name,
        "profile_image_url": f"https://tvax1.sinaimg.cn/crop.0.0.180.180.180/{acc.id}.jpg",
        "profile_url": f"{base}/u/{acc.id}?uid={acc.id}&luicode=10000011&lfid=100505{acc.id}",
        "statuses_count": int(acc.get("statuses_count", len(acc.posts))), "verified": verified,
        "verified_type": int(acc.get("verified_type", 1 if verified else -1)),
    }
    if verified:
        user["verified_type_ext"] = 0
    user["verified_reason"] = acc.get("verified_reason", "") if verified else acc.get("verified_reason", "")
    user.update({
        "close_blue_v": False, "description": acc.get("description", f"{acc.name}官方微博"), "gender": "m",
        "mbtype": 12 if verified else 0, "urank": 20, "mbrank": 3, "follow_me": False, "following": False,
        "follow_count": int(acc.get("follow_count", 120)),
    })
    # The profile's userInfo gives big counts as display strings; a post's user as numbers.
    fc = followers(acc)
    if full:
        user["followers_count"] = fc
        if isinstance(fc, str):
            user["followers_count_str"] = fc
    else:
        user["followers_count"] = follower_number(acc)
    user.update({"cover_image_phone": "https://wx1.sinaimg.cn/crop.0.0.640.640.640/cover.jpg",
                 "avatar_hd": f"https://wx1.sinaimg.cn/orj480/{acc.id}.jpg", "like": False, "like_me": False})
    if not full:
        user["badge"] = {"user_name_certificate": 1}
    return user


def profile_payload(acc: SandboxAccount, base: str) -> dict[str, Any]:
    uid = acc.id
    info = user_dict(acc, base)
    info["toolbar_menus"] = [{
        "type": "link", "name": "聊天", "pic": "http://h5.sinaimg.cn/upload/2015/06/12/2/toolbar_icon_discuss_default.png",
        "params": {"scheme": f"sinaweibo://messagelist?uid={uid}&nick={acc.name}"},
        "scheme": f"https://passport.weibo.cn/signin/welcome?entry=mweibo&r={quote(base + '/api/container/getIndex?containerid=100505' + uid, safe='')}",
    }]
    tab = {"id": 2, "tabKey": "weibo", "must_show": 1, "hidden": 0, "title": "微博", "tab_type": "weibo",
           "containerid": f"107603{uid}", "apipath": "/profile/statuses",
           "tab_icon": "https://h5.sinaimg.cn/upload/1059/799/2021/04/01/weibotab.png",
           "tab_icon_dark": "https://h5.sinaimg.cn/upload/1059/799/2021/04/07/weibotab_dark.png", "url": "/index/my"}
    return {"ok": 1, "data": {
        "isVideoCoverStyle": 1, "isStarStyle": 0, "userInfo": info,
        "fans_scheme": f"{base}/c/attention/visit?showmenu=0&sign={uid}",
        "follow_scheme": f"{base}/c/attention/visit?showmenu=0&sign={uid}",
        "tabsInfo": {"selectedTab": 1, "tabs": [
            {"id": 1, "tabKey": "profile", "must_show": 1, "hidden": 0, "title": "精选", "tab_type": "profile",
             "containerid": f"230283{uid}"},
            tab,
            {"id": 10, "tabKey": "album", "must_show": 0, "hidden": 0, "title": "相册", "tab_type": "album",
             "containerid": f"107803{uid}"},
        ]},
        "profile_ext": f"touid:{uid}",
        "scheme": f"sinaweibo://userinfo?uid={uid}&v_p=42&luicode=10000011&lfid=100505{uid}",
        "showAppTips": 0,
    }}


def link_html(url: str) -> str:
    """External links appear as t.cn short links wrapped by weibo.cn/sinaurl, as on the site."""
    short = "http://t.cn/A6" + hashlib.md5(url.encode()).hexdigest()[:6]
    return (f'<a data-url="{short}" href="https://weibo.cn/sinaurl?u={quote(url, safe="")}" data-hide="">'
            f'{_URL_ICON}<span class="surl-text">网页链接</span></a>')


def text_html(text: str) -> str:
    out = []
    for word in html.escape(text, quote=False).split(" "):
        out.append(link_html(html.unescape(word)) if word.startswith(("http://", "https://")) else word)
    return " ".join(out).replace("\n", "<br />")


def long_text(post: SandboxPost) -> str:
    extra = post.extra.get("long_tail") or ("详情请见" + "相关部门发布的完整通知。" * 12)
    return post.text + "\n" + extra


NO_COMMENTS = {"ok": 0, "msg": "", "data": {}}
_ORDINARY = ("感谢发布", "已转发，支持", "辛苦了", "点赞", "收到，谢谢提醒", "关注中")


def comment_specs(post: SandboxPost) -> list[dict[str, Any]]:
    """The post's comments: the scenario's ``comments``, or ``rng % 30`` ordinary ones."""
    if "comments" in post.extra:
        return [dict(c) for c in post.extra["comments"] or []]
    if post.extra.get("comments_closed"):
        return []
    n = int(hashlib.md5(post.id.encode()).hexdigest()[:6], 16) % 30
    return [{"text": _ORDINARY[i % len(_ORDINARY)]} for i in range(n)]


def comments_count(post: SandboxPost) -> int:
    return sum(1 + len(c.get("replies") or []) for c in comment_specs(post))


def hotflow_payload(post: SandboxPost, acc: SandboxAccount, base: str, at: datetime) -> dict[str, Any]:
    """``/comments/hotflow`` as a visitor gets it: one page (max_id 0), replies under ``comments``."""
    specs = comment_specs(post)
    if not specs:
        return NO_COMMENTS
    data = []
    for i, spec in enumerate(specs[:20]):
        cid = str(int(post.id) * 100 + i * 10)
        when = post.published_at + timedelta(minutes=7 * (i + 1))
        replies = []
        for j, r in enumerate(spec.get("replies") or []):
            mine = bool(r.get("by_account", True))
            replies.append({
                "created_at": created_at(when + timedelta(minutes=30 + j), at, False), "id": str(int(cid) + j + 1),
                "rootid": cid, "rootidstr": cid, "floor_number": 0, "text": text_html(str(r["text"])),
                "disable_reply": 0, "user": user_dict(acc, base, full=False) if mine else _fan(r.get("user"), i * 10 + j + 1),
                "like_count": 0, "liked": False})
        data.append({
            "created_at": created_at(when, at, False), "id": cid, "rootid": cid, "rootidstr": cid,
            "floor_number": i + 1, "text": text_html(str(spec["text"])), "disable_reply": 0,
            "restrictOperate": 0, "source": "来自江苏", "user": _fan(spec.get("user"), i),
            "mid": cid, "readtimetype": "comment", "comments": replies or False,
            "max_id": 0, "total_number": len(replies), "isLikedByMblogAuthor": False, "like_count": (i * 7) % 13,
            "liked": False})
    return {"ok": 1, "data": {"data": data, "total_number": comments_count(post), "max_id": 0, "max_id_type": 0}}


def _fan(name: Any, n: int) -> dict[str, Any]:
    return {"id": 7000000000 + n, "screen_name": str(name or f"网友{n:04d}"), "verified": False, "verified_type": -1,
            "profile_image_url": f"https://tvax1.sinaimg.cn/crop.0.0.180.180.50/fan{n}.jpg"}


def comments_closed(post: SandboxPost, acc: SandboxAccount) -> bool:
    return bool(post.extra.get("comments_closed", acc.get("comments_closed", False)))


def _base_mblog(post: SandboxPost, acc: SandboxAccount, base: str, at: datetime, relative: bool) -> dict[str, Any]:
    rng = int(hashlib.md5(post.id.encode()).hexdigest()[:6], 16)
    body = text_html(post.text)
    m: dict[str, Any] = {
        "visible": {"type": 0, "list_id": 0},
        "created_at": created_at(post.published_at, at, relative),
        "id": post.id, "mid": post.id, "bid": bid(post.id), "can_edit": False,
        "show_additional_indication": 0, "text": body, "textLength": len(post.text.encode("gbk", "replace")),
        "source": "微博 weibo.com", "favorited": False, "pic_ids": [], "pic_types": "", "is_paid": False,
        "mblog_vip_type": 0, "user": user_dict(acc, base, full=False),
        "reposts_count": rng % 50, "comments_count": comments_count(post), "attitudes_count": rng % 200,
        "pending_approval_count": 0, "isLongText": False, "reward_exhibition_type": 0, "hide_flag": 0,
        "mlevel": 0, "darwin_tags": [], "mblogtype": 0, "rid": f"0_0_50_{rng}_0_0_0", "more_info_type": 0,
        "extern_safe": 0, "enable_comment_guide": not comments_closed(post, acc), "content_auth": 0,
        "pic_num": 0, "alchemy_params": {"ug_red_envelope": False}, "mblog_menu_new_style": 0,
        "edit_config": {"edited": False}, "number_display_strategy": {"apply_scenario_flag": 3,
                                                                    "display_text_min_number": 1000000,
                                                                    "display_text": "100万+"},
    }
    if post.long:
        visible = html.escape(post.text, quote=False)[:90]
        m["text"] = text_html(visible) + f' ...<a href="/status/{post.id}">全文</a>'
        m["isLongText"] = True
        m["textLength"] = len(long_text(post).encode("gbk", "replace"))
    return m


def mblog(post: SandboxPost, acc: SandboxAccount, base: str, at: datetime, relative: bool) -> dict[str, Any]:
    m = _base_mblog(post, acc, base, at, relative)
    if post.pinned:
        m.update({"isTop": 1, "mblogtype": 2, "title": {"text": "置顶", "base_color": 1}})
        m.pop("number_display_strategy")
    if post.kind in ("repost", "repost_deleted"):
        orig_id = str(int(post.id) - 7919)
        comment = post.extra.get("comment", "转发微博")
        m["text"] = text_html(comment)
        m["raw_text"] = comment
        m["repost_type"] = 1
        if post.kind == "repost_deleted":
            m["retweeted_status"] = {"created_at": m["created_at"], "id": orig_id, "mid": orig_id, "bid": bid(orig_id),
                                     "text": DELETED_TEXT, "user": None, "deleted": "1", "visible": {"type": 0, "list_id": 0},
                                     "reposts_count": 0, "comments_count": 0, "attitudes_count": 0}
        else:
            src = post.extra.get("source_account", {"id": "2000090001", "name": "文明江苏"})
            src_acc = SandboxAccount("weibo", str(src["id"]), src["name"],
                                     {"verified": True, "verified_reason": src.get("verified_reason", src["name"] + "官方微博")},
                                     acc.at, acc.seed)
            orig = SandboxPost(orig_id, post.published_at - timedelta(hours=2), text=post.text)
            rs = _base_mblog(orig, src_acc, base, at, relative)
            rs["user"]["statuses_count"] = 1000
            for k in ("extern_safe", "enable_comment_guide", "alchemy_params", "mblog_menu_new_style", "number_display_strategy"):
                rs.pop(k, None)
            m["retweeted_status"] = rs
    return m


def card(post: SandboxPost, acc: SandboxAccount, base: str, at: datetime, containerid: str, relative: bool) -> dict[str, Any]:
    b = bid(post.id)
    c: dict[str, Any] = {"card_type": 9, "itemid": f"{containerid}_-_{post.id}",
                         "scheme": f"{base}/status/{b}?mblogid={b}&luicode=10000011&lfid={containerid}",
                         "mblog": mblog(post, acc, base, at, relative)}
    if post.pinned:
        # RSSHub recognises pinned posts by this prefix (research §1.3).
        c["profile_type_id"] = f"proweibotop_{post.id}"
    return c


def timeline_payload(acc: SandboxAccount, base: str, at: datetime, containerid: str,
                     since_id: str | None = None, page: int | None = None, groups: bool = True) -> dict[str, Any]:
    """One page: the 107603 route pages by ``since_id`` (or, since 2025, by ``page`` with no
    ``since_id``), the 230413 route by ``page`` and wraps every third post in a
    ``card_type`` 11 group (``groups``) as that route does."""
    posts = acc.posts
    pinned = [p for p in posts if p.pinned]
    normal = [p for p in posts if not p.pinned]
    relative = bool(acc.get("relative_dates", False))
    if page is not None:
        start = (max(page, 1) - 1) * PAGE_SIZE
    elif since_id:
        start = next((i for i, p in enumerate(normal) if p.id == since_id), None)
        if start is None:
            return dict(PLACEHOLDER)
    else:
        start = 0
    chunk = normal[start:start + PAGE_SIZE]
    first = start == 0
    shown = (pinned if first else []) + chunk
    cards = [card(p, acc, base, at, containerid, relative) for p in shown]
    if page is not None and groups:
        cards = [{"card_type": 11, "itemid": "", "card_group": [c]} if i % 3 == 2 else c for i, c in enumerate(cards)]
    info: dict[str, Any] = {"containerid": containerid, "v_p": 42, "show_style": 1,
                            "total": int(acc.get("statuses_count", len(posts)))}
    nxt = start + PAGE_SIZE
    if nxt < len(normal):
        if page is not None:
            info["page"] = page + 1
        else:
            info["since_id"] = int(normal[nxt].id)
    return {"ok": 1, "data": {"cardlistInfo": info, "cards": cards,
                              "scheme": f"sinaweibo://cardlist?containerid={containerid}&v_p=42&luicode=10000011&lfid={containerid}",
                              "showAppTips": 0}}


def extend_payload(post: SandboxPost) -> dict[str, Any]:
    rng = int(hashlib.md5(post.id.encode()).hexdigest()[:6], 16)
    return {"ok": 1, "data": {"ok": 1, "longTextContent": text_html(long_text(post)),
                              "reposts_count": rng % 50, "comments_count": rng % 30, "attitudes_count": rng % 200}}


def register(app, world) -> None:
    """Payload helpers only (the server calls ``register`` on every platform module); the
    routes are in ``weibo.py``."""
