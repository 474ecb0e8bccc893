"""The end-of-cycle summary an operator reads: verdicts per account, what is pending review,
what could not be checked, what was sent and where the report and evidence are."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from monitor.app import App
from monitor.reports.wording import account_platform, fmt_time, rule_title
from storage.models import EvidencePackage, Finding


def _rule_names(app: App) -> dict[str, str]:
    """Annex 2 indicator names; where one name covers several rules (内容不更新 is both
    "2 weeks without an update" and "the APP cannot be downloaded"), the 评分细则 says which."""
    try:
        from monitor.rules import load_ruleset

        rules = list(load_ruleset(app.settings))
    except Exception:  # the summary still prints rule ids if the rule set cannot be read
        return {}
    shared = Counter(r.name_zh for r in rules)
    return {r.id: r.name_zh if shared[r.name_zh] == 1 else f"{r.name_zh}（{r.detail_zh.rstrip('。').split('，')[0]}）"
            for r in rules}


def score_table(app: App, at: datetime, width_hint: bool = False, store: bool = True) -> Table:
    """The score cards of T as a table, problems first: what ``monitor score`` and the end of a
    cycle print. ``store=False``: T's stored cards, nothing written (see compute_cards)."""
    from monitor.scoring import compute_cards

    names = _rule_names(app)
    cards, computed = compute_cards(app, at, store=store)
    table = Table(title=f"政务新媒体检查结果  监测时间点 {fmt_time(at, app.tz)}", show_lines=False)
    for col in ("账号", "平台", "主办单位", "结论", "得分", "单项否决", "扣分", "待复核 / 说明"):
        table.add_column(col, overflow="fold")
    style = {"合格": "green", "不合格": "bold red", "未能核验": "yellow"}
    rank = {"不合格": 0, "未能核验": 1, "合格": 2}
    for card in sorted(cards, key=lambda c: (rank.get(c.verdict, 3), c.account.name)):
        # The verdict as stored (what the night decided); the explanation as computed.
        a, c = card.account, computed[card.account_id]
        vetoes = "、".join(names.get(v, v) for v in card.vetoes)
        deductions = "、".join(f"{names.get(k, k)} -{v}" for k, v in card.deductions.items() if v)
        pending = "、".join(names.get(p, p) for p in card.pending)
        table.add_row(a.name, account_platform(a), a.host_unit, f"[{style.get(card.verdict, '')}]{card.verdict}[/]",
                      "" if card.score is None else str(card.score), vetoes, deductions,
                      "；".join(x for x in (pending, c.note, _partial(c)) if x))
    return table


def _partial(c) -> str:
    """"监测覆盖 10/28 天" when the check period was only partly observed."""
    cov = c.coverage
    return cov["text"] if cov and cov["days"] < cov["total_days"] and c.verdict != "未能核验" else ""


def print_summary(app: App, at: datetime, console: Console, report_dir: Path | None = None) -> None:
    console.print(score_table(app, at))
    outbox = Path(app.settings.alerts.outbox)
    if outbox.exists():
        lines = [json.loads(x) for x in outbox.read_text(encoding="utf-8").splitlines() if x.strip()]
        console.print(f"\n[bold]提醒消息[/] ({len(lines)} in {outbox}):")
        for m in lines[-30:]:
            console.print(f"  → {m.get('target', m.get('to', '?'))}: {m.get('title', '')}", highlight=False)
    with app.session() as s:
        packages = s.execute(select(EvidencePackage.path, Finding.rule).join(
            Finding, Finding.id == EvidencePackage.finding_id).where(Finding.at == at)).all()
    if packages:
        from monitor.rules import load_ruleset

        rules = load_ruleset(app.settings)
        console.print("\n[bold]证据包[/]：")
        for path, rule in packages:
            console.print(f"  {rule_title(rules, rule) if rule else ''}  {path}", highlight=False)
    if report_dir:
        html = Path(report_dir) / "report.html"
        console.print(f"\n[bold]报告[/]：{html if html.exists() else report_dir}", highlight=False)
        if (Path(report_dir) / "report.xlsx").exists():
            console.print(f"  评分表 {Path(report_dir) / 'report.xlsx'}；通报草稿 {Path(report_dir) / 'tongbao.html'}",
                          highlight=False)
