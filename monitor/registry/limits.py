"""Bounds on a registry file, checked before it is read: whatever arrives (a 5 KB workbook
whose one cell at XFD1048576 makes it 17 billion cells, a 50 MB cell, a 20 MB CSV of empty
lines) costs bounded memory and time and ends in one message naming the cell.

xlsx: the file's size, its parts' declared inflated sizes (zipfile reads no part past its
declared size), then one streaming pass (expat, counting characters without keeping them)
over the shared strings and the first worksheet: every cell with a value must lie within
``MAX_ROWS`` × ``MAX_COLUMNS`` and hold at most ``MAX_CELL_CHARS`` characters. The pass
returns the sheet's real extent, which the reader gives openpyxl instead of trusting the
sheet's own ``<dimension>``. CSV: the file's size, then the same row/column/cell bounds.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

MIB = 1 << 20
MAX_FILE_BYTES = 20 * MIB          # a registry of 10,000 accounts is ~2 MB as xlsx
MAX_INFLATED_BYTES = 200 * MIB     # all parts of the workbook, inflated
MAX_ROWS = 20_000
MAX_COLUMNS = 100                  # Annex 1 has about 25
MAX_CELL_CHARS = 32_767            # Excel's own limit for one cell
MAX_CELLS = MAX_ROWS * MAX_COLUMNS  # cell elements of any kind (styled empty ones too)

_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,9})$")


class LimitError(ValueError):
    """The file breaks a bound; the message names the cell or part (the reader adds the file)."""


@dataclass
class Extent:
    rows: int  # the last row with a value (0: an empty sheet)
    columns: int
    merged: list[str] = field(default_factory=list)  # <mergeCell ref="D3:D4"/> refs, as written


def column_letter(n: int) -> str:
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def check_size(p: Path) -> None:
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise LimitError(f"the file is {size / MIB:.1f} MB; a registry file may be at most {MAX_FILE_BYTES // MIB} MB")


def check_cell(row: int, column: int, chars: int) -> None:
    ref = f"{column_letter(column)}{row}"
    if row > MAX_ROWS or column > MAX_COLUMNS:
        raise LimitError(f"cell {ref} (row {row}, column {column}) has a value outside the {MAX_ROWS} rows × "
                         f"{MAX_COLUMNS} columns a registry may use; delete it (or everything after the "
                         "registry's last row and column) and save again")
    if chars > MAX_CELL_CHARS:
        raise LimitError(f"cell {ref} (row {row}) holds {chars:,} characters; a cell may hold at most "
                         f"{MAX_CELL_CHARS:,} (Excel's own limit)")


def check_xlsx(p: Path) -> Extent:
    """Check an xlsx workbook's bounds without loading it; its first sheet's real extent."""
    check_size(p)
    with zipfile.ZipFile(p) as z:
        infos = z.infolist()
        total = sum(i.file_size for i in infos)
        if total > MAX_INFLATED_BYTES or len(infos) > 10_000:
            biggest = max(infos, key=lambda i: i.file_size)
            raise LimitError(f"its {len(infos)} parts inflate to {total / MIB:.0f} MB ({biggest.filename}: "
                             f"{biggest.file_size / MIB:.0f} MB); a registry workbook may inflate to at most "
                             f"{MAX_INFLATED_BYTES // MIB} MB")
        sheet = _first_sheet(z)
        if sheet is None:
            return Extent(0, 0)  # openpyxl says what is wrong with it
        names = set(z.namelist())
        shared = _shared_string_lengths(z) if "xl/sharedStrings.xml" in names else []
        return _scan_sheet(z, sheet, shared)


def _first_sheet(z: zipfile.ZipFile) -> str | None:
    """The part of the workbook's first worksheet (the one openpyxl reads as worksheets[0])."""
    try:
        book = ElementTree.fromstring(_small(z, "xl/workbook.xml"))
        rels = ElementTree.fromstring(_small(z, "xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG}Relationship")
               if (r.get("Type") or "").endswith("/worksheet")}
    for sheet in book.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_REL))
        if target:
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return None


def _small(z: zipfile.ZipFile, name: str) -> bytes:
    if z.getinfo(name).file_size > 4 * MIB:
        raise LimitError(f"its part {name} is {z.getinfo(name).file_size / MIB:.0f} MB; at most 4 MB")
    return z.read(name)


def _parse(z: zipfile.ZipFile, name: str, start, end, text) -> None:
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def doctype(*_):  # spreadsheet parts never carry a DTD: refuse entity tricks outright
        raise LimitError(f"its part {name} declares a DTD")

    parser.StartDoctypeDeclHandler = doctype
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
    with z.open(name) as fh:
        while chunk := fh.read(MIB):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)


def _local(tag: str) -> str:
    return tag.rsplit(":", 1)[-1]


def _shared_string_lengths(z: zipfile.ZipFile) -> list[int]:
    lengths: list[int] = []
    state = {"in_t": 0}

    def start(tag, attrs):
        tag = _local(tag)
        if tag == "si":
            lengths.append(0)
        elif tag == "t":
            state["in_t"] += 1

    def end(tag):
        if _local(tag) == "t":
            state["in_t"] -= 1

    def text(data):
        if state["in_t"] and lengths:
            lengths[-1] += len(data)

    _parse(z, "xl/sharedStrings.xml", start, end, text)
    return lengths


def _scan_sheet(z: zipfile.ZipFile, name: str, shared: list[int]) -> Extent:
    extent = Extent(0, 0)
    cur = {"row": 0, "col": 0, "type": None, "chars": 0, "v": "", "in": None, "cells": 0}

    def start(tag, attrs):
        tag = _local(tag)
        if tag == "row":
            r = attrs.get("r")
            cur["row"] = int(r) if r and r.isdigit() else cur["row"] + 1
            cur["col"] = 0
        elif tag == "c":
            cur["cells"] += 1
            if cur["cells"] > MAX_CELLS:  # openpyxl makes an object of each, empty or not
                raise LimitError(f"its first sheet has more than {MAX_CELLS:,} cells (formatted empty ones "
                                 "included); delete the rows and columns after the registry and save again")
            m = _REF.match(attrs.get("r") or "")
            if m:
                cur["col"], cur["row"] = _column_number(m.group(1)), int(m.group(2))
            else:
                cur["col"] += 1
            cur.update(type=attrs.get("t"), chars=0, v="", has=False)
        elif tag in ("v", "t"):
            cur["in"] = tag
        elif tag == "mergeCell" and attrs.get("ref"):
            if len(extent.merged) >= MAX_ROWS:
                raise LimitError(f"its first sheet has more than {MAX_ROWS:,} merged cells")
            extent.merged.append(attrs["ref"])

    def text(data):
        if cur["in"] == "v" and cur["type"] == "s":
            cur["v"] = (cur["v"] + data)[:12]
        elif cur["in"]:
            cur["chars"] += len(data)
        if cur["in"]:
            cur["has"] = cur["has"] or bool(data.strip())

    def end(tag):
        tag = _local(tag)
        if tag in ("v", "t"):
            cur["in"] = None
        elif tag == "c" and cur.get("has"):
            chars = cur["chars"]
            if cur["type"] == "s":
                i = int(cur["v"]) if cur["v"].strip().isdigit() else -1
                chars = shared[i] if 0 <= i < len(shared) else 0
                if not chars:
                    return
            check_cell(cur["row"], cur["col"], chars)
            extent.rows, extent.columns = max(extent.rows, cur["row"]), max(extent.columns, cur["col"])

    _parse(z, name, start, end, text)
    return extent
