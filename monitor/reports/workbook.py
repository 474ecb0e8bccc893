"""report.xlsx: sheet 1 the score cards in the Annex 2 layout (one row per account, one column
per veto and deduction item), sheet 2 every finding, sheet 3 the Annex 3 findings of the
registry (集约整合, 名称一致, 监管范围) and the open discovery candidates."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from monitor.reports.data import ReportData
from monitor.reports.view import account_notes, rule_label
from monitor.reports.wording import GROUP_ZH, STATE_ZH, account_platform, facts_text, fmt_time
from monitor.sheets import save_workbook

HEAD = PatternFill("solid", fgColor="DCE6F1")
FAIL = PatternFill("solid", fgColor="F8D7DA")
PASS = PatternFill("solid", fgColor="D4EDDA")
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
BASE_COLUMNS = ["序号", "账号名称", "平台", "主办单位", "属地"]
FINDING_COLUMNS = ["序号", "账号名称", "平台", "主办单位", "属地", "类别", "检查指标", "评分细则", "规则ID",
                   "状态", "监测时间点", "事实", "证据包"]


def write_workbook(data: ReportData, path: Path) -> Path:
    wb = Workbook()
    _score_sheet(wb.active, data)
    _findings_sheet(wb.create_sheet("问题清单"), data)
    if data.annex3:
        _annex3_sheet(wb.create_sheet("附件3监管"), data.annex3)
    save_workbook(wb, path)
    return path


def _score_sheet(ws, data: ReportData) -> None:
    ws.title = "评分表"
    vetoes = data.rules.group("veto")
    deductions = data.rules.group("deduction")
    tail = ["得分", "结论", "待复核", "说明"]
    ncols = len(BASE_COLUMNS) + len(vetoes) + len(deductions) + len(tail)
    ws.cell(1, 1, f"{data.rules.name}评分表（监测时间点 {fmt_time(data.at, data.tz)}）").font = Font(bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    # Row 2: the Annex 2 groups; row 3: one column per item (name + 评分细则 for vetoes, whose names repeat).
    col = 1
    for name in BASE_COLUMNS:
        ws.cell(2, col, "基本信息" if col == 1 else None)
        ws.cell(3, col, name)
        col += 1
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(BASE_COLUMNS))
    groups = (("单项否决指标", vetoes, lambda r: f"{r.name_zh}\n{r.detail_zh}"),
              (f"扣分指标（{data.rules.scoring.full_score}分）", deductions, lambda r: f"{r.name_zh}（{r.cap}分）"))
    for title, rules, label in groups:
        if not rules:
            continue
        ws.cell(2, col, title)
        ws.merge_cells(start_row=2, start_column=col, end_row=2, end_column=col + len(rules) - 1)
        for r in rules:
            ws.cell(3, col, label(r))
            col += 1
    for name in tail:
        ws.cell(2, col, "评分结果" if name == tail[0] else None)
        ws.cell(3, col, name)
        col += 1
    ws.merge_cells(start_row=2, start_column=col - len(tail), end_row=2, end_column=col - 1)
    for row in (2, 3):
        for c in range(1, ncols + 1):
            cell = ws.cell(row, c)
            cell.fill, cell.alignment, cell.font = HEAD, CENTER, Font(bold=True)
    ws.row_dimensions[3].height = 75

    for i, r in enumerate(data.accounts, 1):
        a, card = r.account, r.card
        values = [i, a.name, account_platform(a), a.host_unit, a.district or ""]
        values += ["否决" if v.id in card.vetoes else None for v in vetoes]
        values += [int(card.deductions.get(d.id) or 0) or None for d in deductions]
        values += [card.score, card.verdict, "、".join(rule_label(data, p)[0] for p in card.pending) or None,
                   "\n".join(account_notes(data, r)) or None]
        ws.append(values)
        ws.cell(ws.max_row, ncols).alignment = WRAP
        verdict_cell = ws.cell(ws.max_row, ncols - 2)
        verdict_cell.fill = FAIL if card.verdict == "不合格" else PASS if card.verdict == "合格" else PatternFill()
    widths = [6, 22, 12, 24, 10] + [14] * (len(vetoes) + len(deductions)) + [8, 10, 16, 50]
    for idx, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(idx)].width = w
    ws.freeze_panes = "C4"


def _findings_sheet(ws, data: ReportData) -> None:
    ws.append(FINDING_COLUMNS)
    for cell in ws[1]:
        cell.fill, cell.font, cell.alignment = HEAD, Font(bold=True), CENTER
    n = 0
    for r in data.accounts:
        a = r.account
        for f in r.findings:
            n += 1
            name, detail, group = rule_label(data, f.rule)
            ws.append([n, a.name, account_platform(a), a.host_unit, a.district or "", GROUP_ZH.get(group, group),
                       name, detail, f.rule, STATE_ZH.get(f.state, f.state), fmt_time(f.at, data.tz, with_zone=False),
                       facts_text(f.facts or {}, data.tz), f.evidence_id or ""])
            for cell in ws[ws.max_row]:
                cell.alignment = WRAP
    for idx, w in enumerate([6, 22, 12, 24, 10, 10, 16, 40, 24, 10, 17, 50, 20], 1):
        ws.column_dimensions[get_column_letter(idx)].width = w
    ws.freeze_panes = "C2"


ANNEX3_COLUMNS = ["考核指标", "评分细则", "考核对象", "主办单位", "事实", "扣分", "状态"]
CANDIDATE_COLUMNS = ["类别", "名称", "平台", "账号ID", "访问链接", "认证信息", "粉丝数", "发布数", "最近发布", "匹配单位",
                     "匹配依据", "状态"]


NUMBER_COLUMNS = ("粉丝数", "发布数")


def _annex3_sheet(ws, annex3: dict) -> None:
    def heading(cols):
        ws.append(cols)
        for cell in ws[ws.max_row]:
            cell.fill, cell.font, cell.alignment = HEAD, Font(bold=True), CENTER

    heading(ANNEX3_COLUMNS)
    for f in annex3.get("findings", []):
        ws.append([f["指标"], f["评分细则"], f["考核对象"], f["主办单位"], f["事实"], f["扣分"], f["状态"]])
    ws.append([])
    heading(CANDIDATE_COLUMNS)
    for c in annex3.get("candidates", []) + annex3.get("impostors", []):
        # Counts as numbers, so they sort and sum in Excel (the worded row has them as text).
        ws.append([int(c[k]) if k in NUMBER_COLUMNS and c[k].isdigit() else c[k] for k in CANDIDATE_COLUMNS])
    for u in (annex3.get("pass") or {}).get("unverified", []):
        # The unit under 匹配单位 and why under 状态 — not the unit as an account 名称.
        row = dict.fromkeys(CANDIDATE_COLUMNS)
        row.update({"类别": "未能核验", "匹配单位": u["主办单位"], "状态": f"检索失败（{u['原因']}）"})
        ws.append(list(row.values()))
    for row in ws.iter_rows():
        for cell in row:
            cell.alignment = WRAP
    for idx, w in enumerate([14, 40, 18, 24, 60, 18, 10, 18, 18, 20, 18, 12], 1):
        ws.column_dimensions[get_column_letter(idx)].width = w
