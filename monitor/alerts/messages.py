"""The messages, in Chinese: Annex 2 indicator names verbatim, the facts, where the evidence
is, and what the reader should do."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.reports.wording import (
    RECTIFY_DAYS,
    STATE_ZH,
    account_platform,
    facts_text,
    fmt_date,
    fmt_time,
    platform_zh,
    rectify_deadline,
    rule_name,
    rule_title,
)
from monitor.rules import RuleSet
from storage.models import Account, Finding

SIGN = "——政务新媒体监测系统"


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def with_link(msg: Message, url: str | None) -> Message:
    """The message with a line (before the signature) pointing at its web workspace page."""
    if not url:
        return msg
    lines = msg.body.split("\n")
    lines.insert(len(lines) - 1 if lines[-1] == SIGN else len(lines), f"在线查看：{url}")
    return Message(msg.title, "\n".join(lines))


def _account_line(a: Account) -> str:
    return f"账号：{a.name}（{account_platform(a)}；主办单位：{a.host_unit}；属地：{a.district or '未登记'}）"


def _todo_veto(rule_id: str, at: datetime, tz: ZoneInfo) -> str:
    deadline = fmt_date(rectify_deadline(at, tz))
    if rule_id == "veto.no_update_2w":
        return f"请尽快发布内容，并于{RECTIFY_DAYS}日内（{deadline}前）完成整改；如账号已停止维护，请按规定发布停更公告并办理关停注销。"
    if rule_id == "veto.app_unavailable":
        return f"请尽快恢复客户端下载和使用，并于{RECTIFY_DAYS}日内（{deadline}前）完成整改；如已停止运营，请按规定公告并办理注销。"
    return f"请于{RECTIFY_DAYS}日内（{deadline}前）完成整改，并将整改情况报送检查人员。"


def update_reminder(rules: RuleSet, a: Account, f: Finding, tier: int, evidence: str | None,
                    at: datetime, tz: ZoneInfo, veto_days: int) -> Message:
    facts = f.facts or {}
    since = facts.get("latest_post_at") or facts.get("silent_since")
    veto_on = datetime.fromisoformat(since) + timedelta(days=veto_days) if since else None
    lines = [
        f"{a.name} 已连续{tier}天以上未更新，请尽快发布内容。",
        _account_line(a),
        f"检查指标：{rule_title(rules, 'veto.no_update_2w')}（单项否决）",
        f"事实：{facts_text(facts, tz) or '无更新记录'}",
    ]
    if veto_on is not None:
        lines.append(f"提醒：如在{fmt_time(veto_on, tz)}前仍无更新，将被判定为“{rule_name(rules, 'veto.no_update_2w')}”单项否决。")
    if evidence:
        lines.append(f"证据：{evidence}")
    lines += ["处理要求：请尽快发布内容。", f"监测时间点：{fmt_time(at, tz)}", SIGN]
    return Message(f"【更新提醒】{a.name} 已{tier}天未更新", "\n".join(lines))


def veto(rules: RuleSet, a: Account, f: Finding, evidence: str | None, at: datetime, tz: ZoneInfo) -> Message:
    lines = [
        f"{a.name} 出现单项否决情形（{STATE_ZH.get(f.state, f.state)}）。",
        _account_line(a),
        f"检查指标：{rule_title(rules, f.rule)}（单项否决）",
        f"事实：{facts_text(f.facts or {}, tz) or '见证据包'}",
        f"证据：{evidence or '证据包生成中，可在报告中查看'}",
        f"处理要求：{_todo_veto(f.rule, at, tz)}",
        f"监测时间点：{fmt_time(at, tz)}",
        SIGN,
    ]
    return Message(f"【单项否决】{a.name}：{rule_name(rules, f.rule)}", "\n".join(lines))


def resolved_text(rules: RuleSet, rule_id: str) -> str:
    if rule_id == "adv.update_reminder":
        return "已恢复更新（此前已发更新提醒）"
    return f"“{rule_name(rules, rule_id)}”问题已恢复"


def resolved(rules: RuleSet, a: Account, rule_id: str, at: datetime, tz: ZoneInfo) -> Message:
    if rule_id == "adv.update_reminder":
        first = f"{a.name} 此前收到更新提醒，现已发布新内容，提醒解除（监测时间点{fmt_time(at, tz)}）。"
        title = f"【已恢复更新】{a.name}"
    else:
        first = f"{a.name} 此前提醒的“{rule_name(rules, rule_id)}”问题已恢复：在监测时间点{fmt_time(at, tz)}已不再存在。"
        title = f"【已恢复】{a.name}：{rule_name(rules, rule_id)}"
    body = "\n".join([first, _account_line(a), "无需进一步处理，感谢配合。", SIGN])
    return Message(title, body)


def order_due(a: Account, order, days_left: int) -> Message:
    """整改到期提醒 the day before and the day of an order's deadline (Annex 3: 10 days)."""
    deadline = fmt_date(order.deadline)
    when = "今天" if days_left == 0 else "明天"
    problems = "；".join(dict.fromkeys(f"{f['rule_name']}（{f['group_zh']}）" for f in order.findings))
    lines = [
        f"{a.name} 的整改单（通报{order.tongbao.doc_number}，{fmt_date(order.issued_on)}下发）{when}（{deadline}）到期，"
        f"尚未{'完成整改' if order.state == 'pending' else '重新整改（复核未通过）'}。",
        _account_line(a),
        f"通报的问题：{problems}",
        f"整改期限：{deadline}",
        f"处理要求：请于{deadline}前完成整改，并在政务新媒体监测系统中回复整改情况、上传佐证材料；"
        "通报之日起10日内仍未整改或整改不到位的，年度考核扣10分。",
        SIGN,
    ]
    return Message(f"【整改到期提醒】{a.name}：整改期限{deadline}（{when}到期）", "\n".join(lines))


@dataclass(frozen=True)
class DigestItem:
    account: Account
    text: str


def digest(scope: str, at: datetime, tz: ZoneInfo, new: list[DigestItem], gone: list[DigestItem],
           unchecked: list[DigestItem]) -> Message:
    lines = [f"{scope}政务新媒体每日监测摘要，监测时间点：{fmt_time(at, tz)}", ""]
    for heading, items in (("一、新发现问题", new), ("二、已恢复（此前已提醒、本次已恢复）", gone),
                           ("三、未能核验的账号（采集失败，不作判定，将继续重试）", unchecked)):
        lines.append(f"{heading}：{len(items)}个")
        lines += [f"  {i}. {it.account.district or '属地未登记'}｜{it.account.name}（{account_platform(it.account)}）— {it.text}"
                  for i, it in enumerate(items, 1)]
        lines.append("")
    lines += ["单项否决问题请督促主办单位于10日内整改；待复核问题请在系统中确认或排除（monitor review）。", SIGN]
    title = f"【每日摘要】{scope} {fmt_date(at.astimezone(tz))}：新问题{len(new)}个，已恢复{len(gone)}个，未能核验{len(unchecked)}个"
    return Message(title, "\n".join(lines))


def _operator_message(title: str, at: datetime, tz: ZoneInfo, lines: list[str]) -> Message:
    """An operator alert: its lines (empty ones dropped), the time point and the signature."""
    body = [line for line in lines if line] + [f"监测时间点：{fmt_time(at, tz)}", SIGN]
    return Message(title, "\n".join(body))


def stage_warning(stage: str, warning: str, at: datetime, tz: ZoneInfo) -> Message:
    return _operator_message(f"【运维告警】监测任务部分未完成（{stage} 阶段）", at, tz, [
        f"本次监测的 {stage} 阶段未能全部完成：{warning}。",
        "未采集到的账号本次记为“未能核验”，不会据此判定问题；其余账号照常检测、评分。",
        f"请查看日志、排除原因后重跑：monitor run --at {at.isoformat()}",
    ])


def stage_failed(stage: str, reason: str, at: datetime, tz: ZoneInfo) -> Message:
    return _operator_message(f"【运维告警】监测任务失败（{stage} 阶段）", at, tz, [
        f"本次监测的 {stage} 阶段整体失败：{reason}。",
        "其后的阶段本次未运行，未据此判定任何账号的问题。",
        f"请查看日志、排除原因后重跑：monitor run --at {at.isoformat()}",
    ])


def platform_blocked(platform: str, blocked: int, total: int, at: datetime, tz: ZoneInfo) -> Message:
    return _operator_message(f"【运维告警】{platform_zh(platform)}平台大面积采集受阻（{blocked}/{total}）", at, tz, [
        f"{platform_zh(platform)}平台在本次监测中有{blocked}/{total}个账号的采集被拦截（限流、验证码或访客墙）。",
        "这些账号本次记为“未能核验”，不会据此判定问题。",
        "请检查出口IP、访客Cookie与采集频率（[crawl] delay），必要时降低并发后重跑：monitor crawl --at …",
    ])


def feed_service_stale(service: str, kind: str, state: str, since: datetime | None, reason: str | None,
                       accounts: int, at: datetime, tz: ZoneInfo) -> Message:
    what = (f"自{fmt_time(since, tz)}起停止同步" if since is not None else "从未同步") if state == "stale" \
        else "同步状态无法确认"
    return _operator_message(f"【运维告警】订阅源服务 {service} {what}", at, tz, [
        f"订阅源服务 {service}（{kind}）{what}：它仍返回旧文章，但不再代表账号的更新情况。",
        f"受影响的{accounts}个公众号本次记为“未能核验”，不会据此判定“无更新”。",
        f"原因：{reason}" if reason else "",
        "请重新登录该服务（wewe-rss：重新扫码登录微信读书账号）后重跑：monitor crawl --at …",
    ])


def unverifiable_streak(a: Account, nights: int, last_reason: str | None, at: datetime, tz: ZoneInfo) -> Message:
    return _operator_message(f"【运维告警】{a.name} 连续{nights}晚未能核验", at, tz, [
        f"{a.name}（{account_platform(a)}）已连续{nights}晚未能核验（采集失败）。",
        f"最近一次失败原因：{last_reason or '未记录'}",
        "请核对登记表中的账号ID、访问链接、订阅源是否有效，或检查平台访问是否受限。",
    ])


def write_failed(a: Account, reason: str, at: datetime, tz: ZoneInfo) -> Message:
    return _operator_message(f"【运维告警】{a.name} 采集结果写入失败", at, tz, [
        f"{a.name}（{account_platform(a)}，账号ID {a.platform_id}）本次采集到的结果未能写入数据库，本次记为“未能核验”。",
        f"错误：{reason}",
        "这不是账号本身的问题：请查看采集日志并修复后重跑：monitor run --at " + at.astimezone(tz).isoformat(),
    ])


def unconfirmed_delivery(stage: str, target: str, title: str, at: datetime, tz: ZoneInfo) -> Message:
    return Message(
        f"提醒发送被中断，无法确认是否送达：{title}"[:200],
        f"监测时间点 {fmt_time(at, tz)}：发送“{title}”（{stage}）给 {target} 时程序被中断，"
        "无法确认对方是否已收到。为避免重复，系统不会自动重发；消息全文见发件箱（outbox），"
        f"请与接收人核实，必要时手工转发。\n{SIGN}",
    )
