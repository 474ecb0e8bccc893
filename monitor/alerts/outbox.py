"""The outbox: every message, sent or not, appended as one JSON line. The demo shows what the
product would send without any network; operators grep it when someone says "I got nothing"."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path


def append(path: str | Path, record: dict) -> None:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, default=_iso)
    with p.open("a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def read(path: str | Path) -> list[dict]:
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def _iso(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {value!r}")
