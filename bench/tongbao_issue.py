"""Issuing a quarter's 通报: time and peak memory for N accounts × 90 nights of findings.

    .venv/bin/python bench/tongbao_issue.py [--accounts 1000] [--nights 90] [--db sqlite|postgresql]

Bulk-inserts the findings a quarter leaves (every night: a 内容不更新 veto for 5 % of the
accounts, 更新不及时 weeks for 20 %, suspected ads for 10 %), then times
``issue_tongbao`` (cite the latest night of each case with every night's evidence ids,
freeze, open the orders) and prints JSON lines like bench/run.py.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from run import T, emit  # noqa: E402  (bench/run.py's time point and output)


def _seed(db_url: str, accounts: int, nights: int) -> None:
    from sqlalchemy import insert

    from storage.db import make_engine
    from storage.models import Account, Finding

    engine = make_engine(db_url)
    with engine.begin() as c:
        c.execute(insert(Account), [{"id": i, "name": f"账号{i}", "platform": "weibo", "host_unit": f"单位{i % 300}",
                                     "district": f"区{i % 10}", "platform_id": str(10**9 + i), "store_ids": {},
                                     "profile_facts": {}, "lifecycle": "开设"} for i in range(1, accounts + 1)])
        for night in range(nights):
            at = T - timedelta(days=night)
            rows = []
            for i in range(1, accounts + 1):
                if i % 20 == 0:
                    rows.append({"account_id": i, "rule": "veto.no_update_2w", "at": at, "case_key": "",
                                 "state": "auto", "facts": {"days_silent": 15 + night}, "confidence": 1.0,
                                 "source": "detector", "evidence_id": uuid.uuid4().hex * 2 if night % 7 == 0 else None})
                if i % 5 == 0:
                    week = (at - timedelta(days=7 + at.weekday())).date().isoformat()
                    rows.append({"account_id": i, "rule": "ded.untimely_update", "at": at, "case_key": week,
                                 "state": "auto", "facts": {}, "confidence": 1.0, "source": "detector",
                                 "evidence_id": None})
                if i % 10 == 3:
                    rows.append({"account_id": i, "rule": "ded.commercial_ads", "at": at, "case_key": f"post:{i}",
                                 "state": "suspected", "facts": {}, "confidence": 0.4, "source": "detector",
                                 "evidence_id": None})
            c.execute(insert(Finding), rows)
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--nights", type=int, default=90)
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args()

    from monitor.app import App
    from monitor.config import Settings
    from monitor.orders import issue_tongbao
    from monitor.reports.period import parse_period
    from monitor.rules import load_ruleset
    from storage.db import upgrade_to_head

    with tempfile.TemporaryDirectory() as tmp:
        admin = None
        if args.db == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        else:
            from sqlalchemy import create_engine, text

            name = f"bench_tongbao_{uuid.uuid4().hex[:8]}"
            admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
            with admin.connect() as c:
                c.execute(text(f'CREATE DATABASE "{name}"'))
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        try:
            upgrade_to_head(url)
            t0 = time.perf_counter()
            _seed(url, args.accounts, args.nights)
            emit("seed", round(time.perf_counter() - t0, 1), "s", accounts=args.accounts, nights=args.nights)
            app = App(Settings(database_url=url))
            ruleset = load_ruleset(app.settings)
            tracemalloc.start()
            t0 = time.perf_counter()
            with app.session() as s:
                tb = issue_tongbao(s, parse_period("2026Q4"), ruleset, app.tz, issued_on=date(2026, 12, 1),
                                   issued_by="bench", deadline_days=10, now=T)
                totals = tb.content["totals"]
            elapsed = time.perf_counter() - t0
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            emit("tongbao_issue", round(elapsed, 2), "s", db=args.db, accounts=args.accounts, nights=args.nights,
                 cited_accounts=totals["accounts"], cited_findings=totals["findings"],
                 evidence_ids=len(totals["evidence_ids"]))
            emit("tongbao_issue_peak_python_memory", round(peak, 1), "MB", db=args.db, accounts=args.accounts)
            app.engine.dispose()
        finally:
            if admin is not None:
                with admin.connect() as c:
                    c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
