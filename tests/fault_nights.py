"""The demo scenario's night T under injected faults, next to the same night without them.

One sandbox and one registry; night T−1 is crawled cleanly once and its database copied,
then night T runs on a copy per fault setting with the real ``monitor run``. What each
account's card says is compared with the fault-free night: a fault may make an account
未能核验, never add a veto or a deduction. Used by tests/test_fault_matrix.py and by
bench/fault_matrix.py (which prints the whole matrix).
"""
from __future__ import annotations

import json
import os
from collections import Counter
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from monitor.config import Crawl
from monitor.sandbox import Faults, SandboxServer, World, load_scenario
from monitor.sandbox.registry import demo_registry_text
from tests.fixtures.cli_env import flatten_env
from tests.fixtures.core import T

MONITOR = str(Path(sys.executable).with_name("monitor"))
LISTING_KINDS = ("timeline", "feed")  # the fetches that decide whether a feed account was checked
UNVERIFIABLE = "未能核验"
# Faulted nights: a download timeout under the sandbox's stall (yet long enough for the
# Weibo visitor step's browser on loopback, which uses it too), one retry, a short 418
# back-off. Every stalled request costs 2 × TIMEOUT: keep it small.
TIMEOUT = 4.0
STALL = 5.0
FAULTED = {"crawl": {"timeout": TIMEOUT, "retries": 1}, "platforms": {"weibo": {"backoff_418": 0.2}}}
KINDS = ("418", "500", "captcha", "timeout", "truncated", "layout")
# Demo accounts enough to cover every channel and every veto / deduction the demo has,
# with a clean account per platform (the other seven add crawl time, not cases).
SUBSET = ("南通发布", "崇川公安", "海门市场监管", "启东人社", "南通教育", "海安健康", "南通医保",
          "南通百通", "崇川政务", "通州湾服务")
MIX = "0.3:" + ",".join(KINDS)


@dataclass
class Night:
    name: str
    faults: str
    exit_code: int
    cards: dict[str, dict]
    failed: dict[str, str]  # account name → why its observations tonight count as failed
    rerun_exit_code: int | None = None
    output: str = ""
    served: dict[str, int] = field(default_factory=dict)  # platform → requests that drew a fault

    def vetoes(self) -> dict[str, set[str]]:
        return {n: set(c["vetoes"]) for n, c in self.cards.items()}

    def deductions(self) -> dict[str, dict[str, int]]:
        return {n: dict(c["deductions"]) for n, c in self.cards.items()}

    def unverifiable(self) -> set[str]:
        return {n for n, c in self.cards.items() if c["verdict"] == UNVERIFIABLE}


@dataclass
class Comparison:
    """What a faulted night says that the fault-free one does not."""
    extra_vetoes: dict[str, set[str]] = field(default_factory=dict)
    extra_deductions: dict[str, dict[str, int]] = field(default_factory=dict)
    failed_but_scored: dict[str, str] = field(default_factory=dict)  # account → verdict it got anyway

    @property
    def clean(self) -> bool:
        return not (self.extra_vetoes or self.extra_deductions or self.failed_but_scored)


def compare(night: Night, baseline: Night, platforms: set[str] | None = None) -> Comparison:
    """``platforms``: judge only accounts on these registry platforms (None = all)."""
    out = Comparison()
    base_v, base_d = baseline.vetoes(), baseline.deductions()
    mine = {n for n, c in night.cards.items() if platforms is None or c["platform"] in platforms}
    for name, vetoes in night.vetoes().items():
        if name not in mine:
            continue
        if vetoes - base_v.get(name, set()):
            out.extra_vetoes[name] = vetoes - base_v.get(name, set())
    for name, deds in night.deductions().items():
        if name not in mine:
            continue
        extra = {r: p for r, p in deds.items() if p > base_d.get(name, {}).get(r, 0)}
        if extra:
            out.extra_deductions[name] = extra
    for name in night.failed.keys() & mine:
        card = night.cards[name]
        if card["verdict"] != UNVERIFIABLE:
            out.failed_but_scored[name] = f"{card['verdict']} {card['score']} {card['vetoes'] or ''}".strip()
    return out


class Drill:
    """Night T−1 crawled once without faults; ``night()`` runs night T on a copy."""

    def __init__(self, workdir: Path, accounts: tuple[str, ...] | None = SUBSET):
        self.workdir = workdir
        self.srv = SandboxServer(World(load_scenario("demo", at=T, seed=1))).start()
        self.registry = workdir / "registry.csv"
        lines = demo_registry_text(self.srv.url).splitlines(keepends=True)
        self.registry.write_text(lines[0] + "".join(line for line in lines[1:] if accounts is None
                                                   or line.split(",", 1)[0] in accounts), encoding="utf-8")
        self.first = workdir / "first-night"
        self.first.mkdir(parents=True)
        self._cli(self.first, ["init"])
        self._cli(self.first, ["accounts", "import", str(self.registry)])
        self.srv.world.set_clock(T - timedelta(days=1))
        self._cli(self.first, ["run", "--at", (T - timedelta(days=1)).isoformat(), "--stage", "crawl"])

    def close(self) -> None:
        self.srv.stop()

    def values(self, where: Path, faulted: bool) -> dict:
        values = {"database_url": f"sqlite:///{where / 'm.db'}", "evidence_dir": str(where / "ev"),
                  "report_dir": str(where / "rep"), "warc_dir": str(where / "warc"),
                  "alerts": {"outbox": str(where / "outbox.jsonl")},
                  "crawl": {"delay": 0, "autothrottle": False}, **self.srv.config_overrides()}
        if "allow_networks" in Crawl.model_fields:  # the sandbox is on loopback
            values["crawl"]["allow_networks"] = ["127.0.0.0/8", "::1/128"]
        if faulted:
            values["crawl"].update(FAULTED["crawl"])
            values["platforms"]["weibo"].update(FAULTED["platforms"]["weibo"])
        return values

    def _cli(self, where: Path, args: list[str], faulted: bool = False, check: bool = True):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        env.update(flatten_env(self.values(where, faulted)))
        proc = subprocess.run([MONITOR, *args], env=env, cwd=where, capture_output=True, text=True, timeout=900)
        if check and proc.returncode != 0:
            raise AssertionError(f"monitor {' '.join(args)} exited {proc.returncode}\n{proc.stdout[-3000:]}\n"
                                 f"{proc.stderr[-5000:]}")
        return proc

    def night(self, name: str, faults: str = "", rerun: bool = False) -> Night:
        """Night T with ``faults`` ('' = none, else Faults.parse text; the stall is STALL s)."""
        where = self.workdir / name
        where.mkdir()
        shutil.copy(self.first / "m.db", where / "m.db")
        spec = Faults.parse(faults) if faults else Faults()
        self.srv.world.faults = Faults(spec.rate, spec.kinds, timeout_seconds=STALL)
        self.srv.world.set_clock(T)
        # The matrix needs the verdicts: crawl, detect, score. A re-run is the whole cycle, twice.
        stages = [] if rerun else ["--stage", "crawl", "--stage", "detect", "--stage", "score"]
        try:
            run = self._cli(where, ["run", "--at", T.isoformat(), *stages], faulted=bool(faults), check=False)
            again = self._cli(where, ["run", "--at", T.isoformat()], faulted=bool(faults), check=False) if rerun else None
        finally:
            served = Counter()
            for (platform, _), n in self.srv.world.faults.served.items():
                served[platform] += n
            self.srv.world.faults = Faults()
        cards = {c["account_name"]: c for c in json.loads(
            self._cli(where, ["score", "--format", "json", "--at", T.isoformat()]).stdout)}
        return Night(name, faults, run.returncode, cards, failed_tonight(where / "m.db", name_of=cards),
                     again.returncode if again else None, (run.stdout + run.stderr)[-4000:], dict(served))


def failed_tonight(db: Path, name_of: dict) -> dict[str, str]:
    """Accounts whose observations of night T failed, read straight from the database:
    a feed account whose timeline / feed fetch was not ok (or never made), an app-like
    account none of whose channel checks was definite."""
    con = sqlite3.connect(db)
    try:
        runs = [r for (r,) in con.execute(
            "SELECT id FROM runs WHERE kind = 'crawl' AND parent_id = (SELECT max(id) FROM runs WHERE parent_id IS NULL)")]
        marks = ",".join("?" * len(runs)) or "NULL"
        accounts = con.execute("SELECT id, name, platform, wechat_kind FROM accounts WHERE lifecycle != '注销'").fetchall()
        obs = con.execute(f"SELECT account_id, kind, outcome, reason FROM observations WHERE run_id IN ({marks}) "
                          "ORDER BY observed_at, id", runs).fetchall()
        checks = con.execute(f"SELECT account_id, channel, outcome, reason FROM app_checks WHERE run_id IN ({marks})",
                             runs).fetchall()
    finally:
        con.close()
    out: dict[str, str] = {}
    for aid, name, platform, kind in accounts:
        if platform == "app" or kind == "小程序":
            mine = [(c, o, r) for a, c, o, r in checks if a == aid]
            if not any(o != "unknown" for _, o, _ in mine):
                out[name] = "no definite channel: " + "; ".join(f"{c} {r}" for c, _, r in mine) if mine else "no check"
            continue
        mine = [(k, o, r) for a, k, o, r in obs if a == aid and k in LISTING_KINDS]
        if not mine:
            out[name] = "no listing observation"
        elif mine[-1][1] != "ok":
            out[name] = f"{mine[-1][0]} {mine[-1][1]}: {mine[-1][2]}"
    return {n: why for n, why in out.items() if n in name_of}
