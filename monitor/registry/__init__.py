"""The Annex 1 registry: reading, checking, importing, exporting and the blank template.

Typical use::

    parsed = read_registry(path, UrlBases.from_settings(app.settings))
    if parsed.invalid: ...            # one RowProblem per bad row: str(p) names row/field/reason
    with app.session() as s:
        result = upsert_accounts(s, parsed.records)
"""
from __future__ import annotations

from pathlib import Path

from monitor.registry.reader import RawTable, RegistryFileError, read_table
from monitor.registry.store import ImportResult, account_dict, list_accounts, upsert_accounts
from monitor.registry.validate import (
    REGISTRY_ATTRS,
    AccountRecord,
    ParsedRegistry,
    RowProblem,
    UrlBases,
    build_profile_url,
    validate_table,
)
from monitor.registry.workbook import export_accounts, write_template


def read_registry(path: str | Path, bases: UrlBases = UrlBases()) -> ParsedRegistry:
    """Read and check a registry file; raises RegistryFileError if the file is unusable."""
    return validate_table(read_table(path), bases)


__all__ = [
    "AccountRecord", "ImportResult", "ParsedRegistry", "RawTable", "RegistryFileError",
    "REGISTRY_ATTRS", "RowProblem", "UrlBases", "account_dict", "build_profile_url",
    "export_accounts", "list_accounts", "read_registry", "read_table", "upsert_accounts",
    "validate_table", "write_template",
]
