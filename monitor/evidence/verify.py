"""Re-hash a package and say whether anything changed.

A package is intact when: ``manifest.json`` hashes to the folder's name; every file it
lists is there with the same SHA-256 and size; no other file was added (``manifest.tsr``
aside); and, when a timestamp token is present, ``openssl ts -verify`` accepts it for the
manifest's digest against the TSA CA (given, configured, or ``tsa-ca.pem`` in the package).
A token that cannot be verified (no CA to check it against) is a failure, not "present":
anyone can drop a file named ``manifest.tsr`` into a folder. ``verify_all`` also reports the
``.tmp-*`` folders an interrupted build leaves: they were never sealed, so nothing in them
is evidence.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from monitor.app import App
from monitor.evidence.manifest import MANIFEST, TSR, UNHASHED, sha256_file
from monitor.evidence.tsa import verify_timestamp
from storage.models import EvidencePackage


@dataclass
class VerifyResult:
    path: Path
    package_id: str
    ok: bool = True
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    timestamp: str | None = None  # None: no token; else the verification message
    status: str = "intact"  # intact, changed, unverifiable (timestamp), unfinished (a .tmp-* folder)

    def fail(self, message: str, status: str = "changed") -> None:
        self.ok = False
        self.problems.append(message)
        if self.status == "intact":
            self.status = status

    def describe(self) -> str:
        if self.ok:
            ts = f"; {self.timestamp}" if self.timestamp else ""
            return f"{self.package_id}: intact{ts}"
        return f"{self.package_id}: {self.status.upper()} — " + "; ".join(self.problems)

    def as_dict(self) -> dict:
        return {"package": self.package_id, "path": str(self.path), "ok": self.ok, "changed": self.changed,
                "missing": self.missing, "added": self.added, "problems": self.problems,
                "timestamp": self.timestamp, "status": self.status}


def verify_package(path: str | Path, ca_file: str | Path | None = None) -> VerifyResult:
    folder = Path(path)
    result = VerifyResult(folder, folder.name)
    if not folder.is_dir():
        result.fail(f"package folder {folder} does not exist")
        return result
    mpath = folder / MANIFEST
    if not mpath.is_file():
        result.missing.append(MANIFEST)
        result.fail(f"{MANIFEST} is missing")
        return result
    data = mpath.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != folder.name:
        result.changed.append(MANIFEST)
        result.fail(f"{MANIFEST} changed: its SHA-256 {digest} is not the package name")
    try:
        files: dict = json.loads(data)["files"]
    except (ValueError, KeyError, TypeError) as exc:
        result.fail(f"{MANIFEST} is unreadable: {exc}")
        return result
    for name, meta in sorted(files.items()):
        p = folder / name
        if not p.is_file():
            result.missing.append(name)
            result.fail(f"{name} is missing")
        elif p.stat().st_size != meta.get("bytes") or sha256_file(p) != meta.get("sha256"):
            result.changed.append(name)
            result.fail(f"{name} changed (SHA-256 differs from the manifest)")
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel not in files and rel not in UNHASHED:
            result.added.append(rel)
            result.fail(f"{rel} was added (not in the manifest)")
    tsr = folder / TSR
    if tsr.is_file():
        ca = Path(ca_file) if ca_file else (folder / "tsa-ca.pem")
        if not ca.is_file():
            result.timestamp = "timestamp token cannot be verified: no TSA CA (give --ca or set [evidence] tsa_ca_file)"
            result.fail(result.timestamp, "unverifiable")
        else:
            ok, message = verify_timestamp(tsr, digest, ca)
            result.timestamp = message
            if not ok:
                result.fail(message, "unverifiable")
    return result


def verify_all(app: App, ca_file: str | Path | None = None) -> list[VerifyResult]:
    """Every package folder under ``evidence_dir``, plus any package the database knows whose
    folder has gone."""
    root = Path(app.settings.evidence_dir)
    ca = ca_file or app.settings.evidence.tsa_ca_file or None
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) if root.is_dir() else []
    results = [verify_package(p, ca) for p in folders]
    for tmp in sorted(root.glob(".tmp-*")) if root.is_dir() else []:
        r = VerifyResult(tmp, tmp.name)
        r.fail(f"unfinished package {tmp}: a build was interrupted before it was sealed (or is running now); "
               "nothing in it is evidence — delete it once no build is running", "unfinished")
        results.append(r)
    seen = {p.name for p in folders}
    with app.session() as s:
        for pkg in s.scalars(select(EvidencePackage).order_by(EvidencePackage.created_at)):
            if pkg.id not in seen:
                r = VerifyResult(Path(pkg.path), pkg.id)
                r.missing.append(pkg.path)
                r.fail(f"package folder {pkg.path} (finding {pkg.finding_id}) is missing")
                results.append(r)
    return results
