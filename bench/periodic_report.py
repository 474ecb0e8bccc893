"""Time and peak memory to build a quarterly report (``monitor report --period 2026Q4``:
HTML, xlsx and .docx) for 1,000 and 10,000 accounts × 90 nights, on SQLite and PostgreSQL.

    .venv/bin/python bench/periodic_report.py [--accounts 1000 10000] [--nights 90] [--backends sqlite postgresql]

The data is generated straight into the database (one score card per account and night,
findings for the accounts that had a veto or a deduction episode, 1 % of accounts never
checkable): SQLite through executemany in one transaction, PostgreSQL through COPY. Each
report is then built in a fresh process, which prints the time of the SQL aggregates
(``load_periodic``) and of the whole build, and its peak resident memory (ru_maxrss).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TZ = ZoneInfo("Asia/Shanghai")
PG_ADMIN = os.environ.get("MONITOR_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DISTRICTS = ["市本级", "崇川区", "通州区", "海门区", "如皋市", "海安市", "如东县", "启东市", "开发区", "通州湾示范区"]
PLATFORMS = [("weibo", None), ("wechat", "订阅号"), ("wechat", "服务号"), ("app", None)]
VETOES = ["veto.no_update_2w", "veto.app_unavailable", "veto.security"]
DEDUCTIONS = ["ded.untimely_update", "ded.irregular_verification", "ded.broken_function"]


def nights(n: int) -> list[datetime]:
    last = datetime(2026, 12, 31, 2, 0, tzinfo=TZ)
    return [last - timedelta(days=k) for k in range(n - 1, -1, -1)]


def generate(n_accounts: int, n_nights: int, seed: int = 22):
    """(accounts, cards, findings) as plain tuples; every timestamp aware UTC."""
    rng = random.Random(seed)
    now = datetime(2027, 1, 1, tzinfo=timezone.utc)
    units = max(1, n_accounts // 3)
    accounts = []
    for i in range(1, n_accounts + 1):
        unit = i % units  # about three accounts per 主办单位, each unit in one 属地
        district = DISTRICTS[unit % len(DISTRICTS)]
        platform, kind = PLATFORMS[i % len(PLATFORMS)]
        lifecycle = "关停" if rng.random() < 0.005 else "开设"
        accounts.append((i, f"账号{i:05d}", platform, kind, f"{district}第{unit:04d}单位", district,
                         f"{platform}-{i}", "{}", lifecycle, "{}", now, now))
    cards, findings = [], []
    times = [t.astimezone(timezone.utc) for t in nights(n_nights)]
    for aid in range(1, n_accounts + 1):
        dead = rng.random() < 0.01
        veto_from = rng.randrange(n_nights) if rng.random() < 0.08 else None
        veto_len = rng.randint(3, 30)
        ded_from = rng.randrange(n_nights) if rng.random() < 0.15 else None
        veto_rule, ded_rule = rng.choice(VETOES), rng.choice(DEDUCTIONS)
        for k, at in enumerate(times):
            start = at - timedelta(days=28)
            if dead or rng.random() < 0.03:
                cards.append((aid, at, start, at, "未能核验", None, "[]", "{}", "[]", "[]", now))
                continue
            if veto_from is not None and veto_from <= k < veto_from + veto_len:
                findings.append((aid, veto_rule, at, "", "{}", 1.0, "auto", "detector", now, now))
                cards.append((aid, at, start, at, "不合格", None, json.dumps([veto_rule]), "{}", "[]", "[]", now))
                continue
            if ded_from is not None and k >= ded_from:
                findings.append((aid, ded_rule, at, "", "{}", 1.0, "auto", "detector", now, now))
                cards.append((aid, at, start, at, "合格", 90, "[]", json.dumps({ded_rule: 10}), "[]", "[]", now))
                continue
            cards.append((aid, at, start, at, "合格", 100, "[]", "{}", "[]", "[]", now))
    return accounts, cards, findings


ACCOUNT_COLS = ("id, name, platform, wechat_kind, host_unit, district, platform_id, store_ids, lifecycle, "
                "profile_facts, created_at, updated_at")
CARD_COLS = ("account_id, at, period_start, period_end, verdict, score, vetoes, deductions, pending, finding_ids, "
             "created_at")
FINDING_COLS = "account_id, rule, at, case_key, facts, confidence, state, source, created_at, updated_at"


def _sqlite_time(v):
    # SQLAlchemy's SQLite DateTime storage: naive UTC, always with microseconds.
    return v.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds") if isinstance(v, datetime) else v


def load_sqlite(path: Path, data) -> str:
    from storage.db import upgrade_to_head

    url = f"sqlite:///{path}"
    upgrade_to_head(url)
    accounts, cards, findings = data
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    with con:
        for table, cols, rows in (("accounts", ACCOUNT_COLS, accounts), ("score_cards", CARD_COLS, cards),
                                  ("findings", FINDING_COLS, findings)):
            marks = ", ".join("?" * len(cols.split(",")))
            con.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                            ([_sqlite_time(v) for v in row] for row in rows))
        con.executemany("INSERT INTO runs (kind, at, started_at, outcome, counts) VALUES ('detect', ?, ?, 'ok', '{}')",
                        [(_sqlite_time(t.astimezone(timezone.utc)),) * 2 for t in nights(len({c[1] for c in cards}))])
    con.execute("ANALYZE")
    con.close()
    return url


def load_postgres(data) -> tuple[str, str]:
    import psycopg
    from sqlalchemy import create_engine, text

    from storage.db import upgrade_to_head

    name = f"bench_periodic_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    upgrade_to_head(url)
    accounts, cards, findings = data
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as con, con.cursor() as cur:
        for table, cols, rows in (("accounts", ACCOUNT_COLS, accounts), ("score_cards", CARD_COLS, cards),
                                  ("findings", FINDING_COLS, findings)):
            with cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        cur.execute("SELECT setval('accounts_id_seq', (SELECT max(id) FROM accounts))")
        n = len({c[1] for c in cards})
        with cur.copy("COPY runs (kind, at, started_at, outcome, counts) FROM STDIN") as copy:
            for t in nights(n):
                copy.write_row(("detect", t, t, "ok", "{}"))
        cur.execute("ANALYZE")
    return url, name


def drop_postgres(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def build(url: str, out: str) -> None:
    """In a fresh process: build the 2026Q4 report, print one JSON line of timings and memory."""
    t0 = time.perf_counter()
    from monitor.app import App
    from monitor.config import Settings
    from monitor.reports import write_periodic_report
    from monitor.reports.period import parse_period
    from monitor.reports.periodic import load_periodic

    app = App(Settings(database_url=url, report_dir=out, evidence_dir=out))
    period = parse_period("2026Q4")
    t1 = time.perf_counter()
    data = load_periodic(app, period)
    t2 = time.perf_counter()
    paths = write_periodic_report(app, period, out, dated=date(2027, 1, 4))
    t3 = time.perf_counter()
    print(json.dumps({"import_s": round(t1 - t0, 2), "sql_s": round(t2 - t1, 2), "build_s": round(t3 - t2, 2),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                      "units": len(data.by_host_unit), "nights": len(data.trend),
                      "sizes_kb": {k: round(Path(p).stat().st_size / 1024) for k, p in paths.items()}}))


def run_build(url: str, out: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, __file__, "--build", url, str(out)], capture_output=True, text=True,
                          env=env, check=False)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--nights", type=int, default=90)
    ap.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    ap.add_argument("--build", nargs=2, metavar=("URL", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build:
        build(*args.build)
        return
    print(f"{'accounts':>8} {'backend':>10} {'cards':>9} {'findings':>8} {'load_s':>7} "
          f"{'sql_s':>6} {'build_s':>8} {'peak_MB':>8}  files (KB)")
    for n in args.accounts:
        data = generate(n, args.nights)
        for backend in args.backends:
            with tempfile.TemporaryDirectory() as tmp:
                t0 = time.perf_counter()
                name = None
                if backend == "sqlite":
                    url = load_sqlite(Path(tmp) / "bench.db", data)
                else:
                    url, name = load_postgres(data)
                loaded = time.perf_counter() - t0
                try:
                    r = run_build(url, Path(tmp) / "out")
                finally:
                    if name:
                        drop_postgres(name)
            print(f"{n:>8} {backend:>10} {len(data[1]):>9} {len(data[2]):>8} {loaded:>7.1f} "
                  f"{r['sql_s']:>6.2f} {r['build_s']:>8.2f} {r['peak_rss_mb']:>8.1f}  {r['sizes_kb']}", flush=True)


if __name__ == "__main__":
    main()
