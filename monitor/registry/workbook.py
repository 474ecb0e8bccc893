"""Writing registry spreadsheets: the export (same headings as the import) and the blank
template with a dropdown for 平台 and a sheet that explains every column."""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterable

from monitor.registry.cells import format_stores
from monitor.registry.columns import COLUMNS, LIFECYCLE_SYNONYMS, PLATFORM_LABELS, REQUIRED_HEADERS, platform_label
from monitor.sheets import csv_text, save_workbook
from storage.models import Account

SHEET_TITLE = "登记表"
HELP_TITLE = "填写说明"
TEMPLATE_ROWS = 1000  # rows that get the dropdowns


def account_row(acc: Account) -> list[object]:
    cells: list[object] = []
    for col in COLUMNS:
        if col.attr == "platform":
            cells.append(platform_label(acc.platform, acc.wechat_kind))
        elif col.kind == "stores":
            cells.append(format_stores(acc.store_ids) or None)
        elif col.kind == "bool":
            v = acc.registered_verified
            cells.append(None if v is None else ("是" if v else "否"))
        else:
            cells.append(getattr(acc, col.attr))
    return cells


def export_accounts(accounts: Iterable[Account], path: str | Path) -> int:
    """Write accounts with the Annex 1 headings to .xlsx (or .csv for UTF-8 with BOM)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    rows = [account_row(a) for a in accounts]
    if p.suffix.lower() == ".csv":
        with p.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([c.header for c in COLUMNS])
            w.writerows([[csv_text("" if v is None else (v.isoformat() if hasattr(v, "isoformat") else v))
                          for v in r] for r in rows])
        return len(rows)
    wb, ws = _registry_workbook()
    for r in rows:
        ws.append(r)
    for i, col in enumerate(COLUMNS, start=1):
        if col.kind == "date":  # real date cells, shown the way Chinese offices write them
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "yyyy-mm-dd"
    save_workbook(wb, p)
    return len(rows)


def write_template(path: str | Path) -> None:
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    wb, ws = _registry_workbook()
    letter = {c.header: ws.cell(row=1, column=i + 1).column_letter for i, c in enumerate(COLUMNS)}
    for header, options in (("平台", list(PLATFORM_LABELS)), ("是否认证", ["是", "否"]),
                            ("备案状态", [k for k in LIFECYCLE_SYNONYMS if k and not k.isascii()])):
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle=header,
                            error=f"请从下拉列表选择{header}：{' / '.join(options)}")
        dv.add(f"{letter[header]}2:{letter[header]}{TEMPLATE_ROWS + 1}")
        ws.add_data_validation(dv)
    helps = wb.create_sheet(HELP_TITLE)
    helps.append(["列名", "English alias", "必填", "说明"])
    for c in COLUMNS:
        helps.append([c.header, c.alias, "是" if c.header in REQUIRED_HEADERS else "",
                      c.help])
    helps.append([])
    helps.append(["", "", "", "账号ID 对微博、微信必填；APP 填包名，未填时以下载地址作为标识。"])
    helps.append(["", "", "", "导入时任何一行有误则整表不导入（--skip-invalid 可跳过错误行），错误信息列出行号、列名和原因。"])
    for cell in helps[1]:
        cell.font = Font(bold=True)
    helps.column_dimensions["A"].width = 14
    helps.column_dimensions["B"].width = 16
    helps.column_dimensions["D"].width = 100
    save_workbook(wb, p)


def _registry_workbook():
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    ws.append([c.header for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = max(12, 2 * len(cell.value) + 4)
    ws.freeze_panes = "A2"
    return wb, ws
