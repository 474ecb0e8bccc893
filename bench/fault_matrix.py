"""The fault matrix: the demo's night T under each injected fault, next to the same night
without faults (issue 26 item 1).

    .venv/bin/python bench/fault_matrix.py [--rates 1,0.3] [--kinds 418,500,...] [--mix 0.3]

For every kind × rate it runs the real ``monitor run`` against the sandbox (night T−1 is
crawled once without faults and copied) and prints, per night: the vetoes, deduction cases
and 未能核验 accounts, how many of those the fault-free night does not have, and the
accounts whose observations failed yet were scored. Then one JSON line per night.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fault_nights import KINDS, Drill, compare  # noqa: E402


def summary(night, baseline) -> dict:
    diff = compare(night, baseline)
    return {
        "night": night.name, "faults": night.faults or "none", "exit": night.exit_code,
        "rerun_exit": night.rerun_exit_code,
        "vetoes": sum(len(v) for v in night.vetoes().values()),
        "deductions": sum(len(d) for d in night.deductions().values()),
        "unverifiable": len(night.unverifiable()), "failed_observations": len(night.failed),
        "extra_vetoes": sum(len(v) for v in diff.extra_vetoes.values()),
        "extra_deductions": sum(len(d) for d in diff.extra_deductions.values()),
        "failed_but_scored": len(diff.failed_but_scored),
        "reached": ",".join(sorted(night.served)) or "-",
        "detail": {"extra_vetoes": {k: sorted(v) for k, v in diff.extra_vetoes.items()},
                   "extra_deductions": diff.extra_deductions, "failed_but_scored": diff.failed_but_scored},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--rates", default="1")
    ap.add_argument("--mix", default="0.3", help="rate of the night mixing every kind ('' = none)")
    args = ap.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    specs = [f"{r}:{k}" for r in args.rates.split(",") if r for k in kinds]
    if args.mix:
        specs.append(f"{args.mix}:{','.join(kinds)}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="fault-matrix-") as tmp:
        started = time.monotonic()
        drill = Drill(Path(tmp))
        try:
            baseline = drill.night("fault-free")
            rows.append(summary(baseline, baseline))
            for i, spec in enumerate(specs):
                rows.append(summary(drill.night(f"n{i}", spec, rerun=spec.endswith(",".join(kinds))), baseline))
        finally:
            drill.close()
        elapsed = time.monotonic() - started
    head = f"{'faults':<34} {'exit':>4} {'vetoes':>6} {'deduct':>6} {'未能核验':>6} {'failed':>6} " \
           f"{'+veto':>5} {'+deduct':>7} {'failed-but-scored':>17}  faults reached"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['faults']:<34} {r['exit']:>4} {r['vetoes']:>6} {r['deductions']:>6} {r['unverifiable']:>8} "
              f"{r['failed_observations']:>6} {r['extra_vetoes']:>5} {r['extra_deductions']:>7} {r['failed_but_scored']:>17}  {r['reached']}")
    print(f"({len(rows)} nights, {elapsed:.0f} s; accounts: {len(baseline.cards)})")
    for r in rows:
        print(json.dumps(r, ensure_ascii=False))
    return 0 if all(r["extra_vetoes"] == r["extra_deductions"] == r["failed_but_scored"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
