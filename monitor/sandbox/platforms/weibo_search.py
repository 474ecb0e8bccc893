"""The simulated m.weibo.cn user search: ``getIndex?containerid=100103type=3&q=…`` (served by
the Weibo double's getIndex, after its rate limit, visitor-cookie and fault checks).

Shaped as docs/research/account_discovery.md records the real one: ``cardlistInfo`` with
``page`` (the next page, null at the end) and ``total``; a first card that is not a user
list (a "共找到N个相关用户" line, as the site puts filters/hints before the users), then a
``card_type`` 11 card whose ``card_group`` holds ``card_type`` 10 items, each with the profile's
``user`` object, ``desc1`` (认证 or description) and ``desc2`` (粉丝).

Weibo's search is fuzzy: an account is listed when most of the query's two-character terms
appear in its name, 认证 text or description (so 南通市科学技术局 also lists
南通市科学技术协会 — the matcher, not the search, decides). Modes:
- pages after ``WeiboState.search_visitor_pages`` (default 1) answer ``ok:-100`` with the
  passport login URL (visitors see page 1);
- a scenario entry ``{platform: weibo_search, id: QUERY, mode: rate_msg|418|432|captcha|login}``
  makes that query's search answer that way every time.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, quote

from aiohttp import web

from monitor.sandbox.platforms import weibo_payloads as P
from monitor.sandbox.scenario import SandboxAccount

PAGE_SIZE = 10
MIN_OVERLAP = 0.6  # share of the query's bigrams an account's texts must carry to be listed


def _bigrams(text: str) -> set[str]:
    t = "".join(text.split())
    return {t[i:i + 2] for i in range(len(t) - 1)}


def _score(acc: SandboxAccount, query: str) -> float:
    wanted = _bigrams(query)
    if not wanted:
        return 0.0
    hay = _bigrams(acc.name) | _bigrams(acc.get("verified_reason", "") or "") | _bigrams(acc.get("description", "") or "")
    return len(wanted & hay) / len(wanted)


def search_query(containerid: str) -> str | None:
    """``100103type=3&q=南通&t=`` → ``南通``; None for another search type."""
    if not containerid.startswith("100103"):
        return None
    params = dict(parse_qsl(containerid[6:], keep_blank_values=True))
    return params.get("q", "") if params.get("type") == "3" else None


def _item(acc: SandboxAccount, base: str) -> dict[str, Any]:
    user = P.user_dict(acc, base)
    reason = user.get("verified_reason") if user.get("verified") else ""
    return {"card_type": 10, "itemid": f"seqid:{acc.id}|type:3|t:|pos:1-0", "display_arrow": 0,
            "scheme": f"{base}/u/{acc.id}?uid={acc.id}&luicode=10000011&lfid=100103type%3D3",
            "user": user, "desc1": f"认证：{reason}" if reason else (user.get("description") or ""),
            "desc2": f"粉丝：{user.get('followers_count')}", "actionlog": {"act_code": 4138, "ext": "uid:" + acc.id},
            "buttons": [{"type": "follow", "name": "加关注", "sub_type": 0,
                         "params": {"uid": int(acc.id), "need_follow": 1}}]}


def search_payload(accounts, query: str, page: int, base: str, containerid: str) -> dict[str, Any]:
    scored = sorted(((s, acc) for acc in accounts if (s := _score(acc, query)) >= MIN_OVERLAP),
                    key=lambda pair: (-pair[0], -P.follower_number(pair[1]), pair[1].id))
    found = [acc for _, acc in scored]
    chunk = found[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    more = len(found) > page * PAGE_SIZE
    cards: list[dict[str, Any]] = []
    if chunk:
        cards.append({"card_type": 4, "itemid": "", "desc": f"共找到{len(found)}个相关用户", "show_type": 1})
        cards.append({"card_type": 11, "show_type": 1, "itemid": "", "title": "", "openurl": "",
                      "card_group": [_item(acc, base) for acc in chunk]})
    return {"ok": 1, "data": {
        "cardlistInfo": {"containerid": containerid, "v_p": 42, "show_style": 1, "total": len(found),
                         "autoLoadMoreIndex": 10, "can_shared": 0, "cardlist_title": "", "desc": "",
                         "page_size": PAGE_SIZE, "page": page + 1 if more else None},
        "cards": cards,
        "scheme": f"sinaweibo://cardlist?containerid={quote(containerid, safe='')}&v_p=42",
        "showAppTips": 0}}


def answer(world, state, request: web.Request, containerid: str, query: str, base: str,
           fault_response, rate_msg: dict, login_wall: str) -> web.StreamResponse:
    q = request.query
    page = int(q["page"]) if q.get("page", "").isdigit() else 1
    fault = world.scenario.account("weibo_search", query)
    mode = str(fault.get("mode")) if fault is not None else ""
    if mode == "rate_msg":
        return web.json_response(rate_msg)
    if mode in ("418", "432", "captcha"):
        return fault_response(mode)
    if mode == "login" or page > state.search_visitor_pages:
        return web.json_response({"ok": -100, "url": login_wall + quote(f"{base}/search?containerid={containerid}", safe="")})
    return web.json_response(search_payload(world.scenario.accounts("weibo"), query, page, base, containerid))


def register(app, world) -> None:
    """Served through weibo.py's getIndex; no routes of its own."""
