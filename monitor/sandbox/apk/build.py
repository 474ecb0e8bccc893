"""Build the sandbox's test APKs: ``python -m monitor.sandbox.apk.build`` rewrites the
committed files in ``monitor/sandbox/apk/files/``.

Each APK is a real one as far as a phone or a checker can tell: binary manifest, a stub
classes.dex, resources.arsc stored uncompressed, ``zipalign -p 4``, then signed with
Debian's ``apksigner`` (v1/v2/v3 as asked) by a throwaway RSA key that openssl makes in a
temporary folder and that is thrown away afterwards — no private key is committed.
The large APK for the byte-count test is made the same way on demand (``large_apk``),
never committed.
"""
from __future__ import annotations

import hashlib
import random
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from monitor.sandbox.apk.axml import empty_resource_table, encode_manifest, stub_dex

FILES = Path(__file__).parent / "files"


@dataclass(frozen=True)
class ApkSpec:
    name: str
    package: str
    version_code: int = 340
    version_name: str = "3.4.0"
    min_sdk: int = 24
    target_sdk: int = 34
    schemes: tuple[str, ...] = ("v1", "v2", "v3")  # empty = unsigned
    arsc_compressed: bool = False
    label: str = "App"
    blob_size: int = 0  # bytes of incompressible padding (assets/blob.bin), for large APKs
    extra: dict = field(default_factory=dict, compare=False)


# The committed APKs (a few KB each). Which file each sandbox app serves is scenario data.
SPECS = [
    ApkSpec("baitong.apk", "cn.gov.nantong.baitong", 340, "3.4.0", 24, 34, ("v2", "v3"), label="南通百通"),
    ApkSpec("chongchuan.apk", "cn.gov.chongchuan.app", 210, "2.1.0", 21, 33, ("v1", "v2"), label="崇川政务"),
    ApkSpec("rudong.apk", "cn.gov.rudong.app", 520, "5.2.0", 24, 34, ("v2", "v3"), label="如东政务"),
    ApkSpec("target22.apk", "cn.gov.sandbox.old", 12, "1.2", 15, 22, ("v1", "v2")),
    ApkSpec("v1only-target30.apk", "cn.gov.sandbox.v1only", 30, "3.0", 21, 30, ("v1",)),
    ApkSpec("arsc-compressed.apk", "cn.gov.sandbox.arsc", 31, "3.1", 24, 31, ("v2",), arsc_compressed=True),
    ApkSpec("unsigned.apk", "cn.gov.sandbox.unsigned", 5, "0.5", 24, 34, ()),
]


def _key(workdir: Path) -> tuple[Path, Path]:
    key_pem, cert, pk8 = workdir / "key.pem", workdir / "cert.pem", workdir / "key.pk8"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key_pem),
                    "-out", str(cert), "-days", "3650", "-subj", "/CN=sandbox test key (not for real apps)"],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkcs8", "-topk8", "-inform", "PEM", "-outform", "DER", "-in", str(key_pem),
                    "-out", str(pk8), "-nocrypt"], check=True, capture_output=True)
    return pk8, cert


def _blob(size: int, seed: str) -> bytes:
    # Incompressible and deterministic: the large APK's size is what is on the wire.
    rng = random.Random(seed)
    return rng.randbytes(size)


def build(spec: ApkSpec, out: Path, workdir: Path | None = None) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(workdir or tmp)
        raw, aligned = work / "raw.apk", work / "aligned.apk"
        with zipfile.ZipFile(raw, "w") as z:
            def add(name: str, data: bytes, method: int) -> None:
                info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
                info.compress_type = method
                z.writestr(info, data)
            add("AndroidManifest.xml", encode_manifest(spec.package, spec.version_code, spec.version_name,
                                                       spec.min_sdk, spec.target_sdk, spec.label), zipfile.ZIP_DEFLATED)
            add("classes.dex", stub_dex(), zipfile.ZIP_DEFLATED)
            add("resources.arsc", empty_resource_table(),
                zipfile.ZIP_DEFLATED if spec.arsc_compressed else zipfile.ZIP_STORED)
            if spec.blob_size:
                add("assets/blob.bin", _blob(spec.blob_size, spec.name), zipfile.ZIP_STORED)
        subprocess.run(["zipalign", "-p", "-f", "4", str(raw), str(aligned)], check=True, capture_output=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not spec.schemes:
            out.write_bytes(aligned.read_bytes())
            return out
        pk8, cert = _key(work)
        flags = [f"--{s}-signing-enabled" for s in ("v1", "v2", "v3")]
        cmd = ["apksigner", "sign", "--key", str(pk8), "--cert", str(cert), "--min-sdk-version", str(spec.min_sdk),
               "--out", str(out)]
        for flag, scheme in zip(flags, ("v1", "v2", "v3")):
            cmd += [flag, "true" if scheme in spec.schemes else "false"]
        subprocess.run(cmd + [str(aligned)], check=True, capture_output=True)
        Path(str(out) + ".idsig").unlink(missing_ok=True)
        return out


def large_apk(size_mb: int = 6, cache_dir: Path | None = None) -> Path:
    """A signed APK of about ``size_mb`` MB (cached: made once per cache folder)."""
    cache = Path(cache_dir or Path(tempfile.gettempdir()) / "monitor-sandbox-apk")
    out = cache / f"large-{size_mb}mb.apk"
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        build(ApkSpec("large.apk", "cn.gov.sandbox.large", 700, "7.0.0", 24, 34, ("v2", "v3"),
                      blob_size=size_mb * 1024 * 1024), tmp)
        tmp.replace(out)  # atomic: two sandboxes building at once never serve half a file
    return out


def main() -> None:
    for spec in SPECS:
        path = build(spec, FILES / spec.name)
        print(f"{path.name}: {path.stat().st_size} bytes sha256={hashlib.sha256(path.read_bytes()).hexdigest()[:16]}")


if __name__ == "__main__":
    main()
