"""The package manifest: SHA-256 of every file, and the package id = SHA-256 of the manifest.

``manifest.json`` is written with sorted keys and fixed separators so that its bytes, and
therefore the package id, depend only on its content. Files kept beside it but outside the
hashed set: ``manifest.json`` itself and ``manifest.tsr`` (the RFC 3161 token is made over
the manifest's digest, so it cannot be listed in it).
"""
from __future__ import annotations

import hashlib
import json
import platform
import sys
from importlib import metadata
from pathlib import Path

MANIFEST = "manifest.json"
TSR = "manifest.tsr"
UNHASHED = {MANIFEST, TSR}
FORMAT = "gov-newmedia-monitor/evidence-package/1"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_entries(folder: Path) -> dict[str, dict]:
    return {p.relative_to(folder).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
            for p in sorted(folder.rglob("*")) if p.is_file() and p.relative_to(folder).as_posix() not in UNHASHED}


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def tool_versions(browser_version: str | None) -> dict[str, str | None]:
    return {
        "product": f"gov-newmedia-monitor {_version('gov-newmedia-monitor') or 'dev'}",
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "playwright": _version("playwright"),
        "chromium": browser_version,
        "warcio": _version("warcio"),
        "scrapy": _version("scrapy"),
    }
