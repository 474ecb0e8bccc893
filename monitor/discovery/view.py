"""Candidates and Annex 3 findings as the CLI, the report and the web workspace show them:
one JSON shape (raw codes) and one worded shape (Chinese, through monitor/reports/wording.py)."""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from monitor.discovery.annex3 import Annex3Finding
from monitor.reports.wording import (
    ANNEX3_LINES,
    CANDIDATE_KIND_ZH,
    CANDIDATE_STATE_ZH,
    MATCH_BASIS_ZH,
    STATE_ZH,
    annex3_line,
    fmt_time,
    platform_zh,
    points_text,
    reason_zh,
)
from storage.models import DiscoveryCandidate


def candidate_json(c: DiscoveryCandidate) -> dict[str, Any]:
    return {"id": c.id, "kind": c.kind, "state": c.state, "platform": c.platform, "platform_id": c.platform_id,
            "name": c.name, "profile_url": c.profile_url, "matched_unit": c.matched_unit, "match_basis": c.match_basis,
            "verified": c.verified, "verified_type": c.verified_type, "verification_text": c.verification_text,
            "description": c.description, "followers_count": c.followers_count, "statuses_count": c.statuses_count,
            "latest_post_at": c.latest_post_at.isoformat() if c.latest_post_at else None,
            "first_seen_at": c.first_seen_at.isoformat(), "last_seen_at": c.last_seen_at.isoformat(),
            "decided_by": c.decided_by, "decision_note": c.decision_note, "account_id": c.account_id}


def candidate_row(c: DiscoveryCandidate, tz: ZoneInfo) -> dict[str, str]:
    """The worded row: 类别, 名称, 平台, 账号ID, 链接, 认证信息, 粉丝, 微博数, 最近发布, 单位, 依据, 状态."""
    return {"id": str(c.id), "类别": CANDIDATE_KIND_ZH.get(c.kind, c.kind), "名称": c.name,
            "平台": platform_zh(c.platform), "账号ID": c.platform_id, "访问链接": c.profile_url or "",
            "认证信息": c.verification_text or ("未认证" if not c.verified else "无"),
            "粉丝数": "无记录" if c.followers_count is None else str(c.followers_count),
            "发布数": "无记录" if c.statuses_count is None else str(c.statuses_count),
            "最近发布": fmt_time(c.latest_post_at, tz, with_zone=False),
            "匹配单位": c.matched_unit, "匹配依据": MATCH_BASIS_ZH.get(c.match_basis, c.match_basis),
            "状态": CANDIDATE_STATE_ZH.get(c.state, c.state)}


def finding_row(f: Annex3Finding, tz: ZoneInfo) -> dict[str, str]:
    """One Annex 3 finding in the inspector's words, with its line and points."""
    name = ANNEX3_LINES[f.code][0]
    accounts = "、".join(f"{a['name']}（{a['platform']} {a['platform_id']}）" for a in f.accounts)
    if f.code == "annex3.consolidation":
        fact = f"{f.host_unit}在{f.platform}开设{len(f.accounts)}个账号：{accounts}"
    elif f.code == "annex3.scope":
        a = f.accounts[0]
        fact = (f"{f.host_unit}的{f.platform}账号「{a['name']}」（{a['platform_id']}）未纳入登记表"
                + (f"，认证信息：{f.facts['verification_text']}" if f.facts.get("verification_text") else "")
                + (f"，最近发布：{fmt_time(f.facts['latest_post_at'], tz, with_zone=False)}"
                   if f.facts.get("latest_post_at") else ""))
    elif f.code == "annex3.rectification":
        a, x = f.accounts[0], f.facts
        fact = (f"{f.host_unit}的{f.platform}账号「{a['name']}」（{a['platform_id']}）：整改单{x['order_id']}"
                f"（通报{x['doc_number']}，{x['issued_on_zh']}下发）整改期限{x['deadline_zh']}，逾期未整改或整改不到位"
                f"（{x['state_zh']}）")
    else:
        fact = f"{f.host_unit}在不同平台的账号名称不一致：" + "；".join(
            f"{label}「{'、'.join(names)}」" for label, names in (f.facts.get("names") or {}).items())
    return {"指标": name, "评分细则": annex3_line(f.code), "考核对象": f.assessed or f.host_unit,
            "主办单位": f.host_unit, "事实": fact, "扣分": points_text(f.points, f.state),
            "状态": STATE_ZH.get(f.state, f.state)}


def unverified_rows(counts: dict[str, Any]) -> list[dict[str, str]]:
    """Units whose search failed in the pass: 未能核验, with the reason in words."""
    return [{"主办单位": unit, "结果": "未能核验", "原因": reason_zh(reason, "blocked")}
            for unit, reason in sorted((counts.get("unverified_units") or {}).items())]
