"""Make values storable the same way on every backend.

PostgreSQL refuses a NUL character in text and JSON, and text longer than a VARCHAR(n);
SQLite takes both. Fetched pages and imported sheets carry either, so every writer passes
its values through ``fit_row`` first: NULs are dropped, over-long strings are cut to the
column's length, and the caller learns what was cut (original lengths) so its facts can
say so. Both databases then store, and score, the same thing.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Table

CUT_KEY = "cut"  # details / facts key listing {column: original length}
# The reason of the failed observation a writer stores when an account's rows could not be
# written at all (the alert stage tells the operator which accounts).
WRITE_FAILED = "storage_write_failed"


def strip_nul(value: Any) -> Any:
    """``value`` with NUL characters removed from every string in it (JSON keys too)."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {strip_nul(k): strip_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strip_nul(v) for v in value]
    return value


def column_length(table: Table, name: str) -> int | None:
    col = table.c.get(name)
    return getattr(col.type, "length", None) if col is not None else None


def fit_row(table: Table, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """``values`` for ``table`` made storable, and {column: original length} of those cut."""
    out: dict[str, Any] = {}
    cut: dict[str, int] = {}
    for name, value in values.items():
        value = strip_nul(value)
        limit = column_length(table, name) if isinstance(value, str) else None
        if limit and len(value) > limit:
            cut[name] = len(value)
            value = value[:limit]
        out[name] = value
    return out, cut


def fit_with_note(table: Table, values: dict[str, Any], details: str = "details") -> dict[str, Any]:
    """``fit_row`` that records what was cut in the row's own JSON ``details`` column."""
    out, cut = fit_row(table, values)
    if cut:
        out[details] = {**(out.get(details) or {}), CUT_KEY: {**(out.get(details) or {}).get(CUT_KEY, {}), **cut}}
    return out
