"""Chinese wording shared by alerts, reports and the 通报 draft: times, platforms, rules,
deadlines. One place, so a message and the report never describe a finding differently."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.registry.columns import platform_label
from monitor.rules import Rule, RuleSet
from storage.models import Account

RECTIFY_DAYS = 10  # 通报 rectification deadline (NT-90 Annex 3: 10 days after the 通报)
GROUP_ZH = {"veto": "单项否决", "deduction": "扣分", "advisory": "合规提示"}
STATE_ZH = {"auto": "系统判定", "suspected": "待复核", "confirmed": "已确认", "dismissed": "已排除"}


def zone_name(tz: ZoneInfo) -> str:
    return "北京时间" if str(tz) in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else str(tz)


def fmt_time(value: datetime | str | None, tz: ZoneInfo, with_zone: bool = True) -> str:
    """'2026-11-05 10:00（北京时间）'; accepts the ISO strings findings keep in their facts."""
    if value is None or value == "":
        return "无记录"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    text = value.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return f"{text}（{zone_name(tz)}）" if with_zone else text


def fmt_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def rectify_deadline(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date() + timedelta(days=RECTIFY_DAYS)


def account_platform(account: Account) -> str:
    return platform_label(account.platform, account.wechat_kind)


def rule_title(ruleset: RuleSet, rule_id: str) -> str:
    """'内容不更新：监测时间点前2周内无更新。' — the Annex 2 name and its 评分细则, verbatim."""
    rule = _rule(ruleset, rule_id)
    return f"{rule.name_zh}：{rule.detail_zh}" if rule else rule_id


def rule_name(ruleset: RuleSet, rule_id: str) -> str:
    rule = _rule(ruleset, rule_id)
    return rule.name_zh if rule else rule_id


def _rule(ruleset: RuleSet, rule_id: str) -> Rule | None:
    return ruleset.get(rule_id) if rule_id in ruleset else None


def days_text(days: float | int | None) -> str:
    return "无记录" if days is None else f"{int(days)}天"


def facts_text(facts: dict, tz: ZoneInfo) -> str:
    """The facts a reader needs, in one sentence (last post and days silent first)."""
    parts = []
    if "latest_post_at" in facts:
        parts.append(f"最近一次更新：{fmt_time(facts.get('latest_post_at'), tz)}")
        if facts.get("days_silent") is not None:
            parts.append(f"已连续{int(facts['days_silent'])}天未更新")
    if isinstance(facts.get("week"), list) and len(facts["week"]) == 2:
        start = datetime.fromisoformat(facts["week"][0]).astimezone(tz)
        end = datetime.fromisoformat(facts["week"][1]).astimezone(tz) - timedelta(seconds=1)
        parts.append(f"{start:%Y-%m-%d}至{end:%Y-%m-%d}当周无更新")
    if facts.get("kind") == "服务号" and "average_per_week" in facts:
        parts.append(f"服务号检查期{facts.get('weeks')}周共发布{facts.get('posts')}次，平均每周{facts['average_per_week']}次")
    if facts.get("problem"):
        parts.append(str(facts["problem"]))
    for key in ("verified_reason", "认证主体"):
        if facts.get(key):
            parts.append(f"认证信息：{facts[key]}" + (f"（来源：{facts['认证信息来源']}）" if facts.get("认证信息来源") else ""))
    checks = facts.get("confirming_checks") or ([facts["failing"]] if isinstance(facts.get("failing"), dict) else [])
    for c in checks[:3]:
        if isinstance(c, dict):
            said = [str(c[k]) for k in ("channel", "outcome", "reason") if c.get(k)]
            if c.get("checked_at"):
                said.append(fmt_time(c["checked_at"], tz, with_zone=False))
            parts.append("、".join(said))
    if facts.get("interaction_closed"):
        parts.append("评论/留言/私信功能已关闭")
    return "；".join(parts)
