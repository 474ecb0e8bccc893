"""Make values storable the same way on every backend.

PostgreSQL refuses a NUL character in text and JSON, and text longer than a VARCHAR(n);
SQLite takes both. Fetched pages and imported sheets carry either, so every writer passes
its values through ``fit_row`` first: NULs are dropped, over-long strings are cut to the
column's length, and the caller learns what was cut (original lengths) so its facts can
say so. Both databases then store, and score, the same thing.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from functools import lru_cache
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


def _json_nul_free(value: Any) -> Any:
    """``strip_nul`` of a JSON value, without walking one that has no NUL: its JSON text says
    so at C speed (a NUL in any string, key or value, is written \\u0000)."""
    try:
        if "\\u0000" not in json.dumps(value):
            return value
    except (TypeError, ValueError):
        pass  # not JSON (the column will say so): walk it
    return strip_nul(value)


@lru_cache(maxsize=None)
def _lengths(table: Table) -> dict[str, int]:
    return {c.key: c.type.length for c in table.c if getattr(c.type, "length", None)}


def column_length(table: Table, name: str) -> int | None:
    return _lengths(table).get(name)


def fit_row(table: Table, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    """``values`` for ``table`` made storable, and {column: original length} of those cut."""
    out: dict[str, Any] = {}
    cut: dict[str, int] = {}
    lengths = _lengths(table)
    for name, value in values.items():
        kind = value.__class__
        # Exact types first: a crawl writes tens of these per post.
        if kind is str or (kind not in _PLAIN and isinstance(value, str)):
            if "\x00" in value:
                value = value.replace("\x00", "")
            limit = lengths.get(name)
            if limit is not None and len(value) > limit:
                cut[name] = len(value)
                value = value[:limit]
        elif kind is dict or kind is list:
            if value:
                value = _json_nul_free(value)
        elif kind not in _PLAIN:
            value = strip_nul(value)
        out[name] = value
    return out, cut


# Types strip_nul leaves as they are.
_PLAIN = frozenset({type(None), bool, int, float, datetime, date})


def fit_with_note(table: Table, values: dict[str, Any], details: str = "details") -> dict[str, Any]:
    """``fit_row`` that records what was cut in the row's own JSON ``details`` column."""
    out, cut = fit_row(table, values)
    if cut:
        out[details] = {**(out.get(details) or {}), CUT_KEY: {**(out.get(details) or {}).get(CUT_KEY, {}), **cut}}
    return out
