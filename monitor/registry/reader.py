"""Reading a registry file (xlsx or csv) into raw rows with their spreadsheet row numbers."""
from __future__ import annotations

import csv
import io
from xml.parsers import expat
from dataclasses import dataclass, field
from pathlib import Path

from monitor.registry import limits
from monitor.registry.columns import HEADER_INDEX, REQUIRED_HEADERS, normalise_header
from monitor.sheets import from_csv_text


class RegistryFileError(Exception):
    """The file as a whole cannot be read (missing, wrong format, undecodable, no header)."""


@dataclass
class RawTable:
    headers: list[str]                   # as written in the file
    header_row: int                      # 1-based, as the spreadsheet shows it
    rows: list[tuple[int, list[object]]]  # (row number, cells), blank rows left out
    # Cells merged over several rows (one 主办单位 for a unit's accounts): (first row, last
    # row, column index); their value has been filled down into every row of the merge.
    merged: list[tuple[int, int, int]] = field(default_factory=list)


def read_table(path: str | Path) -> RawTable:
    p = Path(path)
    if not p.is_file():
        raise RegistryFileError(f"{p}: no such file")
    suffix = p.suffix.lower()
    merged: list[tuple[int, int, int]] = []
    if suffix in (".xlsx", ".xlsm"):
        grid, merged = _xlsx_grid(p)
    elif suffix in (".csv", ".txt", ".tsv"):
        grid = _csv_grid(p)
    elif suffix == ".xls":
        raise RegistryFileError(f"{p}: old .xls workbooks are not supported; save it as .xlsx or .csv")
    else:
        raise RegistryFileError(f"{p}: unknown file type {suffix or '(none)'}; give an .xlsx or .csv file")
    table = _find_header(p, grid)
    table.merged = [(lo, hi, col) for lo, hi, col in merged if hi > table.header_row]
    return table


def _xlsx_grid(p: Path) -> tuple[list[list[object]], list[tuple[int, int, int]]]:
    """The first sheet's cells, with every cell merged over several rows filled down from its
    top cell (openpyxl gives only the top cell a value), and those merges (1-based rows)."""
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        extent = limits.check_xlsx(p)
        if not extent.rows:
            return [], []
        wb = load_workbook(p, read_only=True, data_only=True)
        try:
            # The checked extent, not the sheet's own <dimension>: openpyxl pads every row
            # to the dimension it claims (XFD1048576: 17 billion cells).
            grid = [list(r) for r in wb.worksheets[0].iter_rows(max_row=extent.rows, max_col=extent.columns,
                                                                 values_only=True)]
            return grid, _fill_merged_down(grid, extent.merged)
        finally:
            wb.close()
    except limits.LimitError as exc:
        raise RegistryFileError(f"{p}: {exc}") from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError,
            expat.ExpatError) as exc:
        raise RegistryFileError(f"{p}: not a readable .xlsx workbook ({exc})") from None


def _fill_merged_down(grid: list[list[object]], refs: list[str]) -> list[tuple[int, int, int]]:
    """A cell merged over several rows has its value in its top cell only (the file keeps no
    other): copy it down the merge. Returns the merges as (first row, last row, column index)."""
    from openpyxl.utils.cell import range_boundaries

    merges = []
    for ref in refs:
        try:
            min_col, min_row, _, max_row = range_boundaries(ref)
        except ValueError:
            continue  # a malformed ref: openpyxl ignores it as well
        if max_row == min_row or min_row > len(grid):
            continue  # merged across columns only: nothing is missing below it
        top = grid[min_row - 1][min_col - 1] if min_col <= len(grid[min_row - 1]) else None
        for r in range(min_row, min(max_row, len(grid)) + 1):
            row = grid[r - 1]
            row.extend([None] * (min_col - len(row)))
            row[min_col - 1] = top
        merges.append((min_row, max_row, min_col - 1))
    return sorted(merges)


def _csv_grid(p: Path) -> list[list[object]]:
    try:
        limits.check_size(p)
    except limits.LimitError as exc:
        raise RegistryFileError(f"{p}: {exc}") from None
    data = p.read_bytes()
    # utf-8-sig also reads plain UTF-8; Excel on Chinese Windows saves "CSV" as GBK.
    for encoding in ("utf-8-sig", "gbk"):
        try:
            content = data.decode(encoding)
            break
        except UnicodeDecodeError as exc:
            error = exc
    else:
        raise RegistryFileError(
            f"{p}: cannot decode the file as UTF-8 or GBK (byte {error.start}); "
            "save it from Excel as 'CSV UTF-8' or as .xlsx") from None
    first = content.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    grid: list[list[object]] = []
    # csv's own field limit (128 KiB) would end in an error naming no cell: the file's size
    # bounds every field, and check_cell names the one that is too long.
    field_limit = csv.field_size_limit(limits.MAX_FILE_BYTES)
    try:
        for number, row in enumerate(reader, start=1):
            cells = _bounded_csv_row(number, row)
            if cells or number <= limits.MAX_ROWS:  # blank lines past the bound cost nothing
                grid.append(cells)
    except csv.Error as exc:  # a NUL byte, a stray quote in strict mode …
        raise RegistryFileError(f"{p}: row {len(grid) + 1} (line {reader.line_num}): {exc}") from None
    except limits.LimitError as exc:
        raise RegistryFileError(f"{p}: {exc}") from None
    finally:
        csv.field_size_limit(field_limit)
    return grid


def _bounded_csv_row(row: int, cells: list[str]) -> list[object]:
    while cells and not cells[-1]:
        cells.pop()  # trailing empty cells (Excel writes its whole used range)
    if not cells:
        return []
    for column, cell in enumerate(cells, start=1):
        limits.check_cell(row, column, len(cell))
    return [from_csv_text(c) for c in cells]


def _find_header(p: Path, grid: list[list[object]]) -> RawTable:
    # Annex 1 sheets often carry a title line above the headings: look a few rows down.
    for i, row in enumerate(grid[:10]):
        names = {normalise_header(c) for c in row}
        known = {HEADER_INDEX[n].header for n in names if n in HEADER_INDEX}
        if {"名称", "平台"} <= known:
            missing = [h for h in REQUIRED_HEADERS if h not in known]
            if missing:
                raise RegistryFileError(f"{p}: row {i + 1}: missing column(s) {', '.join(missing)}")
            headers = ["" if c is None else str(c).strip() for c in row]
            rows = [(i + 2 + j, list(r)) for j, r in enumerate(grid[i + 1:])
                    if any(c is not None and str(c).strip() for c in r)]
            return RawTable(headers, i + 1, rows)
    raise RegistryFileError(
        f"{p}: no header row with 名称 and 平台 in the first 10 rows "
        "(the Annex 1 headings or their English aliases name, platform, …)")
