"""Every word a non-technical reader sees, in one table: failure reasons, states, outcomes,
platforms, channels, times. The report, the xlsx, the 通报, the alerts and the CLI's tables
all word things through here, so they never describe one fact differently; JSON output keeps
the raw codes.

A failure reason, wherever it is stored (``Observation.reason``, ``AppCheck.reason``,
``CheckResult.fail``), is ``"<code>"`` or ``"<code>: <technical detail>"`` with ``code`` a
lower_snake ASCII word. Adding a reason is one line in ``REASONS``;
``tests/test_wording.py`` finds every code the code base emits and fails on one without a
wording here. The technical detail is for operators (JSON, logs, ``monitor inspect``) and
never reaches official text, except an HTTP status, which inspectors quote.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from monitor.detectors.applicability import closing_with_notice
from monitor.registry.columns import platform_label
from monitor.rules import Rule, RuleSet
from storage.models import Account

RECTIFY_DAYS = 10  # 通报 rectification deadline (NT-90 Annex 3: 10 days after the 通报)
TONGBAO_ADDRESSEE = "县（市、区）人民政府，市各有关部门和单位"  # 主送
TONGBAO_ISSUER = "南通市人民政府办公室"

GROUP_ZH = {"veto": "单项否决", "deduction": "扣分", "advisory": "合规提示"}
STATE_ZH = {"auto": "自动判定", "suspected": "待复核", "confirmed": "已确认", "dismissed": "已排除"}
# Rectification orders (整改单); ``overdue`` is an open order past its deadline.
ORDER_STATE_ZH = {"pending": "待整改", "replied": "已回复", "passed": "已复核通过",
                  "reopened": "复核未通过", "overdue": "逾期"}
# What a re-check concluded (RectificationOrder.last_recheck["outcome"]).
RECHECK_ZH = {"passed": "复核通过：问题已整改", "reopened": "复核未通过：问题仍然存在",
              "unverifiable": "未能核验：本次复核抓取失败，整改单状态不变",
              "manual": "需人工核实：人工认定的问题，系统无法自动复核"}
# Annex 3 通报整改 figures (monitor.orders.figures), as report headings.
ORDER_FIGURES_ZH = {"orders": "通报整改单", "rectified_in_time": "按期整改", "overdue": "逾期未整改或整改不到位",
                    "open": "整改期内", "deduction": "通报整改扣分"}
ORDER_ACTION_ZH = {"issued": "通报下发", "replied": "单位回复", "recheck": "复核", "closed": "检查人员关闭"}
INTERACTION_STATE_ZH = {"waiting": "等待回复", "overdue": "逾期未回复", "replied_in_time": "按期回复",
                        "replied_late": "逾期回复"}
INTERACTION_SOURCE_ZH = {"inspector": "检查人员记录", "observed": "采集发现"}

# Outcomes of a listing observation (Weibo timeline, WeChat feed …) and of an app channel check.
OUTCOME_ZH = {
    "ok": "正常",
    "blocked": "被平台限流或要求验证",
    "not_found": "账号页面不存在",
    "error": "采集出错",
    "fail": "无法使用",
    "not_listed": "未上架",
    "unknown": "结果无法确定",
}

# Registry platform codes; WeChat accounts are worded with their kind (platform_zh).
PLATFORM_ZH = {
    "weibo": "新浪微博",
    "wechat": "微信公众号",
    "app": "移动客户端APP",
    "toutiao": "今日头条",
    "douyin": "抖音",
    "kuaishou": "快手",
    "other": "其他",
}

# App check channels (AppCheck.channel): the official download URL, then the stores.
CHANNEL_ZH = {
    "download": "官方下载地址",
    "landing": "下载页",
    "apple": "苹果App Store",
    "yyb": "应用宝",
    "huawei": "华为应用市场",
    "xiaomi": "小米应用商店",
    "vivo": "vivo应用商店",
    "oppo": "OPPO软件商店",
    "honor": "荣耀应用市场",
}

# Failure-reason codes → what an inspector reads. Worded to follow a channel or account name
# ("官方下载地址返回网页而非安装包", "如东气象：请求超时").
REASONS: dict[str, str] = {
    # ── common to every channel ────────────────────────────────────────────
    "timeout": "请求超时",
    "dns": "域名无法解析",
    "connection_refused": "服务器拒绝连接",
    "network": "网络连接失败",
    "rate_limited": "被平台限流",
    "captcha": "平台要求验证码",
    "http_4xx": "返回错误页面",
    "http_5xx": "服务器出错",
    "check_error": "检查程序出错",
    "writer_failed": "采集结果写入进程异常退出，未写入的结果不作判定",
    "browser_error": "浏览器打开失败",
    "short_body": "返回内容不完整",
    "refused_by_policy": "出站策略拒绝访问该地址（非公网地址）",
    "over_limit": "文件过大，超出检查上限",
    "not_in_plan": "未在本夜计划内完成",
    # ── apps (w17: spiders/appcheck/) ──────────────────────────────────────
    "not_found": "地址不存在（已失效）",
    "range_inconsistent": "服务器分段下载的应答前后不一致",
    "too_large": "安装包超出检查的大小上限",
    "no_size": "服务器未告知文件大小",
    "store_links_only": "下载页只提供应用商店链接",
    "login_redirect": "跳转到登录页面，无法直接下载",
    "expired_link": "下载链接已过期",
    "html_not_apk": "返回网页而非安装包",
    "empty_file": "安装包为空文件",
    "truncated": "安装包不完整",
    "not_apk": "下载的文件不是安卓安装包",
    "unsigned": "安装包未签名",
    "not_installable": "安装包无法在新版安卓系统上安装",
    "package_mismatch": "应用包名与登记不符",
    "corrupt": "安装包已损坏",
    "store_offline": "应用已下架或暂停下载",
    "not_in_store": "应用商店中未找到该应用",
    "not_in_cn_store": "中国区应用商店中未找到该应用",
    "store_unexpected": "应用商店返回了无法识别的内容",
    "store_error": "应用商店返回错误",
    "store_http_error": "应用商店返回错误页面",
    "store_not_json": "应用商店返回验证页面或错误页面",
    "no_adapter": "暂不支持该应用商店",
    "no_channels": "登记表未填写下载地址或应用商店",
    "all_channels_unknown": "各下载渠道的检查结果均无法确定",
    # ── WeChat (w16: spiders/wechat*) ──────────────────────────────────────
    "feed_unavailable": "订阅源无法访问",
    "feed_invalid": "订阅源内容无法识别",
    "feed_empty": "订阅源中没有文章",
    "articles_unverifiable": "文章页面无法读取，发布时间无法确认",
    "untimed_articles": "最新文章缺少可信的发布时间",
    "no_feed_url": "登记表未填写订阅源地址，无法读取文章列表",
    "feed_stale": "订阅源已停止同步",
    "feed_service_unknown": "订阅源服务状态无法确认",
    # ── 今日头条 / 抖音 / 快手 (w20: spiders/shortvideo/) ────────────────────
    "not_observed": "未配置该平台的采集方式",
    "untimed_items": "作品缺少发布时间，无法证明账号未更新",
    "waf_empty": "平台防火墙拦截（返回空白内容）",
    "platform_refused": "平台拒绝了请求",
    "rsshub_rejected": "订阅源服务被平台拒绝",
    "rsshub_not_found": "订阅源服务未找到该账号或路由",
    "rsshub_error": "订阅源服务出错",
    # ── Weibo (w15: spiders/weibo*) ────────────────────────────────────────
    "bad_uid": "登记的账号ID不是有效的微博UID",
    "visitor_wall": "被微博访客验证拦截",
    "login_required": "微博要求登录",
    "redirect_loop": "页面反复跳转",
    "layout_changed": "平台页面结构变化，无法读取",
    "not_json": "平台返回内容无法识别",
    "http_error": "平台返回错误",
    "api_error": "平台接口返回错误",
    "placeholder": "平台答复“这里还没有内容”",
    "posts_withheld": "平台未返回微博列表（账号显示有微博），疑为访客受限",
    # ── account discovery (w23: monitor/discovery/) ────────────────────────
    "not_reached": "本次检索未完成",
}

_CODE = re.compile(r"^([a-z][a-z0-9_]*)(?::\s*(.*))?$", re.S)
_HTTP = re.compile(r"\bHTTP (\d{3})\b")


def reason_code(reason: str | None) -> str | None:
    """The code of a stored failure reason (``"truncated: got 10 of 20 bytes"`` → ``truncated``);
    None when the reason does not follow the convention."""
    if not reason:
        return None
    m = _CODE.match(reason.strip())
    return m.group(1) if m else None


def reason_zh(reason: str | None, outcome: str | None = None, http_status: int | None = None) -> str:
    """A stored failure reason in the reader's words. An unknown code (or free text) falls back
    to the outcome's wording, never to the raw text; an HTTP status is kept, inspectors quote it."""
    code = reason_code(reason)
    text = REASONS.get(code or "") or OUTCOME_ZH.get(outcome or "", "") or "采集失败"
    status = http_status
    if status is None and reason:
        m = _HTTP.search(reason)
        status = int(m.group(1)) if m else None
    if status and status >= 400 and "HTTP" not in text:
        text = f"{text}（HTTP {status}）"
    return text


def outcome_zh(outcome: str | None) -> str:
    return OUTCOME_ZH.get(outcome or "", outcome or "")


def channel_zh(channel: str | None) -> str:
    return CHANNEL_ZH.get(channel or "", channel or "")


def platform_zh(platform: str, wechat_kind: str | None = None) -> str:
    """新浪微博, 微信订阅号 …; a WeChat account of unrecorded kind is 微信公众号."""
    if platform == "wechat" and wechat_kind:
        return platform_label(platform, wechat_kind)
    return PLATFORM_ZH.get(platform, platform)


def zone_name(tz: ZoneInfo) -> str:
    return "北京时间" if str(tz) in ("Asia/Shanghai", "Asia/Chongqing", "PRC") else str(tz)


def span_zh(start: int, end: int, text: str | None = None) -> str:
    """Where a hit sits, as a reader counts: '第4–6字' (1-based, both ends included), within its
    line when the text is given. JSON keeps the 0-based half-open offsets."""
    base = text.rfind("\n", 0, start) + 1 if text is not None else 0
    first, last = start - base + 1, max(end - base, start - base + 1)
    return f"第{first}字" if first == last else f"第{first}–{last}字"


def fmt_time(value: datetime | str | None, tz: ZoneInfo, with_zone: bool = True) -> str:
    """'2026年11月24日 02:00（北京时间）'; accepts the ISO strings findings keep in their facts."""
    if value is None or value == "":
        return "无记录"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(tz)
    text = f"{fmt_date(local.date())} {local:%H:%M}"
    return f"{text}（{zone_name(tz)}）" if with_zone else text


def fmt_date(d: date | datetime) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _day_zh(value) -> str:
    """A fact's ISO day ('2026-11-20') as 2026年11月20日; anything else as it is."""
    try:
        return fmt_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "")


def fmt_day(value: datetime | str, tz: ZoneInfo) -> str:
    """The local calendar day of an instant: '2026年11月24日'."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return fmt_date(value.astimezone(tz).date())


def fmt_period(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    return f"{fmt_day(start, tz)}至{fmt_day(end, tz)}"


def no_cycle_text(at: datetime, tz: ZoneInfo) -> str:
    """What a page or the API says for a T no monitoring cycle ran for (reading never scores it)."""
    return f"监测时间点 {fmt_time(at, tz)} 没有运行过监测，没有可显示的结果。请选择已运行监测的时间点。"


def not_scored_text(at: datetime, tz: ZoneInfo) -> str:
    return f"监测时间点 {fmt_time(at, tz)} 的监测尚未完成评分，没有可显示的评分结果。"


def upload_too_large_text(limit_bytes: int) -> str:
    return f"上传内容超过大小上限（{limit_bytes / 2**20:.1f} MB），已拒收，未保存任何内容。"


def tongbao_title(period_zh: str) -> str:
    """'关于2026年第四季度全市政务新媒体检查情况的通报'."""
    return f"关于{period_zh}全市政务新媒体检查情况的通报"


def rectify_deadline(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date() + timedelta(days=RECTIFY_DAYS)


def account_platform(account: Account) -> str:
    return platform_zh(account.platform, account.wechat_kind)


def rule_title(ruleset: RuleSet, rule_id: str) -> str:
    """'内容不更新：监测时间点前2周内无更新。' — the Annex 2 name and its 评分细则, verbatim."""
    rule = _rule(ruleset, rule_id)
    return f"{rule.name_zh}：{rule.detail_zh}" if rule else rule_id


def regulation_name(ruleset: RuleSet) -> str:
    """The regulation a rule set comes from, as documents cite it in 《》: '南通市政务新媒体管理办法'."""
    return (ruleset.source or ruleset.name).split("（")[0].replace("附件2", "") or "政务新媒体管理办法"


def rule_name(ruleset: RuleSet, rule_id: str) -> str:
    rule = _rule(ruleset, rule_id)
    return rule.name_zh if rule else rule_id


def _rule(ruleset: RuleSet, rule_id: str) -> Rule | None:
    return ruleset.get(rule_id) if rule_id in ruleset else None


def days_text(days: float | int | None) -> str:
    return "无记录" if days is None else f"{int(days)}天"


def check_text(check: dict, tz: ZoneInfo) -> str:
    """One app channel check: '官方下载地址安装包不完整（2026年11月24日 02:00检查）'."""
    channel = channel_zh(check.get("channel"))
    outcome = check.get("outcome")
    if outcome == "ok":
        said = f"{channel}正常"
    elif outcome == "not_listed" and reason_code(check.get("reason")) not in REASONS:
        said = f"{channel}{OUTCOME_ZH['not_listed']}"
    else:
        said = f"{channel}{reason_zh(check.get('reason'), outcome)}"
    if check.get("checked_at"):
        said += f"（{fmt_time(check['checked_at'], tz, with_zone=False)}检查）"
    return said


def facts_text(facts: dict, tz: ZoneInfo) -> str:
    """The facts a reader needs, in one sentence (last post and days silent first)."""
    parts = []
    if "latest_post_at" in facts:
        parts.append(f"最近一次更新：{fmt_time(facts.get('latest_post_at'), tz, with_zone=False)}")
        if facts.get("days_silent") is not None:
            parts.append(f"已连续{int(facts['days_silent'])}天未更新")
    if isinstance(facts.get("week"), list) and len(facts["week"]) == 2:
        start = datetime.fromisoformat(facts["week"][0])
        end = datetime.fromisoformat(facts["week"][1]) - timedelta(seconds=1)
        parts.append(f"{fmt_period(start, end, tz)}当周无更新")
    if isinstance(facts.get("window"), list) and len(facts["window"]) == 2 and "reposts" in facts:
        start, end = (datetime.fromisoformat(x) for x in facts["window"])
        parts.append(f"{fmt_period(start, end, tz)}发布{facts.get('posts', 0)}条，均非原创"
                     + (f"（其中{facts['unknown_kind']}条无法判断是否原创）" if facts.get("unknown_kind") else ""))
    if facts.get("kind") == "服务号" and "average_per_week" in facts:
        parts.append(f"服务号检查期{facts.get('weeks')}周共发布{facts.get('posts')}次，平均每周{facts['average_per_week']}次")
    if facts.get("problem"):
        parts.append(str(facts["problem"]))
    if facts.get("note"):
        parts.append(str(facts["note"]))
    if facts.get("text_rule"):
        parts.append(text_hit_text(facts, tz))
    if facts.get("excerpt"):
        when = f"{fmt_time(facts['published_at'], tz, with_zone=False)}发布的" if facts.get("published_at") else ""
        parts.append(f"{when}内容含商业广告：{str(facts['excerpt'])[:80]}")
    for key in ("verified_reason", "认证主体"):
        if facts.get(key):
            parts.append(f"认证信息：{facts[key]}" + (f"，来源：{facts['认证信息来源']}" if facts.get("认证信息来源") else ""))
    checks = facts.get("confirming_checks") or ([facts["failing"]] if isinstance(facts.get("failing"), dict) else [])
    for c in checks[:3]:
        if isinstance(c, dict):
            parts.append(check_text(c, tz))
    if facts.get("interaction_closed"):
        parts.append("评论/留言/私信功能已关闭")
    test = facts.get("interaction_test")
    if isinstance(test, dict):
        said = (f"{fmt_time(test.get('sent_at'), tz, with_zone=False)}通过{test.get('channel')}发送测试"
                f"“{str(test.get('text') or '')[:40]}”，应于{_day_zh(test.get('deadline'))}前回复，")
        said += (f"{fmt_time(test['replied_at'], tz, with_zone=False)}才回复" if test.get("replied_at")
                 else "截至检查时未回复")
        parts.append(said)
    comment, post = facts.get("comment"), facts.get("post")
    if isinstance(comment, dict) and isinstance(post, dict):
        who = "账号回复" if comment.get("by_account") else f"网民“{comment.get('user') or ''}”留言"
        words = "、".join(dict.fromkeys(str(h.get("text")) for h in facts.get("hits") or []))
        parts.append(f"{fmt_time(post.get('published_at'), tz, with_zone=False)}发布的内容下，{who}"
                     f"“{str(comment.get('text') or '')[:60]}”含“{words}”")
    closed = facts.get("comments_closed_posts")
    if isinstance(closed, list) and closed:
        parts.append(f"近{facts.get('recent_days', 14)}天发布的{len(closed)}条内容均已关闭评论/留言"
                     f"（最近一条：{fmt_time(closed[0].get('published_at'), tz, with_zone=False)}）")
    return "；".join(parts)


# Reasons where the page or feed was read but could not settle the question (no trustworthy
# times, an empty or stale list): "采集失败" would tell the inspector something false.
READ_BUT_UNDECIDED = frozenset({"untimed_items", "untimed_articles", "feed_empty", "feed_stale"})


def unverifiable_why(status, tz: ZoneInfo) -> str:
    """Why an account is 未能核验 and since when, from its AccountStatus (one clause)."""
    if status is None or status.failed_at is None:
        return "检查期内没有成功的采集记录"
    when = fmt_time(status.failed_at, tz, with_zone=False)
    channels = getattr(status, "failed_channels", None)
    if channels:  # an app: which channels could not be looked at, and why
        # The detail ("HTTP 418 at …") gives the status inspectors quote.
        what = "、".join(f"{channel_zh(ch)}{reason_zh(f'{reason}: {detail}' if detail else reason, outcome)}"
                        for ch, (outcome, reason, detail) in channels.items())
        text, failing = f"最近一次检查（{when}）{what}", "无法确定检查结果"
    else:
        what = reason_zh(status.failed_reason, status.failed_outcome, status.failed_status)
        undecided = reason_code(status.failed_reason) in READ_BUT_UNDECIDED
        text, failing = f"最近一次采集（{when}）{what}", "无法确定更新情况" if undecided else "采集失败"
    if status.failing_since is not None and status.failing_since < status.failed_at:
        text += f"，自{fmt_time(status.failing_since, tz, with_zone=False)}起连续{failing}"
    return text


FIELD_ZH = {"title": "标题", "text": "正文"}
# Where a post's stored text came from (Post.text_source), for the reviewer.
TEXT_SOURCE_ZH = {
    "card": "微博正文",
    "extend": "微博全文",
    "card_truncated": "微博正文（仅“全文”前可见部分）",
    "js_content": "文章正文",
    "share": "分享内容",
    "feed": "订阅源摘要（文章页面未能读取）",
}


def text_hit_text(facts: dict, tz: ZoneInfo) -> str:
    """One text-check hit: '2026年11月22日 10:00发布的正文中“中华人民共合国”疑似严重表述错误（错别字），
    建议改为“中华人民共和国”'."""
    when = f"{fmt_time(facts['published_at'], tz, with_zone=False)}发布的" if facts.get("published_at") else ""
    where = FIELD_ZH.get(facts.get("field", "text"), "正文")
    said = f"{when}{where}中“{facts.get('matched', '')}”疑似{facts.get('text_kind', '问题表述')}"
    note = facts.get("hit_note")
    if note:  # a note with its own brackets follows after a comma, not inside more brackets
        said += f"，{note}" if "（" in note else f"（{note}）"
    if facts.get("suggestion"):
        said += f"，建议改为“{facts['suggestion']}”"
    if facts.get("text_source") in ("card_truncated", "feed"):
        said += f"；依据{TEXT_SOURCE_ZH[facts['text_source']]}"
    if facts.get("post_gone_at"):
        said += "；该内容已被删除或隐藏"
    return said


def unverifiable_text(status, tz: ZoneInfo) -> str:
    """The report's sentence for a 未能核验 card."""
    return f"未能核验：{unverifiable_why(status, tz)}。不作合格或不合格判定，系统将继续重试。"


def lifecycle_notes(account: Account, at: datetime, period_start: datetime, tz: ZoneInfo,
                    min_age_days: int) -> list[str]:
    """What the registry says that changes which rules apply: closed with a 停更公告, or opened
    inside the check period."""
    notes = []
    day = at.astimezone(tz).date()
    if account.lifecycle in ("关停", "注销"):
        if closing_with_notice(account, at, tz):
            notes.append(f"已关停：{fmt_date(account.stop_notice_on)}发布停更公告，此后不再检查更新情况。")
        else:
            notes.append("备案状态为关停，但未登记停更公告日期，仍按规定检查更新情况。")
    if account.opened_on is not None and period_start.astimezone(tz).date() < account.opened_on <= day:
        age = (day - account.opened_on).days
        note = f"新开设账号：{fmt_date(account.opened_on)}开设，开设前的时间不作检查"
        if age < min_age_days:
            note += f"；开设不足{min_age_days}天，不作“内容不更新”判定"
        notes.append(note + "。")
    return notes



# ── Annex 3 (附件3 政务新媒体监管工作年度考核指标) lines of the registry and discovery findings
# (issue 23): code → (二级指标, 评分细则 as the regulation words it, points per case, cap).
ANNEX3_LINES: dict[str, tuple[str, str, int, int]] = {
    "annex3.consolidation": ("集约整合", "出现一个单位在同一平台开设业务相近、功能相似的政务新媒体账号，每发现一起，扣5分。（上限为10分）", 5, 10),
    "annex3.scope": ("监管范围", "对本地、本部门、本单位的政务新媒体应纳入而未纳入监管范围的，每发现一个，扣5分。", 5, 10),
    "annex3.rectification": ("通报整改", "通报公开之日起10日内对问题仍未整改，或整改不到位的，扣10分。", 10, 10),
    "annex3.name_consistency": ("名称一致（第十四条）", "主办单位在不同平台上开设的政务新媒体名称原则上应保持一致。附件3无对应扣分项，仅作提示。", 0, 0),
}
CANDIDATE_KIND_ZH = {"unregistered": "疑似未纳入监管的政务账号", "impostor": "疑似仿冒账号（名称含单位名称，无机构认证）"}
CANDIDATE_STATE_ZH = {"open": "待核实", "registered": "已纳入登记", "dismissed": "已排除"}
MATCH_BASIS_ZH = {"verification": "认证信息含单位名称", "name": "账号名称含单位名称"}
# Platforms whose public account search the monitor may not use (docs/research/account_discovery.md).
NOT_SEARCHABLE_ZH = {
    "wechat": "搜狗微信搜索频繁要求验证码，微信客户端内搜索需要登录",
    "douyin": "抖音搜索接口需要动态签名（a_bogus）并要求登录或验证码",
    "toutiao": "今日头条搜索接口需要动态签名（_signature/a_bogus）",
    "kuaishou": "快手搜索需要登录会话并对访客弹出验证码",
    "app": "移动客户端没有平台账号搜索",
    "other": "该平台没有可供访客使用的公开账号搜索",
}


def annex3_line(code: str) -> str:
    """'集约整合：出现一个单位在同一平台…（上限为10分）'."""
    name, detail, _, _ = ANNEX3_LINES[code]
    return f"{name}：{detail}"


def points_text(points: int, state: str | None = None) -> str:
    """'扣5分', '待核实（确认后扣5分）', '提示（不扣分）'."""
    if points == 0:
        return "提示（不扣分）"
    if state == "suspected":
        return f"待核实（确认后扣{points}分）"
    return f"扣{points}分"
