"""The registry's own Annex 3 findings, for the inspector (not Annex 2 account scores):

- **集约整合** (§12): one 主办单位 with more than one active account on one platform — one
  case per unit and platform, 5 points, at most 10 per 考核对象. A WeChat 服务号, 订阅号 and
  小程序 have different functions, so each kind is its own "platform" here.
- **监管范围**: accounts discovery found that the unit runs but the registry missed — 5
  points each once the inspector registered them (confirmed), pending while still open.
- **名称一致** (§14): one unit whose accounts on different platforms carry different names;
  Annex 3 has no points for it, so it is a 提示.

The 考核对象 of Annex 3 is a 县（市、区）人民政府办公室 or a 市级 department: the 属地 for
district units, the unit itself for 市级 ones; the cap applies per 考核对象.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.detectors.textnorm import canonical
from monitor.reports.wording import ANNEX3_LINES, platform_zh
from monitor.rules.loader import Lexicon
from storage.models import Account, DiscoveryCandidate

ACTIVE = ("开设", "变更")
CITY_LEVEL = "市级"


@dataclass
class Annex3Finding:
    code: str  # annex3.consolidation, annex3.scope, annex3.name_consistency
    host_unit: str
    district: str | None
    platform: str | None  # wording of the platform (新浪微博, 微信订阅号 …), None across platforms
    accounts: list[dict[str, Any]]
    points: int
    state: str  # auto (from the registry), suspected (open candidate), confirmed (registered)
    candidate_id: int | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def assessed(self) -> str:
        """The 考核对象 this finding counts against."""
        return self.host_unit if (self.district or CITY_LEVEL) == CITY_LEVEL else self.district

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "host_unit": self.host_unit, "district": self.district, "assessed": self.assessed,
                "platform": self.platform, "accounts": self.accounts, "points": self.points, "state": self.state,
                "candidate_id": self.candidate_id, "facts": self.facts}


def _acc(a: Account) -> dict[str, Any]:
    return {"id": a.id, "name": a.name, "platform_id": a.platform_id, "platform": platform_zh(a.platform, a.wechat_kind)}


def annex3_findings(session: Session, lexicon: Lexicon, unit: str | None = None) -> list[Annex3Finding]:
    q = select(Account).where(Account.lifecycle.in_(ACTIVE))
    if unit is not None:
        q = q.where(Account.host_unit == unit)
    accounts = list(session.scalars(q.order_by(Account.host_unit, Account.platform, Account.id)))
    out: list[Annex3Finding] = []
    by_unit: dict[str, list[Account]] = defaultdict(list)
    for a in accounts:
        by_unit[a.host_unit].append(a)
    consolidation_points = ANNEX3_LINES["annex3.consolidation"][2]
    for host, group in by_unit.items():
        district = next((a.district for a in group if a.district), None)
        per_platform: dict[str, list[Account]] = defaultdict(list)
        for a in group:
            per_platform[platform_zh(a.platform, a.wechat_kind)].append(a)
        for label, same in per_platform.items():
            if len(same) > 1:
                out.append(Annex3Finding("annex3.consolidation", host, district, label, [_acc(a) for a in same],
                                         consolidation_points, "auto", facts={"count": len(same)}))
        names = {label: {a.name for a in same} for label, same in per_platform.items()}
        if len(names) > 1 and len({canonical(n, lexicon) for ns in names.values() for n in ns}) > 1:
            out.append(Annex3Finding("annex3.name_consistency", host, district, None, [_acc(a) for a in group], 0,
                                     "auto", facts={"names": {k: sorted(v) for k, v in names.items()}}))
    cq = select(DiscoveryCandidate).where(DiscoveryCandidate.kind == "unregistered",
                                          DiscoveryCandidate.state.in_(("open", "registered")))
    if unit is not None:
        cq = cq.where(DiscoveryCandidate.matched_unit == unit)
    scope_points = ANNEX3_LINES["annex3.scope"][2]
    districts = {a.host_unit: a.district for a in accounts if a.district}
    for c in session.scalars(cq.order_by(DiscoveryCandidate.matched_unit, DiscoveryCandidate.id)):
        out.append(Annex3Finding(
            "annex3.scope", c.matched_unit, districts.get(c.matched_unit), platform_zh(c.platform),
            [{"id": c.account_id, "name": c.name, "platform_id": c.platform_id, "platform": platform_zh(c.platform),
              "profile_url": c.profile_url}],
            scope_points, "confirmed" if c.state == "registered" else "suspected", candidate_id=c.id,
            facts={"verification_text": c.verification_text, "followers_count": c.followers_count,
                   "statuses_count": c.statuses_count,
                   "latest_post_at": c.latest_post_at.isoformat() if c.latest_post_at else None}))
    order = {code: i for i, code in enumerate(ANNEX3_LINES)}
    out.sort(key=lambda f: (order[f.code], f.host_unit, f.platform or ""))
    return out


def deductions(findings: list[Annex3Finding]) -> dict[str, dict[str, int]]:
    """考核对象 → {二级指标 code: points deducted}, each line capped as Annex 3 says; only
    findings that stand (registry facts, registered candidates) count."""
    raw: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for f in findings:
        if f.points and f.state in ("auto", "confirmed"):
            raw[f.assessed][f.code] += f.points
    return {who: {code: min(p, ANNEX3_LINES[code][3]) for code, p in lines.items()} for who, lines in raw.items()}
