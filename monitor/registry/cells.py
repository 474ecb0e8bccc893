"""Turning one spreadsheet cell into a typed value, or a reason it cannot be one.

Every parser takes the raw cell (str, int, float, datetime, date or None) and returns the
value or raises CellError with a reason worded for the person who filled the sheet.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit

from monitor.registry.columns import KNOWN_STORES


class CellError(ValueError):
    pass


def text(value: object) -> str | None:
    """Cell → stripped text; numbers typed into Excel (UIDs, phones) lose their '.0'."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    s = str(value).replace("\u3000", " ").strip()
    return s or None


_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)


def parse_date(value: object) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = text(value)
    if s is None:
        return None
    # A date typed as text may still carry Excel's midnight time ("2024-03-01 00:00:00").
    s = re.sub(r"[ T]00:00(:00)?$", "", s)
    for form in _DATE_FORMS:
        m = form.match(s)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                break
    raise CellError(f"not a date: {s!r} (use 2024-03-01, 2024/3/1 or 2024年3月1日)")


_YES = {"是", "已认证", "y", "yes", "true", "1", "√"}
_NO = {"否", "未认证", "n", "no", "false", "0", "×"}


def parse_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    s = text(value)
    if s is None:
        return None
    if s.lower() in _YES:
        return True
    if s.lower() in _NO:
        return False
    raise CellError(f"expected 是 or 否, got {s!r}")


def parse_url(value: object) -> str | None:
    s = text(value)
    if s is None:
        return None
    parts = urlsplit(s)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise CellError(f"not an http/https URL: {s!r}")
    return s


_EMAIL = re.compile(r"^[^@\s,;]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def parse_email(value: object) -> str | None:
    s = text(value)
    if s is None:
        return None
    if not _EMAIL.match(s):
        raise CellError(f"not an e-mail address: {s!r}")
    return s


def parse_stores(value: object) -> dict[str, str]:
    """'apple:1660000005; yyb:cn.gov.x' → {'apple': '1660000005', 'yyb': 'cn.gov.x'}."""
    s = text(value)
    if s is None:
        return {}
    out: dict[str, str] = {}
    for part in re.split(r"[;；\n]", s):
        part = part.strip()
        if not part:
            continue
        store, sep, ident = _split_pair(part)
        store = store.strip().lower()
        ident = ident.strip()
        if not sep or not store or not ident:
            raise CellError(f"{part!r} is not store:id (e.g. apple:1660000005; yyb:cn.gov.x)")
        if store not in KNOWN_STORES:
            raise CellError(f"unknown store {store!r} (known: {', '.join(KNOWN_STORES)})")
        if store == "apple":
            ident = ident.removeprefix("id")
            if not ident.isdigit():
                raise CellError(f"apple id must be the App Store number, got {ident!r}")
        if store in out:
            raise CellError(f"store {store!r} given twice")
        out[store] = ident
    return out


def _split_pair(part: str) -> tuple[str, str, str]:
    m = re.match(r"^([^:：]*)([:：])(.*)$", part)
    return (m[1], m[2], m[3]) if m else (part, "", "")


def format_stores(stores: dict[str, str] | None) -> str:
    return "; ".join(f"{k}:{v}" for k, v in (stores or {}).items())
