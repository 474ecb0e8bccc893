"""Turn ReportData into plain rows the templates and the workbook print (no logic in templates)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup

from monitor.reports.data import AccountReport, ReportData
from monitor.reports.thumbnails import thumbnail_data_uri
from monitor.reports.timeline import silences, timeline_svg
from monitor.detectors.applicability import closing_with_notice, opened_at
from monitor.reports.wording import (
    GROUP_ZH,
    STATE_ZH,
    account_platform,
    facts_text,
    fmt_time,
    lifecycle_notes,
    unverifiable_text,
)

VERDICT_CLASS = {"合格": "pass", "不合格": "fail", "未能核验": "unknown"}


@dataclass
class FindingRow:
    rule: str
    group: str
    name: str
    detail: str
    state: str
    facts: str
    evidence_link: str | None = None
    thumbnail: str | None = None
    evidence_id: str | None = None
    finding_id: int | None = None


@dataclass
class AccountView:
    id: int
    name: str
    platform: str
    host_unit: str
    district: str
    verdict: str
    verdict_class: str
    score: int | None
    vetoes: list[str]
    deductions: list[tuple[str, int]]
    pending: list[str]
    findings: list[FindingRow] = field(default_factory=list)
    advisories: list[FindingRow] = field(default_factory=list)
    svg: Markup = Markup("")
    posts: int = 0
    originals: int = 0
    last_post: str = ""
    longest_silence: int | None = 0
    coverage: str = ""  # "监测覆盖 10/28 天"
    silence_note: str = ""  # why no longest silence is given
    notes: list[str] = field(default_factory=list)  # 未能核验 reason, 关停, newly opened


def rule_label(data: ReportData, rule_id: str) -> tuple[str, str, str]:
    """(name_zh, detail_zh, group) for a rule id; unknown ids are shown as they are."""
    if rule_id in data.rules:
        r = data.rules.get(rule_id)
        return r.name_zh, r.detail_zh, r.group
    return rule_id, "", "advisory"


def account_notes(data: ReportData, r: AccountReport) -> list[str]:
    """What a reader must know before the findings: why it could not be checked, that it is
    closed, that it is new."""
    notes = [unverifiable_text(r.status, data.tz)] if r.card.verdict == "未能核验" else []
    return notes + lifecycle_notes(r.account, data.at, r.card.period_start, data.tz,
                                   data.rules.params.min_account_age_days)


def account_view(data: ReportData, r: AccountReport, out_dir: Path, thumbnails: bool = True) -> AccountView:
    a, c = r.account, r.card
    view = AccountView(
        id=a.id, name=a.name, platform=account_platform(a), host_unit=a.host_unit,
        district=a.district or "未登记", verdict=c.verdict, verdict_class=VERDICT_CLASS.get(c.verdict, "unknown"),
        score=c.score,
        vetoes=[rule_label(data, v)[0] + "：" + rule_label(data, v)[1] for v in c.vetoes],
        deductions=[(rule_label(data, k)[0], int(v)) for k, v in sorted(c.deductions.items()) if v],
        pending=[rule_label(data, p)[0] for p in c.pending],
    )
    by_rule: dict[str, FindingRow] = {}
    for f in r.findings:
        name, detail, group = rule_label(data, f.rule)
        facts = facts_text(f.facts or {}, data.tz)
        if group == "advisory" and f.rule in by_rule:
            # One advisory line per rule: its cases (windows, tiers) are one remark to a reader.
            row = by_rule[f.rule]
            if facts and facts not in row.facts:
                row.facts = f"{row.facts}；{facts}" if row.facts else facts
            continue
        row = FindingRow(f.rule, GROUP_ZH.get(group, group), name, detail, STATE_ZH.get(f.state, f.state), facts,
                         finding_id=f.id)
        ev = r.evidence.get(f.id)
        if ev is not None:
            row.evidence_id = ev.id
            row.evidence_link = ev.link_from(out_dir)
            if thumbnails and ev.screenshot is not None:
                row.thumbnail = thumbnail_data_uri(ev.screenshot)
        if group == "advisory":
            by_rule[f.rule] = row
            view.advisories.append(row)
        else:
            view.findings.append(row)
    known = c.verdict != "未能核验"
    view.notes = account_notes(data, r)
    times = [(p.published_at, p.kind) for p in r.posts]
    view.posts = len(times)
    view.originals = sum(1 for _, k in times if k == "original")
    latest = max([t for t, _ in times] + ([r.last_post_before] if r.last_post_before else []), default=None)
    view.last_post = fmt_time(latest, data.tz, with_zone=False) if latest else "无记录"
    # Silences are shown only where the account was held to updating: an empty chart of a
    # failed crawl, the time after a 停更公告 and the time before the account existed are not
    # silences.
    closed = closing_with_notice(a, data.at, data.tz)
    opened = opened_at(a, data.tz)
    judged_from = max(c.period_start, opened) if opened else c.period_start
    last_before = r.last_post_before if judged_from == c.period_start else None
    judged = known and not closed
    veto_days = data.rules.params.veto_days
    # ...and only over the stretch the observations saw: before it, a gap in the chart is
    # "not observed", never "not updated".
    before = last_before
    if r.coverage is not None:
        view.coverage = r.coverage.text
        if r.coverage.observed_from is not None and r.coverage.observed_from > judged_from:
            judged_from, before = r.coverage.observed_from, None
    gaps = silences([t for t, _ in times if t >= judged_from], judged_from, data.at, before, 1) if judged else []
    view.longest_silence = int(max((g.days for g in gaps), default=0)) if judged else None
    view.silence_note = "" if judged else ("已关停" if known else "未能核验")
    if a.platform != "app":
        view.svg = Markup(timeline_svg(times, c.period_start, data.at, data.tz, before,
                                       veto_days if judged else None, a.name, judged_from=judged_from))
    return view
