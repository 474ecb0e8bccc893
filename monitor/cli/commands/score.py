"""``monitor score [--at] [--format table|json|xlsx] [--out FILE] [--rescore]``.

It reads: a night whose cards are stored shows them and writes nothing (an account imported
since gets no card for that night), through the same path as the web's ``/api/score``
(``compute_cards(store=False)``). It writes only where the night's score stage has not run
yet (it is that stage), or with ``--rescore``, which scores T again from its findings as the
cycle's score stage does."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from monitor.cli.common import app_at, console, fail, print_json


class Format(str, Enum):
    table = "table"
    json = "json"
    xlsx = "xlsx"


def write_xlsx(cards: list, computed: dict, agg: dict, names: dict[str, str], out: Path) -> None:
    """``cards``: ScoreCard rows with their account; ``computed``: account id → Card."""
    from openpyxl import Workbook

    from monitor.reports.wording import account_platform
    from monitor.sheets import save_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "评分"
    ws.append(["名称", "平台", "账号ID", "主办单位", "属地", "结论", "得分", "单项否决", "扣分项", "待复核", "监测覆盖",
               "说明"])
    for card in cards:
        a, c = card.account, computed[card.account_id]  # the verdict as stored, the explanation as computed
        cov = f"{c.coverage['days']}/{c.coverage['total_days']} 天" if c.coverage else ""
        ws.append([a.name, account_platform(a), a.platform_id, a.host_unit, a.district,
                   card.verdict, card.score, "、".join(names.get(v, v) for v in card.vetoes),
                   "、".join(f"{names.get(k, k)} -{v}" for k, v in card.deductions.items()),
                   "、".join(names.get(p, p) for p in card.pending), cov, c.note])
    for title, key, label in (("按主办单位", "by_host_unit", "主办单位"), ("按属地", "by_district", "属地")):
        sheet = wb.create_sheet(title)
        sheet.append([label, "账号数", "已核验", "合格", "不合格", "未能核验", "合格率", "单项否决账号数"])
        for row in agg[key]:
            sheet.append([row[key.removeprefix("by_")], row["accounts"], row["checked"], row["合格"],
                          row["不合格"], row["未能核验"], row["合格率"], row["vetoes"]])
    out.parent.mkdir(parents=True, exist_ok=True)
    save_workbook(wb, out)


def register(app: typer.Typer) -> None:
    @app.command("score")
    def score(
        at: str = typer.Option(None, "--at", help="Monitoring time point T (default: the newest T detection ran for)."),
        fmt: Format = typer.Option(Format.table, "--format", help="table, json or xlsx."),
        out: Path = typer.Option(None, "--out", help="Write to this file (required for xlsx)."),
        rescore: bool = typer.Option(False, "--rescore", help="Score T again from its findings and store the "
                                     "cards, as the cycle's score stage does (otherwise a scored T is only read)."),
    ) -> None:
        """The score cards of T, exactly as Annex 2 scores; a T already scored is only read."""
        from monitor.rules import load_ruleset
        from monitor.scoring import aggregates, compute_cards, score_json
        from monitor.scoring.scorer import has_cards

        a, t = app_at(at, newest_detected=True, cycle_required=True)
        if fmt == Format.xlsx and out is None:
            fail("--format xlsx needs --out FILE.xlsx", code=2)
        with a.session() as s:
            store = rescore or not has_cards(s, t)
        if fmt == Format.json:
            cards = score_json(a, t, store=store)
            if out:
                import json

                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(cards, ensure_ascii=False, indent=2), encoding="utf-8")
            else:
                print_json(cards)
            return
        if fmt == Format.xlsx:
            rows, computed = compute_cards(a, t, store=store)
            names = {r.id: r.name_zh for r in load_ruleset(a.settings)}
            write_xlsx(rows, computed, aggregates(a, t), names, out)
            console.print(f"wrote {len(rows)} score cards to {out}", highlight=False)
            return
        from monitor.cycle.summary import score_table

        table = score_table(a, t, store=store)
        if out:
            with out.open("w", encoding="utf-8") as fh:
                from rich.console import Console

                Console(file=fh, width=200).print(table)
        else:
            console.print(table)
