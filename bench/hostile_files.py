"""Memory and time for each hostile file the monitor may meet (issue 26 item 2 and 5).

    .venv/bin/python bench/hostile_files.py [NAME ...]

``unbounded:manifest-bomb`` and ``unbounded:entry-bomb`` (run only when named) show what
the unbounded check cost: a plain inflate of the manifest, ``zipfile.testzip()``.

Each case runs in a fresh Python process (its peak RSS is that case's alone, the imports'
included: see ``baseline``) and prints one JSON line: the result the product gives, peak
RSS in MB and seconds. The files are generated here (small on disk); APKs are served by
the sandbox on loopback and checked as the apps spider checks them (range check, then the
full download with CRC test); registry files are read as ``monitor accounts import`` reads
them; the gzip-bomb feed is crawled by the real crawl child (its peak RSS is reported).
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _apk(case: str) -> dict:
    import asyncio

    from monitor.sandbox import Faults, SandboxServer, World, load_scenario
    from spiders.appcheck import HttpxTransport, check_download, verify_full

    srv = SandboxServer(World(load_scenario("demo"), Faults.parse(None))).start()
    try:
        url = f"{srv.url}/apps/cases/{case}"
        # The file is made on the first request; ask once so its making is not timed.
        import httpx
        httpx.get(url, headers={"Range": "bytes=0-0"})
        size = int(httpx.get(url, headers={"Range": "bytes=0-0"}).headers["content-range"].split("/")[1])

        async def go():
            async with HttpxTransport() as t:
                r = await check_download(t, url, None)
                return await verify_full(t, r) if r.outcome == "ok" else r

        start = time.perf_counter()
        r = asyncio.run(go())
        seconds = time.perf_counter() - start
    finally:
        srv.stop()
    return {"file_bytes": size, "outcome": r.outcome, "reason": r.reason,
            "detail": r.detail or (r.details.get("crc_skipped") or {}).get("detail"),
            "crc_checked": r.details.get("crc_checked"), "seconds": round(seconds, 2)}


def _unbounded(which: str) -> dict:
    """What the check did before it was bounded (run only when named: it takes GBs)."""
    import io
    import zipfile
    import zlib

    from monitor.sandbox import bombs

    data = bombs.manifest_bomb() if which == "manifest" else bombs.entry_bomb()
    start = time.perf_counter()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if which == "manifest":
            info = z.getinfo("AndroidManifest.xml")
            raw = data[info.header_offset + 30 + len(info.filename) + len(info.extra):][:info.compress_size]
            result = f"inflated {len(zlib.decompress(raw, -15)) >> 20} MB"
        else:
            result = f"testzip -> {z.testzip()}"
    return {"file_bytes": len(data), "result": result, "seconds": round(time.perf_counter() - start, 2)}


def _registry(name: str) -> dict:
    from monitor.registry import RegistryFileError, read_registry

    path = Path(name)
    start = time.perf_counter()
    try:
        parsed = read_registry(path)
        result = f"{len(parsed.records)} record(s), {len(parsed.invalid)} invalid"
    except RegistryFileError as exc:
        result = str(exc).split(": ", 1)[1]
    return {"file_bytes": path.stat().st_size, "result": result, "seconds": round(time.perf_counter() - start, 2)}


def _feed_bomb() -> dict:
    """A wechat feed served gzip-encoded that inflates to 1 GiB, crawled by the real child."""
    from monitor.app import App
    from monitor.config import Settings
    from monitor.crawl import run_crawl
    from monitor.sandbox import Faults, SandboxServer, Scenario, World
    from monitor.timeutil import resolve_at
    from storage.models import Account, Observation

    at = resolve_at("2026-11-24T02:00:00+08:00")
    biz = "MzA5MzAwMDAwMg=="
    srv = SandboxServer(World(Scenario([{"platform": "wechat", "id": biz, "name": "炸弹号", "feed_bomb": 1024,
                                          "posts": [{"days_ago": 1}]}], at=at), Faults.parse(None))).start()
    work = Path(tempfile.mkdtemp())
    try:
        from monitor.sandbox import platform_config

        app = App(Settings(database_url=f"sqlite:///{work}/m.db", evidence_dir=str(work / "ev"),
                           report_dir=str(work / "rep"), warc_dir=str(work / "warc"),
                           crawl={"delay": 0, "autothrottle": False, "retries": 0,
                                  "allow_networks": ["127.0.0.0/8", "::1/128"]},  # the sandbox is on loopback
                           **platform_config(srv.url)))
        app.init_db()
        with app.session() as s:
            s.add(Account(name="炸弹号", platform="wechat", wechat_kind="订阅号", host_unit="炸弹单位", platform_id=biz,
                          feed_url=f"{srv.url}/feeds/rsshub/{biz}.xml"))
        start = time.perf_counter()
        result = run_crawl(app, at, ["wechat"])
        seconds = time.perf_counter() - start
        with app.session() as s:
            reason = s.query(Observation.reason).scalar()
    finally:
        srv.stop()
    return {"result": reason, "child_peak_rss_mb": round(result.peak_rss_mb, 1), "seconds": round(seconds, 2)}


REGISTRY_FILES = {
    "registry:far-cell.xlsx": lambda p: __import__("monitor.sandbox.bombs", fromlist=["x"]).far_cell_xlsx(p),
    "registry:50MB-cell.xlsx": lambda p: __import__("monitor.sandbox.bombs", fromlist=["x"]).huge_cell_xlsx(p),
    "registry:200KiB-cell.csv": lambda p: __import__("monitor.sandbox.bombs", fromlist=["x"]).huge_cell_csv(p),
}

CASES = {
    "apk:good.apk": lambda: _apk("good.apk"),
    "apk:manifest-bomb.apk": lambda: _apk("manifest-bomb.apk"),
    "apk:entry-bomb.apk": lambda: _apk("entry-bomb.apk"),
    **{name: (lambda name=name: _registry(name.split(":", 1)[1])) for name in REGISTRY_FILES},
    "feed:gzip-bomb-1GiB": _feed_bomb,
}
ON_REQUEST = {
    "unbounded:manifest-bomb": lambda: _unbounded("manifest"),
    "unbounded:entry-bomb": lambda: _unbounded("entry"),
}


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM; ru_maxrss would carry the parent's over fork+exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _one(name: str) -> dict:
    out = {"case": name}
    out.update({**CASES, **ON_REQUEST}[name]())
    out["peak_rss_mb"] = _peak_rss_mb()
    return out


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        print(json.dumps(_one(argv[1]), ensure_ascii=False))
        return
    names = argv or list(CASES)
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in REGISTRY_FILES.items():  # made here: the child measures reading only
            if name in names:
                make(Path(tmp) / name.split(":", 1)[1])
        for name in names:
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True,
                                  cwd=tmp, timeout=900)
            if proc.returncode:
                print(json.dumps({"case": name, "error": proc.stderr.strip().splitlines()[-1:],
                                  "exit": proc.returncode}, ensure_ascii=False), flush=True)
                continue
            row = json.loads(proc.stdout.strip().splitlines()[-1])
            row["process_seconds"] = round(time.perf_counter() - start, 2)
            print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
