"""The audit log of changes made through the web: who, when, from which address, what."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from storage.models import AuditEntry, Finding
from storage.types import utcnow

ACTION_ZH = {"review": "复核", "registry_import": "导入登记表", "tongbao_issue": "下发通报"}


def record(app, user_name: str, address: str | None, action: str, *, finding_id: int | None = None,
           account_id: int | None = None, changes: dict | None = None, note: str | None = None,
           at: datetime | None = None) -> None:
    with app.session() as s:
        s.add(AuditEntry(at=at or utcnow(), user_name=user_name, address=address, action=action,
                         finding_id=finding_id, account_id=account_id, changes=changes or {}, note=note))


def changed(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields whose value differs."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def for_case(s, finding: Finding) -> list[AuditEntry]:
    """Entries about this finding's case on any night: a review carries over to the next
    night's row of the same case, and so does its history."""
    same_case = select(Finding.id).where(Finding.account_id == finding.account_id,
                                         Finding.rule == finding.rule, Finding.case_key == finding.case_key)
    return list(s.scalars(select(AuditEntry).where(AuditEntry.finding_id.in_(same_case))
                          .order_by(AuditEntry.at, AuditEntry.id)))
