"""Issue a 通报 over a period: cite the standing findings, freeze them, open the orders.

Cited: every finding whose T falls in the period, decided against the account (``auto`` or
``confirmed``; suspected ones wait for a reviewer, dismissed ones never count), of a scored
rule (单项否决 or 扣分; 合规提示 are not notified). A case seen night after night is cited once,
as its latest night, with the evidence packages of all its nights.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, joinedload

from monitor.orders.states import record
from monitor.reports.period import Period
from monitor.reports.wording import (
    GROUP_ZH,
    STATE_ZH,
    TONGBAO_ADDRESSEE,
    TONGBAO_ISSUER,
    account_platform,
    facts_text,
    fmt_date,
    rule_name,
    tongbao_title,
)
from monitor.rules import RuleSet
from storage.models import Account, Finding, RectificationOrder, Tongbao

CITED_STATES = ("auto", "confirmed")
SCORED_GROUPS = ("veto", "deduction")


class IssueError(Exception):
    """The 通报 cannot be issued; the message says why."""


def doc_number_placeholder(on: date) -> str:
    """The office fills in the number; the year bracket is the document-number convention."""
    return f"〔{on.year}〕第　　号"


def cited_findings(s: Session, period: Period, ruleset: RuleSet, tz) -> dict[Account, list[dict]]:
    """account → the findings to cite, frozen as plain data (latest night of each case).

    A quarter holds one row per case and night; only the latest row of each case is loaded
    (and the evidence ids of all its nights), so 10,000 accounts × 90 nights stay cheap."""
    scored = [r.id for g in SCORED_GROUPS for r in ruleset.group(g)]
    cited = (Finding.at >= period.start(tz), Finding.at < period.end(tz), Finding.state.in_(CITED_STATES),
             Finding.rule.in_(scored))
    case = (Finding.account_id, Finding.rule, Finding.case_key)
    latest = select(*case, func.max(Finding.at).label("at")).where(*cited).group_by(*case).subquery()
    rows = s.scalars(select(Finding).options(joinedload(Finding.account)).join(latest, and_(
        Finding.account_id == latest.c.account_id, Finding.rule == latest.c.rule,
        Finding.case_key == latest.c.case_key, Finding.at == latest.c.at)).where(*cited))
    evidence: dict[tuple, set[str]] = {}
    for acc, rule_id, key, eid in s.execute(select(*case, Finding.evidence_id).distinct()
                                            .where(*cited, Finding.evidence_id.is_not(None))):
        evidence.setdefault((acc, rule_id, key), set()).add(eid)
    out: dict[Account, list[dict]] = {}
    for f in rows:
        if not f.account.active:
            continue
        group = ruleset.get(f.rule).group
        out.setdefault(f.account, []).append({
            "finding_id": f.id, "rule": f.rule, "rule_name": rule_name(ruleset, f.rule),
            "group": group, "group_zh": GROUP_ZH[group], "case_key": f.case_key,
            "at": f.at.astimezone(tz).isoformat(), "state": f.state, "state_zh": STATE_ZH[f.state],
            "source": f.source, "facts_text": facts_text(f.facts or {}, tz),
            "evidence_ids": sorted(evidence.get((f.account_id, f.rule, f.case_key), ())),
        })
    for items in out.values():  # vetoes first, as the 通报 lists them
        items.sort(key=lambda i: (i["group"] != "veto", i["rule"], i["case_key"]))
    return out


def issue_tongbao(s: Session, period: Period, ruleset: RuleSet, tz, *, issued_on: date, issued_by: str,
                  deadline_days: int, now: datetime) -> Tongbao:
    """Freeze the 通报 of ``period`` and open one order per cited account (in ``s``)."""
    before = s.scalar(select(Tongbao).where(Tongbao.period == period.text))
    if before is not None:
        raise IssueError(f"a 通报 for {period.text} was already issued on {before.issued_on.isoformat()} "
                         f"(通报 {before.id}); its orders are in `monitor orders list`")
    if issued_on < period.first:
        raise IssueError(f"issue date {issued_on.isoformat()} is before the period {period.text} begins")
    cited = cited_findings(s, period, ruleset, tz)
    if not cited:
        raise IssueError(f"nothing to notify for {period.text}: no 单项否决 or 扣分 finding "
                         "(自动判定 or 已确认) in the period")
    deadline = issued_on + timedelta(days=deadline_days)
    tb = Tongbao(period=period.text, period_first=period.first, period_last=period.last, issued_on=issued_on,
                 issued_at=now, issued_by=issued_by, doc_number=doc_number_placeholder(issued_on),
                 deadline_days=deadline_days)
    s.add(tb)
    accounts = []
    for account, items in cited.items():
        order = RectificationOrder(tongbao=tb, account=account, issued_on=issued_on, deadline=deadline,
                                   state="pending", findings=items, last_recheck={}, history=[])
        s.add(order)
        record(order, now, issued_by, "issued", f"整改期限{fmt_date(deadline)}")
        accounts.append((order, items))
    s.flush()
    tb.content = _content(tb, period, deadline, accounts)
    return tb


def _content(tb: Tongbao, period: Period, deadline: date, accounts: list) -> dict:
    """What the 通报 says, frozen: the .docx and HTML renderings read only this."""
    rows = []
    for order, items in accounts:
        a = order.account
        rows.append({"order_id": order.id, "account_id": a.id, "platform": a.platform,
                     "platform_zh": account_platform(a), "platform_id": a.platform_id, "name": a.name,
                     "host_unit": a.host_unit, "district": a.district, "findings": items})
    rows.sort(key=lambda r: (not _vetoed(r), r["district"] or "", r["host_unit"], r["name"]))
    listed = [{"host_unit": r["host_unit"], "name": r["name"], "platform": r["platform_zh"],
               "problems": _problems(r["findings"]),
               "evidence_ids": sorted({e for f in r["findings"] for e in f["evidence_ids"]})} for r in rows]
    return {
        # What the document says (the .docx and HTML renderings read these).
        "title": tongbao_title(period.title_zh), "addressee": TONGBAO_ADDRESSEE, "issuer": TONGBAO_ISSUER,
        "period_text": f"{fmt_date(period.first)}至{fmt_date(period.last)}", "rectify_days": tb.deadline_days,
        "vetoed": [x for x, r in zip(listed, rows) if _vetoed(r)],
        "deducted": [x for x, r in zip(listed, rows) if not _vetoed(r)],
        "period": period.text, "period_title_zh": period.title_zh,
        "period_first": period.first.isoformat(), "period_last": period.last.isoformat(),
        "issued_on": tb.issued_on.isoformat(), "issued_on_zh": fmt_date(tb.issued_on),
        "issued_by": tb.issued_by, "doc_number": tb.doc_number,
        "deadline": deadline.isoformat(), "deadline_zh": fmt_date(deadline), "deadline_days": tb.deadline_days,
        "accounts": rows,
        "totals": {"accounts": len(rows),
                   "vetoed_accounts": sum(1 for r in rows if _vetoed(r)),
                   "findings": sum(len(r["findings"]) for r in rows),
                   "evidence_ids": sorted({e for r in rows for f in r["findings"] for e in f["evidence_ids"]})},
    }


def _vetoed(row: dict) -> bool:
    return any(f["group"] == "veto" for f in row["findings"])


def _problems(findings: list[dict]) -> list[str]:
    """One line per rule: its Annex 2 name, then the facts of each case cited."""
    by_rule: dict[str, list[str]] = {}
    for f in findings:
        by_rule.setdefault(f"{f['rule_name']}（{f['group_zh']}）", []).extend([f["facts_text"]] if f["facts_text"] else [])
    return [name + (f"：{'；'.join(facts)}" if facts else "") for name, facts in by_rule.items()]


def tongbao_content(s: Session, tongbao_id: int) -> dict:
    """The frozen content of an issued 通报 (for its .docx/HTML rendering)."""
    tb = s.get(Tongbao, tongbao_id)
    if tb is None:
        raise IssueError(f"no 通报 with id {tongbao_id}")
    return {"id": tb.id, **tb.content}


def docx_name(content: dict) -> str:
    """通报_2026Q4_3.docx (a FROM..TO period keeps its dots out of the name)."""
    return f"通报_{content['period'].replace('..', '至')}_{content['id']}.docx"
