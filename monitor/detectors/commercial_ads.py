"""ded.commercial_ads (suspected) — 刊登商业广告或链接商业广告页面.

Signals in a post of the check period: an ad label used as a label (【广告】, #推广#,
"赞助：" at a line start), a link to a shop (Taobao, Tmall, JD, Pinduoduo …), ad signals the
spider saw (product cards, mini-program shop links), or two shopping cues (领券, 下单, 秒杀 …).
Government programmes (消费券, 以旧换新 …) are whitelisted: there only labels and the
spider's ad signals count.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from monitor.detectors.context import Context, Draft
from monitor.rules.loader import Lexicon

RULES = ("ded.commercial_ads",)


def _body(title: str | None, text: str | None, sep: str) -> str:
    """Title and text once each: a Weibo post's title is its text's opening, and quoting both
    showed the ad twice in the finding ("【广告】双十二… 【广告】双十二…")."""
    title, text = (title or "").strip(), (text or "").strip()
    if title and title.rstrip("…") in text:
        return text
    return sep.join(x for x in (title, text) if x)


@lru_cache(maxsize=8)
def _patterns(lexicon: Lexicon) -> dict[str, re.Pattern]:
    alt = lambda words: "|".join(map(re.escape, words))  # noqa: E731
    labels = alt(lexicon.ad_labels)
    return {
        "label": re.compile(rf"[【\[(（#]\s*(?:{labels})\s*[】\])）#]|(?:^|\n)\s*(?:{labels})\s*[:：]"),
        "shop_link": re.compile(rf"(?:[\w-]+\.)*(?:{alt(lexicon.shopping_domains)})(?![\w])", re.I),
        "cue": re.compile(alt(lexicon.shopping_cues)),
        "whitelist": re.compile(alt(lexicon.ad_whitelist)),
    }


def ad_signals_in(title: str | None, text: str | None, url: str | None, ad_signals,
                  lexicon: Lexicon) -> dict[str, list[str]]:
    """The ad evidence in one post; empty when it is not a suspected ad."""
    p = _patterns(lexicon)
    body = _body(title, text, "\n")
    found = {
        "label": p["label"].findall(body),
        "ad_signals": [str(s) for s in (ad_signals or [])],
        "shop_link": p["shop_link"].findall(body),
        "cue": sorted(set(p["cue"].findall(body))),
    }
    whitelisted = p["whitelist"].findall(body)
    if whitelisted:
        found["shop_link"], found["cue"] = [], []
    elif len(found["cue"]) < 2 and not (found["label"] or found["shop_link"] or found["ad_signals"]):
        found["cue"] = []
    return {k: v for k, v in found.items() if v}


def detect(ctx: Context, account) -> Iterator[Draft]:
    for post in ctx.period_texts.get(account.id, ()):
        found = ad_signals_in(post.title, post.text, post.url, post.ad_signals, ctx.rules.lexicon)
        if not found:
            continue
        confidence = 0.8 if ("label" in found or "ad_signals" in found) else 0.7 if "shop_link" in found else 0.4
        excerpt = _body(post.title, post.text, " ")
        yield Draft(account.id, "ded.commercial_ads", f"post:{post.platform_post_id}",
                    post.published_at, post.published_at, {
                        "post_id": post.platform_post_id, "post_url": post.url,
                        "published_at": ctx.iso(post.published_at), "signals": found,
                        "excerpt": excerpt.strip()[:200]}, confidence)
