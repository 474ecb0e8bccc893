"""The Annex 3 part the report and the web workspace show: registry findings with their
line and points, deductions per 考核对象, open candidates (unregistered / 疑似仿冒), and what
the last discovery pass could not check (未能核验)."""
from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from monitor.discovery.annex3 import annex3_findings, deductions
from monitor.discovery.candidates import open_candidates
from monitor.discovery.runner import last_pass
from monitor.discovery.view import candidate_row, finding_row, unverified_rows
from monitor.reports.wording import ANNEX3_LINES, fmt_time
from monitor.rules.loader import Lexicon


def annex3_section(session: Session, lexicon: Lexicon, tz: ZoneInfo, unit: str | None = None,
                   today: date | None = None) -> dict[str, Any]:
    """``unit``: only that 主办单位's part (a unit user's view). ``today`` decides which
    rectification orders are overdue (default: today in ``tz``)."""
    from datetime import datetime

    from monitor.orders.figures import rectification_findings

    found = annex3_findings(session, lexicon, unit)
    found += rectification_findings(session, today or datetime.now(tz).date(), tz, unit)
    cands = [c for c in open_candidates(session) if unit is None or c.matched_unit == unit]
    run = last_pass(session, "weibo")
    counts = (run.counts or {}) if run is not None else {}
    pass_info = None
    if run is not None:
        unverified = [r for r in unverified_rows(counts) if unit is None or r["主办单位"] == unit]
        pass_info = {"id": run.id, "at": fmt_time(run.at, tz), "units": counts.get("units", 0),
                     "searched": counts.get("searched", 0), "requests": counts.get("requests", 0),
                     "outcome": run.outcome, "unverified": unverified}
    return {
        "findings": [{**finding_row(f, tz), "candidate_id": f.candidate_id, "code": f.code} for f in found],
        # Per 考核对象: each line (capped as Annex 3 says) and their sum — the part of the
        # 扣分指标 the monitor can evidence; the other lines are the assessor's.
        "deductions": [{"考核对象": who, "lines": {ANNEX3_LINES[code][0]: pts for code, pts in lines.items()},
                        "total": sum(lines.values())}
                       for who, lines in sorted(deductions(found).items())],
        "candidates": [candidate_row(c, tz) for c in cands if c.kind == "unregistered"],
        "impostors": [candidate_row(c, tz) for c in cands if c.kind == "impostor"],
        "pass": pass_info,
    }
