"""Memory and time for each hostile file the monitor may meet (issue 26 item 2 and 5).

    .venv/bin/python bench/hostile_files.py [NAME ...]

``unbounded:manifest-bomb`` and ``unbounded:entry-bomb`` (run only when named) show what
the unbounded check cost: a plain inflate of the manifest, ``zipfile.testzip()``.

Each case runs in a fresh Python process (its peak RSS is that case's alone, the imports'
included: see ``baseline``) and prints one JSON line: the result the product gives, peak
RSS in MB and seconds. The files are generated here (small on disk); APKs are served by
the sandbox on loopback and checked as the apps spider checks them (range check, then the
full download with CRC test).
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


CASES = {
    "apk:good.apk": lambda: _apk("good.apk"),
    "apk:manifest-bomb.apk": lambda: _apk("manifest-bomb.apk"),
    "apk:entry-bomb.apk": lambda: _apk("entry-bomb.apk"),
}
ON_REQUEST = {
    "unbounded:manifest-bomb": lambda: _unbounded("manifest"),
    "unbounded:entry-bomb": lambda: _unbounded("entry"),
}


def _one(name: str) -> dict:
    out = {"case": name}
    out.update({**CASES, **ON_REQUEST}[name]())
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        print(json.dumps(_one(argv[1]), ensure_ascii=False))
        return
    names = argv or list(CASES)
    with tempfile.TemporaryDirectory() as tmp:
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
