"""The near-miss automata on disk, so a process does not build them again (about 1.5 s of
variant generation and automaton building, plus importing pypinyin's dictionary).

An index is two files in the cache folder, named by a key that digests everything the index is
made of (the checker's code, every list file incl. the operator's, the extra terms, the
pyahocorasick version and the machine's word size):

    <key>.ac     the automaton in pyahocorasick's own format, storing integers only (loading it
                 never runs a deserializer, nothing in it is code)
    <key>.json   what each integer stands for, and the SHA-256 of the .ac file

Both are written to a temporary file and renamed into place, the .json last: a reader sees a
whole entry or none. An entry is used only if its .json names our format and key and the .ac
file has the digest it records, and only from a folder that is ours and not writable by
others; anything else (a crash mid-write, a foreign or corrupt file) is ignored and the index
is built and written again. A cache that cannot be written (read-only home) costs nothing but
the build.

Folder: ``$MONITOR_TEXTCHECK_CACHE``, else ``$XDG_CACHE_HOME/monitor/textcheck``, else
``~/.cache/monitor/textcheck``; ``MONITOR_TEXTCHECK_CACHE=off`` turns the cache off.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import struct
import sys
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import ahocorasick

log = logging.getLogger(__name__)

FORMAT = 1  # raise when the files' layout changes
KEEP = 8  # entries kept in the folder (each a few MB); the oldest go first
ENV = "MONITOR_TEXTCHECK_CACHE"


def folder() -> Path | None:
    explicit = os.environ.get(ENV, "").strip()
    if explicit.lower() in ("off", "0", "no", "false"):
        return None
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "monitor" / "textcheck"


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """The checker's code and the libraries whose output the files hold."""
    h = hashlib.sha256(f"{FORMAT}\0{sys.byteorder}\0{struct.calcsize('P')}\0".encode())
    try:
        h.update(metadata.version("pyahocorasick").encode())
    except metadata.PackageNotFoundError:
        h.update(getattr(ahocorasick, "__file__", "").encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def key(*parts: str) -> str:
    h = hashlib.sha256(_code_digest().encode())
    for p in parts:
        h.update(b"\0" + p.encode())
    return h.hexdigest()[:32]


def _usable(d: Path) -> bool:
    """Our own folder, not writable by anyone else: what is in it was written by us."""
    try:
        st = d.stat()
    except OSError:
        return False
    own = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return stat.S_ISDIR(st.st_mode) and own and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load(k: str) -> tuple[ahocorasick.Automaton, dict[str, Any]] | None:
    """(automaton, table) of a whole, verified entry; None for anything else."""
    d = folder()
    if d is None or not _usable(d):
        return None
    meta_path, ac_path = d / f"{k}.json", d / f"{k}.ac"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not (isinstance(meta, dict) and meta.get("format") == FORMAT and meta.get("key") == k
                and isinstance(meta.get("table"), dict) and meta.get("sha256") == _sha256(ac_path)):
            return None
        # STORE_INTS: the values are integers in the file itself; the deserializer is never called.
        automaton = ahocorasick.load(str(ac_path), _never)
        if automaton.kind != ahocorasick.AHOCORASICK or automaton.store != ahocorasick.STORE_INTS:
            return None
        return automaton, meta["table"]
    except (OSError, ValueError, TypeError, UnicodeDecodeError, AttributeError) as exc:
        log.debug("text check cache %s not used: %s", k, exc)
        return None


def _never(_data: bytes):
    raise ValueError("an integer automaton has no serialized values")


def store(k: str, automaton: ahocorasick.Automaton, table: dict[str, Any]) -> None:
    d = folder()
    if d is None:
        return
    temps: list[str] = []
    try:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not _usable(d):
            log.warning("text check cache %s is not private to this user; not used", d)
            return
        temps.append(_temp(d, ".ac"))
        automaton.save(temps[0])  # integers only: no serializer
        meta = {"format": FORMAT, "key": k, "sha256": _sha256(Path(temps[0])), "table": table}
        temps.append(_temp(d, ".json"))
        Path(temps[1]).write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(temps[0], d / f"{k}.ac")
        os.replace(temps[1], d / f"{k}.json")
        _prune(d, keep={f"{k}.json"})
    except (OSError, ValueError) as exc:
        log.debug("text check cache %s not written: %s", k, exc)
    finally:
        for name in temps:
            Path(name).unlink(missing_ok=True)


def _temp(d: Path, suffix: str) -> str:
    fd, name = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=d)  # mode 0600
    os.close(fd)
    return name


def _prune(d: Path, keep: set[str]) -> None:
    metas = sorted((p for p in d.glob("*.json") if p.name not in keep), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in metas[KEEP - len(keep):]:
        old.unlink(missing_ok=True)
        old.with_suffix(".ac").unlink(missing_ok=True)
