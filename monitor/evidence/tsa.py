"""RFC 3161 trusted timestamps over the manifest digest, with the ``openssl ts`` tool.

The request is built by ``openssl ts -query -sha256 -digest … -cert`` (the TSA is asked to
include its certificate, so the token verifies with the CA alone), POSTed as
``application/timestamp-query``; the reply is checked to be granted and to cover exactly
this digest before it is kept. Verification is ``openssl ts -verify -digest … -CAfile``.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import httpx

from spiders.redact import mask_url


class TimestampError(Exception):
    """The TSA could not give a valid timestamp; the message says which URL and why."""


def _openssl(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "ts", *args], capture_output=True, timeout=timeout)


def request_timestamp(url: str, digest_hex: str, timeout: float = 30.0) -> bytes:
    """The DER TimeStampResp for a SHA-256 digest, from the TSA at ``url`` (credentials in the
    URL are sent as HTTP basic auth; messages name the URL with its password masked)."""
    shown = mask_url(url)
    with tempfile.TemporaryDirectory() as tmp:
        tsq = Path(tmp) / "q.tsq"
        r = _openssl("-query", "-sha256", "-digest", digest_hex, "-cert", "-out", str(tsq))
        if r.returncode:
            raise TimestampError(f"openssl ts -query failed: {r.stderr.decode(errors='replace').strip()}")
        try:
            resp = httpx.post(url, content=tsq.read_bytes(), timeout=timeout,
                              headers={"Content-Type": "application/timestamp-query"})
        except httpx.HTTPError as exc:
            raise TimestampError(f"TSA {shown}: {exc.__class__.__name__}: {str(exc).replace(url, shown)}") from None
        if resp.status_code != 200:
            raise TimestampError(f"TSA {shown} answered HTTP {resp.status_code}")
        tsr = Path(tmp) / "r.tsr"
        tsr.write_bytes(resp.content)
        # Granted, and over our digest (the CA check comes at verify time).
        info = reply_text(tsr)
        if not re.search(r"Status:\s*Granted", info):
            raise TimestampError(f"TSA {shown} did not grant the timestamp: {info.splitlines()[:3]}")
        if imprint_hex(info) != digest_hex.lower():
            raise TimestampError(f"TSA {shown} stamped a different digest")
        return resp.content


_HEXDUMP = re.compile(r"^\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){0,15}[0-9a-f]{2})", re.M)


def imprint_hex(info: str) -> str:
    """The stamped digest, from the hex dump under "Message data:" in ``-text`` output."""
    part = info.split("Message data:", 1)[-1]
    lines = []
    for line in part.splitlines()[1:]:
        m = _HEXDUMP.match(line)
        if not m:
            break
        lines.append(re.sub(r"[ -]", "", m.group(1)))
    return "".join(lines)


def reply_text(tsr_path: Path) -> str:
    r = _openssl("-reply", "-in", str(tsr_path), "-text")
    if r.returncode:
        raise TimestampError(f"{tsr_path.name} is not a timestamp reply: {r.stderr.decode(errors='replace').strip()}")
    return r.stdout.decode("utf-8", errors="replace")


def stamp_time(tsr_path: Path) -> str | None:
    try:
        m = re.search(r"Time stamp:\s*(.+)", reply_text(tsr_path))
    except TimestampError:
        return None
    return m.group(1).strip() if m else None


def verify_timestamp(tsr_path: Path, digest_hex: str, ca_file: str | Path) -> tuple[bool, str]:
    """(ok, message): the token is a valid TSA signature over ``digest_hex`` chaining to ``ca_file``."""
    r = _openssl("-verify", "-digest", digest_hex, "-in", str(tsr_path), "-CAfile", str(ca_file))
    out = (r.stdout + r.stderr).decode("utf-8", errors="replace").strip()
    if r.returncode == 0 and "Verification: OK" in out:
        return True, f"timestamp OK ({stamp_time(tsr_path)})"
    return False, "timestamp verification FAILED: " + (out.splitlines()[-1] if out else f"exit {r.returncode}")
