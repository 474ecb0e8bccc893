"""periodic.xlsx: one sheet per table of the periodic report, counts as numbers and rates as
percentages (never formulas: monitor.sheets), plus the nights one by one."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from monitor.reports.periodic import PeriodicData
from monitor.reports.periodic_tables import PCT, TEXT, Table
from monitor.reports.periodic_text import PeriodicDocument
from monitor.reports.workbook import CENTER, HEAD
from monitor.sheets import save_workbook

SHEET_NAMES = ["按属地", "按主办单位", "年度考核指标", "问题类型", "始终未能核验"]


def write_periodic_workbook(data: PeriodicData, doc: PeriodicDocument, extra: list[Table], path: Path) -> Path:
    """``extra``: tables only the workbook carries (e.g. Annex 3 per 主办单位)."""
    wb = Workbook()
    wb.remove(wb.active)
    names = SHEET_NAMES + [t.title[:31] for t in extra]
    for name, table in zip(names, doc.attachments + extra):
        _sheet(wb.create_sheet(name), table, doc.title)
    _nights(wb.create_sheet("每晚趋势"), data)
    save_workbook(wb, path)
    return path


def _sheet(ws, table: Table, doc_title: str) -> None:
    ws.cell(1, 1, f"{table.title}（{doc_title.removeprefix('关于').removesuffix('的报告')}）").font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(table.columns))
    for col, c in enumerate(table.columns, 1):
        cell = ws.cell(2, col, c.header)
        cell.fill, cell.font, cell.alignment = HEAD, Font(bold=True), CENTER
        ws.column_dimensions[get_column_letter(col)].width = max(c.width, len(c.header) * 2 + 2)
    rows = table.rows + ([table.total] if table.total is not None else [])
    for r, obj in enumerate(rows, 3):
        for col, c in enumerate(table.columns, 1):
            cell = ws.cell(r, col, c.value(obj))
            if c.kind == PCT:
                cell.number_format = "0.0%"
            elif c.kind == TEXT:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            if table.total is not None and obj is table.total:
                cell.font = Font(bold=True)
    ws.freeze_panes = "B3"


def _nights(ws, data: PeriodicData) -> None:
    ws.append(["监测时间点", "账号数", "已核验", "合格", "合格率", "核验率"])
    for cell in ws[1]:
        cell.fill, cell.font, cell.alignment = HEAD, Font(bold=True), CENTER
    for n in data.trend:
        ws.append([n.at.astimezone(data.tz).strftime("%Y-%m-%d %H:%M"), n.accounts, n.checked, n.passed,
                   n.pass_rate, n.check_ratio])
        ws.cell(ws.max_row, 5).number_format = ws.cell(ws.max_row, 6).number_format = "0.0%"
    for col, w in enumerate([18, 10, 10, 10, 10, 10], 1):
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.freeze_panes = "A2"
