"""Spreadsheets we write are never live formulas: text that starts with ``=``, ``+``, ``-``,
``@``, a tab or a CR (what Excel, WPS and LibreOffice take as the start of a formula, and
what registry text, post titles or facts may well start with) is written as text.

* xlsx: ``save_workbook(wb, path)`` instead of ``wb.save(path)``. Such cells are stored as
  strings (openpyxl would store a leading ``=`` as a formula) with Excel's "quote prefix"
  style, so editing the cell in Excel keeps it text too. Reading the file back gives the
  same text.
* CSV: ``csv_text(value)`` for every cell; such text gets a leading apostrophe (the OWASP
  advice), and ``from_csv_text`` — used by the registry reader — takes exactly one away,
  so an exported registry re-imports to the same values.
"""
from __future__ import annotations

from pathlib import Path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def as_text(ws) -> None:
    """Mark every formula-like cell of one worksheet as text."""
    for row in ws.iter_rows():
        for cell in row:
            if formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True


def save_workbook(wb, path: str | Path) -> None:
    """Save with every formula-like text cell of every sheet stored as text (this product
    writes no formulas of its own)."""
    for ws in wb.worksheets:
        as_text(ws)
    wb.save(path)


def csv_text(value: object) -> object:
    """A cell for csv.writer: formula-like text (and text that already starts with an
    apostrophe before one, so the reader's undoing is exact) gets a leading apostrophe."""
    if isinstance(value, str) and (formula_like(value) or (value.startswith(QUOTE) and _escaped(value))):
        return QUOTE + value
    return value


def from_csv_text(value: str) -> str:
    """Undo ``csv_text``: one leading apostrophe before a formula start (or another
    apostrophe) is taken away."""
    return value[1:] if _escaped(value) else value


def _escaped(value: str) -> bool:
    return value.startswith(QUOTE) and len(value) > 1 and (value[1] in FORMULA_STARTS or value[1] == QUOTE)
