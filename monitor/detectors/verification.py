"""ded.irregular_verification — 在公开认证信息中未标明主办单位名称.

Weibo and the video platforms: ``observed_verified`` / ``observed_verified_reason``;
WeChat: the 认证主体 the 关于公众号 page showed (``profile_facts['认证主体']``), else — the
page answers only WeChat clients — the registry's 认证信息 column; the facts say which.
Neither → no finding (unknown is not a failure).
"""
from __future__ import annotations

from typing import Iterator

from monitor.detectors.context import Context, Draft
from monitor.detectors.textnorm import names_unit
from storage.fit import CUT_KEY

RULES = ("ded.irregular_verification",)


# What an operator writes in 认证信息 for an account that shows no 认证主体.
_NOT_VERIFIED = {"未认证", "无", "否", "没有", "none", "-"}


def _observed(account) -> tuple[bool | None, str | None, str, str]:
    """(verified, text, fact name, where the text came from); verified None = never seen."""
    if account.platform == "wechat":
        facts = account.profile_facts or {}
        if "认证主体" in facts:
            subject = (facts.get("认证主体") or "").strip()
            return bool(subject), subject or None, "认证主体", "关于公众号页面（抓取）"
        registered = (account.registered_verification or "").strip()
        if registered:
            verified = registered.lower() not in _NOT_VERIFIED
            return verified, registered if verified else None, "认证主体", "登记表「认证信息」（人工登记）"
        return None, None, "认证主体", ""
    return account.observed_verified, account.observed_verified_reason, "verified_reason", "平台主页（抓取）"


def detect(ctx: Context, account) -> Iterator[Draft]:
    if account.platform == "app":  # apps have no public 认证 line
        return
    verified, text, name, source = _observed(account)
    if verified is None:
        return
    facts = {"host_unit": account.host_unit, "verified": verified, name: text, "认证信息来源": source,
             "profile_observed_at": ctx.iso(account.profile_observed_at)}
    cut = (account.profile_facts or {}).get(CUT_KEY, {}).get("observed_verified_reason")
    if cut and name == "verified_reason":
        facts[CUT_KEY] = {name: cut}  # judged on the stored first part of a longer text
    if not verified:
        facts["problem"] = "未认证"
    elif not names_unit(text, account.host_unit, ctx.rules.lexicon):
        facts["problem"] = "认证信息未标明主办单位名称"
    else:
        return
    yield Draft(account.id, "ded.irregular_verification", "", None, ctx.at, facts, 0.9)
