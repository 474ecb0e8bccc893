"""What our parsers read from one saved payload (``monitor inspect FILE``).

Operators use it when a site changes ("what does the spider make of this answer?"), tests
run it on every real capture. Each payload kind is one module in ``monitor.inspect.kinds``
defining a ``PayloadKind`` subclass; they are discovered, so adding a kind means adding one
file. A kind reads with the spiders' own parsers — never a second copy of them — and
returns a plain dict:

    {"kind": "weibo-timeline",
     "classification": "ok" | "blocked" | "empty" | "rate-limited" | "placeholder" | "error" | …,
     "reason": str | None,            # why, in the parser's words
     "posts": [{"id", "time", "kind", "pinned", …}],   # optional
     "cursor": {...} | None,          # optional: how the next page would be asked for
     "facts": {...}}                  # optional: anything else the parser read
"""
from __future__ import annotations

import importlib
import json
import pkgutil
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

# Saved payloads are untrusted files; a real WeChat article page is ~3 MB.
MAX_BYTES = 32 * 1024 * 1024


class InspectError(ValueError):
    """A payload that cannot be inspected; the message names the file and why."""


@dataclass
class Payload:
    path: Path
    raw: bytes
    at: datetime  # the clock relative dates ("3小时前") are read against
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    @cached_property
    def json(self) -> Any:
        """The parsed JSON, or None when the file is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None


class PayloadKind:
    """One kind of saved payload. Subclasses set ``name`` and ``description`` and implement
    ``sniff`` (how sure, 0–100, that a payload is of this kind; used when ``--as`` is not
    given) and ``read``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    def sniff(self, payload: Payload) -> int:
        raise NotImplementedError

    def read(self, payload: Payload) -> dict[str, Any]:
        raise NotImplementedError


def registry() -> dict[str, PayloadKind]:
    """Every registered kind by name, in name order."""
    import monitor.inspect.kinds as package

    found: dict[str, PayloadKind] = {}
    for mod in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{mod.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, PayloadKind) and obj is not PayloadKind and obj.name:
                found[obj.name] = obj()
    return dict(sorted(found.items()))


def load(path: Path, at: datetime) -> Payload:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InspectError(f"{path}: {size:,} bytes, more than the {MAX_BYTES:,} inspect reads")
        return Payload(path, path.read_bytes(), at)
    except OSError as exc:
        raise InspectError(f"{path}: cannot read it ({exc.strerror or exc})") from None


def detect(payload: Payload) -> PayloadKind:
    """The kind most sure of the payload; an error naming the candidates when none is."""
    known = registry()
    scored = sorted(((k.sniff(payload), name) for name, k in known.items()), reverse=True)
    if not scored or scored[0][0] <= 0:
        raise InspectError(f"{payload.path}: not a payload kind inspect knows; "
                           f"give one with --as ({', '.join(known)})")
    return known[scored[0][1]]


def inspect_file(path: Path, at: datetime, kind: str | None = None) -> dict[str, Any]:
    payload = load(path, at)
    known = registry()
    if kind is not None and kind not in known:
        raise InspectError(f"unknown kind {kind!r}; known: {', '.join(known)}")
    chosen = known[kind] if kind else detect(payload)
    report = chosen.read(payload)
    head = {"file": str(path), "kind": chosen.name, "detected": kind is None,
            "classification": report.pop("classification", "error"), "reason": report.pop("reason", None)}
    return head | report
