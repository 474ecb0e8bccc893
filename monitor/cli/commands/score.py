"""``monitor score [--at] [--format table|json|xlsx] [--out FILE]``."""
from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.table import Table

from monitor.cli.common import app_at, console, fail, print_json


class Format(str, Enum):
    table = "table"
    json = "json"
    xlsx = "xlsx"


def coverage_text(card: dict) -> str:
    """"10/28 天": days of the check period observed (empty for apps and 小程序)."""
    cov = card.get("coverage")
    return f"{cov['days']}/{cov['total_days']} 天" if cov else ""


def partial_coverage(card: dict) -> str:
    """"监测覆盖 10/28 天" when the period was only partly observed (the table is narrow)."""
    cov = card.get("coverage")
    return cov["text"] if cov and cov["days"] < cov["total_days"] and card["verdict"] != "未能核验" else ""


def write_xlsx(cards: list[dict], agg: dict, names: dict[str, str], out: Path) -> None:
    from openpyxl import Workbook

    from monitor.sheets import save_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "评分"
    ws.append(["名称", "平台", "账号ID", "主办单位", "属地", "结论", "得分", "单项否决", "扣分项", "待复核", "监测覆盖",
               "说明"])
    for c in cards:
        ws.append([c["account_name"], c["platform"], c["platform_id"], c["host_unit"], c["district"],
                   c["verdict"], c["score"], "、".join(names.get(v, v) for v in c["vetoes"]),
                   "、".join(f"{names.get(k, k)} -{v}" for k, v in c["deductions"].items()),
                   "、".join(names.get(p, p) for p in c["pending"]), coverage_text(c), c.get("reason", "")])
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
    ) -> None:
        """Score every account at T exactly as Annex 2 does and store the score cards."""
        from monitor.rules import load_ruleset
        from monitor.scoring import aggregates, score_json

        a, t = app_at(at, newest_detected=True)
        if fmt == Format.xlsx and out is None:
            fail("--format xlsx needs --out FILE.xlsx", code=2)
        cards = score_json(a, t)
        names = {r.id: r.name_zh for r in load_ruleset(a.settings)}
        if fmt == Format.xlsx:
            write_xlsx(cards, aggregates(a, t), names, out)
            console.print(f"wrote {len(cards)} score cards to {out}", highlight=False)
            return
        if fmt == Format.json:
            if out:
                import json

                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(cards, ensure_ascii=False, indent=2), encoding="utf-8")
            else:
                print_json(cards)
            return
        table = Table(title=f"政务新媒体检查评分  监测时间点 {t.isoformat()}")
        for col in ("账号", "平台", "主办单位", "结论", "得分", "单项否决", "扣分", "待复核"):
            table.add_column(col, overflow="fold")
        for c in cards:
            table.add_row(c["account_name"], c["platform"], c["host_unit"], c["verdict"],
                          "" if c["score"] is None else str(c["score"]),
                          "、".join(names.get(v, v) for v in c["vetoes"]),
                          "、".join(f"{names.get(k, k)} -{v}" for k, v in c["deductions"].items()),
                          "；".join(x for x in ("、".join(names.get(p, p) for p in c["pending"]) or c.get("reason") or "",
                                                partial_coverage(c)) if x))
        if out:
            with out.open("w", encoding="utf-8") as fh:
                from rich.console import Console

                Console(file=fh, width=200).print(table)
        else:
            console.print(table)
