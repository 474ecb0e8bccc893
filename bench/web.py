"""Web workspace page times and memory on a city-sized database.

    .venv/bin/python bench/web.py [--accounts 10000] [--nights 90] [--requests 20]

Builds a SQLite database with bench/run.py's generator (N Weibo accounts, ~1 post a day for
90 days), runs the real detection and scoring for T, then adds the 89 earlier nights' score
cards, observations and cycle runs (copies of T's with some verdicts changed, bulk-inserted:
detection is measured in bench/run.py). Serves it with `monitor web` in its own process and
prints the median server-side time (the Server-Timing header) of each page over N requests,
and the web process's resident memory.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from run import T, _make_history, emit  # noqa: E402  (bench/run.py's generator)


def _earlier_nights(db_url: str, nights: int) -> None:
    from sqlalchemy import insert, select

    from monitor.scoring.summary import store_night_summary
    from storage.db import make_engine
    from storage.models import Observation, Run, ScoreCard

    engine = make_engine(db_url)
    rng = random.Random(7)
    with engine.connect() as c:
        cards = [dict(r._mapping) for r in c.execute(select(ScoreCard).where(ScoreCard.at == T))]
        obs = [dict(r._mapping) for r in c.execute(select(Observation))]
    for k in range(1, nights):
        night = T - timedelta(days=k)
        rows = []
        for card in cards:
            row = {**card, "at": night, "period_end": night}
            row.pop("id")
            if rng.random() < 0.03:  # some accounts were in a different state that night
                row.update(verdict="合格", score=100, vetoes=[]) if card["verdict"] != "合格" else \
                    row.update(verdict="不合格", score=None, vetoes=["veto.no_update_2w"])
            rows.append(row)
        with engine.begin() as c:
            c.execute(insert(ScoreCard), rows)
            store_night_summary(c, night)  # as the score stage does when it stores the cards
            c.execute(insert(Observation), [{**{k2: v for k2, v in o.items() if k2 != "id"},
                                             "observed_at": o["observed_at"] - timedelta(days=k)} for o in obs])
            cycle = c.execute(insert(Run).values(kind="cycle", at=night, started_at=night,
                                                 finished_at=night + timedelta(minutes=40), outcome="ok", counts={}))
            for i, stage in enumerate(("crawl", "detect", "evidence", "score", "alert", "report")):
                c.execute(insert(Run).values(kind=stage, parent_id=cycle.inserted_primary_key[0], at=night,
                                             started_at=night + timedelta(minutes=i * 6),
                                             finished_at=night + timedelta(minutes=i * 6 + 5), outcome="ok",
                                             counts={"accounts": len(cards)}))
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--accounts", type=int, default=10000)
    ap.add_argument("--nights", type=int, default=90)
    ap.add_argument("--requests", type=int, default=20)
    args = ap.parse_args()
    import httpx

    from monitor.app import App
    from monitor.config import Settings
    from monitor.detectors import run_detection
    from monitor.scoring import score_all
    from monitor.web.users import add_user
    from storage.db import upgrade_to_head

    with tempfile.TemporaryDirectory(prefix="monitor-bench-web-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'web.db'}"
        upgrade_to_head(db_url)
        t0 = time.perf_counter()
        posts = _make_history(db_url, args.accounts, days=args.nights)
        app = App(Settings(database_url=db_url, evidence_dir=str(Path(tmp) / "evidence")))
        run_detection(app, T)
        score_all(app, T)
        _earlier_nights(db_url, args.nights)
        add_user(app, "bench", "inspector", "bench-password")
        emit("web_db_build", round(time.perf_counter() - t0, 1), "s", accounts=args.accounts, nights=args.nights,
             posts=posts, db_mb=round(Path(tmp, "web.db").stat().st_size / 2**20))
        port = _free_port()
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")},
               "MONITOR_DATABASE_URL": db_url, "MONITOR_WEB__SECRET_KEY": "bench"}
        server = subprocess.Popen([str(Path(sys.executable).with_name("monitor")), "web", "--port", str(port)],
                                  env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=120) as client:
                for _ in range(600):
                    try:
                        page = client.get("/login")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
                r = client.post("/login", data={"username": "bench", "password": "bench-password", "csrf_token": token})
                assert r.status_code in (200, 303), r.text[:300]
                middle = args.accounts // 2
                for path in ("/", "/accounts", "/accounts?sort=score&desc=true&page=100", f"/accounts/{middle}",
                             "/review", "/runs"):
                    times = []
                    for _ in range(args.requests):
                        r = client.get(path)
                        assert r.status_code == 200, (path, r.status_code)
                        times.append(float(r.headers["server-timing"].split("dur=")[1]))
                    emit(f"web_page{path}", round(statistics.median(times), 1), "ms (median, server side)",
                         goal="< 1000 ms", max_ms=round(max(times), 1), requests=len(times), bytes=len(r.content))
            rss, peak = _rss_mb(server.pid)
            emit("web_process_rss", round(rss), "MB", peak_mb=round(peak))
        finally:
            server.terminate()
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
