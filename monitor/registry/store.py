"""Writing checked registry records to the database and reading accounts back out."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.registry.validate import REGISTRY_ATTRS, AccountRecord
from storage.models import Account


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)    # spreadsheet rows
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)


def upsert_accounts(session: Session, records: Iterable[AccountRecord]) -> ImportResult:
    """Create or update accounts by (platform, 账号ID). Registry fields are replaced by the
    row's values (an emptied cell clears the field); observed profile facts are kept, and
    accounts missing from the file are left alone."""
    records = list(records)
    result = ImportResult()
    existing: dict[tuple[str, str], Account] = {}
    for platform in {r.values["platform"] for r in records}:
        ids = [r.values["platform_id"] for r in records if r.values["platform"] == platform]
        for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
            for acc in session.scalars(select(Account).where(
                    Account.platform == platform, Account.platform_id.in_(chunk))):
                existing[(acc.platform, acc.platform_id)] = acc
    for rec in records:
        acc = existing.get(rec.key)
        if acc is None:
            session.add(Account(**{a: rec.values[a] for a in REGISTRY_ATTRS}))
            result.created.append(rec.row)
            continue
        changed = False
        for attr in REGISTRY_ATTRS:
            if getattr(acc, attr) != rec.values[attr]:
                setattr(acc, attr, rec.values[attr])
                changed = True
        (result.updated if changed else result.unchanged).append(rec.row)
    session.flush()
    return result


def list_accounts(session: Session, platform: str | None = None,
                  district: str | None = None) -> list[Account]:
    q = select(Account).order_by(Account.id)
    if platform:
        q = q.where(Account.platform == platform)
    if district:
        q = q.where(Account.district == district)
    return list(session.scalars(q))


def account_dict(acc: Account) -> dict[str, Any]:
    """The registry view of an account as JSON-ready data (stable keys = English aliases)."""
    out: dict[str, Any] = {"id": acc.id}
    for attr in REGISTRY_ATTRS:
        value = getattr(acc, attr)
        out[attr] = value.isoformat() if hasattr(value, "isoformat") else value
    out["active"] = acc.active
    return out
