"""Where the crawl's writes run (``MONITOR_WRITER``: a writer process, a thread, inline on the
loop), and over how many crawl children the spiders are split ([crawl] processes), changes
nothing an operator or a recipient of evidence sees: the same rows, each citing
a WARC record of the very answer it was decided on. A writer process that dies fails the
crawl loudly and never leaves an account judged without its observation; no writer process
outlives the crawl."""
from __future__ import annotations

import hashlib
import os
import signal
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.crawl import run_crawl
from monitor.cycle import run_cycle
from monitor.evidence.warc_records import read_ref
from monitor.registry import UrlBases, read_registry, upsert_accounts
from monitor.scoring import score_json
from storage.models import Account, Observation, Post
from tests.fixtures.cli_env import wait_for
from tests.fixtures.core import T, make_app
from tests.fixtures.hanging import import_with_hanging_app, killed_part_way


def _import(app, registry_path) -> None:
    parsed = read_registry(registry_path, UrlBases.from_settings(app.settings))
    with app.session() as s:
        upsert_accounts(s, parsed.records)


def _cited(warc_dir: str, ref: str | None):
    if not ref:
        return None
    rec = read_ref(Path(warc_dir), ref)
    return rec.rec_type, rec.target_uri, rec.http_status, hashlib.sha256(rec.payload).hexdigest()


def _night(app) -> dict:
    """What the night stored, with the record each row cites read back from the WARC files."""
    warc = app.settings.warc_dir
    with app.session() as s:
        names = {a.id: a.name for a in s.scalars(select(Account))}
        obs = sorted((names[o.account_id], o.kind, o.outcome, o.reason, o.http_status, o.covered_from,
                      _cited(warc, o.capture_ref)) for o in s.scalars(select(Observation)))
        posts = sorted((names[p.account_id], p.platform_post_id, p.published_at, p.text_sha, p.text_source,
                        _cited(warc, p.text_capture)) for p in s.scalars(select(Post)))
    return {"observations": obs, "posts": posts}


def _writer_processes() -> list[int]:
    """Writer processes started by crawls of this test process (they inherit the crawl
    child's environment, which names this process as the crawl's parent)."""
    mark = f"MONITOR_CRAWL_PARENT={os.getpid()}".encode()
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if b"spiders.writer_process" in (d / "cmdline").read_bytes() and mark in (d / "environ").read_bytes().split(b"\0"):
                if (d / "stat").read_text().split(") ")[-1].split()[0] != "Z":
                    out.append(int(d.name))
        except OSError:
            continue
    return out


def test_rows_and_records_are_the_same_whichever_way_the_writes_run(sandbox, demo_registry, tmp_path):
    sandbox.world.state["weibo"].rate_limit = 10**9  # no chance 418 burst: the nights must be comparable
    nights = {}
    for mode in ("inline", "thread", "process"):
        app = make_app(f"sqlite:///{tmp_path / mode}.db", tmp_path / mode, **sandbox.config_overrides(),
                       crawl={"delay": 0})
        app.init_db()
        _import(app, demo_registry)
        result = run_crawl(app, T, ["weibo", "wechat"], extra={"MONITOR_WRITER": mode})
        assert result.ok, result.log_path.read_text()[-3000:]
        nights[mode] = _night(app)
    assert nights["process"]["observations"] and nights["process"]["posts"]
    # Every observation judged on an answer cites its response record, whichever the mode.
    bad = [o for o in nights["process"]["observations"] if o[2] == "ok" and not (o[-1] and o[-1][0] == "response")]
    assert not bad, bad
    assert nights["process"] == nights["thread"] == nights["inline"]
    assert not _writer_processes()


def test_a_night_split_over_crawl_children_stores_what_one_child_stores(sandbox, demo_registry, tmp_path):
    sandbox.world.state["weibo"].rate_limit = 10**9
    nights, warcs = {}, {}
    for processes in (1, 2):
        home = tmp_path / f"p{processes}"
        app = make_app(f"sqlite:///{home}.db", home, **sandbox.config_overrides(),
                       crawl={"delay": 0, "processes": processes})
        app.init_db()
        _import(app, demo_registry)
        result = run_crawl(app, T, ["weibo", "wechat"])
        assert result.ok, result.log_path.read_text()[-3000:]
        nights[processes] = _night(app)
        warcs[processes] = {f.name.split("-")[0]: f.name.split("-")[1] for f in Path(app.settings.warc_dir).rglob("*.warc.gz")}
    assert nights[2]["observations"] and nights[2] == nights[1]
    # One process for both spiders, or one each (each WARC file is named for its writer's crawl child).
    assert warcs[1]["weibo"] == warcs[1]["wechat"] and warcs[2]["weibo"] != warcs[2]["wechat"], warcs


def test_a_writer_process_killed_mid_night_fails_the_crawl_and_its_accounts_are_unverifiable(
        sandbox, demo_registry, sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0, "timeout": 5, "writer": "process"})
    # An app download that never answers keeps the crawl part-way while the writer is killed.
    import_with_hanging_app(app, sandbox, demo_registry)
    with killed_part_way(app, sandbox, _writer_processes):
        result = run_cycle(app, T, ["crawl", "detect", "score", "alert"], progress=False)
    crawl = result.stages[0]
    assert "exited with code 1" in crawl.message and "not reached" in crawl.message, crawl.message
    logs = "".join(p.read_text(encoding="utf-8") for p in Path(app.settings.warc_dir).parent.glob("logs/crawl-*.log"))
    assert "writer process died" in logs
    with app.session() as s:
        accounts = {a.id: a for a in s.scalars(select(Account))}
        obs = list(s.scalars(select(Observation).where(Observation.observed_at == T)))
    unreached = {o.account_id for o in obs if (o.reason or "").startswith("crawl_incomplete")}
    reached = {o.account_id for o in obs} - unreached
    crawled = {i for i, a in accounts.items() if a.lifecycle != "注销" and a.wechat_kind != "小程序"}
    assert unreached and reached | unreached == crawled
    cards = {c["account_id"]: c for c in score_json(app, T)}
    for account_id in unreached:
        assert cards[account_id]["verdict"] == "未能核验", cards[account_id]
    assert not _writer_processes()


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_no_writer_process_outlives_a_killed_crawl(how, sandbox, demo_registry, sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0, "timeout": 5, "writer": "process"})
    import_with_hanging_app(app, sandbox, demo_registry)
    done: list = []
    crawl = threading.Thread(target=lambda: done.append(run_crawl(app, T, ["apps"])), daemon=True)
    crawl.start()
    try:
        writers = wait_for(_writer_processes, 120, "the crawl's writer process")
        wait_for(lambda: sandbox.world.state.get("apps_hung"), 120, "the hanging download")
        child = int(next(line.split()[1] for line in Path(f"/proc/{writers[0]}/status").read_text().splitlines()
                         if line.startswith("PPid:")))
        os.kill(child, getattr(signal, how))
        crawl.join(120)
        assert done and (how == "SIGTERM" or not done[0].ok)
    finally:
        crawl.join(120)
    # SIGKILL: the kernel's parent-death signal; SIGTERM: the spiders close and stop it.
    wait_for(lambda: not _writer_processes(), 30, "the writer process to go")
