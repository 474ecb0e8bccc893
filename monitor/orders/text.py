"""An order in words, for ``monitor orders show`` (the web page words it in its template)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from monitor.orders.states import effective_state
from monitor.reports.wording import ORDER_ACTION_ZH, ORDER_STATE_ZH, account_platform, fmt_date, fmt_time
from storage.models import RectificationOrder


def order_lines(o: RectificationOrder, today: date, tz: ZoneInfo) -> list[str]:
    a = o.account
    lines = [f"整改单 {o.id}（通报 {o.tongbao_id}，{o.tongbao.doc_number}）：{ORDER_STATE_ZH[effective_state(o, today)]}",
             f"账号：{a.name}（{account_platform(a)}，账号ID {a.platform_id}；主办单位：{a.host_unit}；属地：{a.district or '未登记'}）",
             f"下发日期：{fmt_date(o.issued_on)}　整改期限：{fmt_date(o.deadline)}", "通报的问题："]
    for i, f in enumerate(o.findings, 1):
        evidence = "，".join(e[:12] + "…" for e in f["evidence_ids"]) or "无"
        lines.append(f"  {i}. {f['rule_name']}（{f['group_zh']}，{f['state_zh']}，{fmt_time(f['at'], tz, with_zone=False)}）"
                     + (f"：{f['facts_text']}" if f["facts_text"] else "") + f"　证据包：{evidence}")
    for r in o.replies:
        files = "、".join(f"{x['name']}（sha256 {x['sha256'][:12]}…）" for x in r.attachments) or "无附件"
        lines.append(f"单位回复（{r.user_name}，{fmt_time(r.at, tz, with_zone=False)}）：{r.text}　附件：{files}")
    for h in o.history:
        when = fmt_time(datetime.fromisoformat(h["at"]), tz, with_zone=False)
        lines.append(f"  {when} {h['who']} {ORDER_ACTION_ZH.get(h['action'], h['action'])} → "
                     f"{ORDER_STATE_ZH.get(h['state'], h['state'])}" + (f"：{h['note']}" if h.get("note") else ""))
    return lines
