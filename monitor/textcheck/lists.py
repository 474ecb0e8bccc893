"""The checker's word lists: versioned data files an operator extends without code.

Every list is a file under ``monitor/textcheck/data/`` (and, optionally, the operator's
``[textcheck] extra_lists_dir``), named for what it holds:

    terms_*.txt      terms that must be written exactly (near-misses are flagged)
    allow_*.txt      strings that are never a near-miss (ordinary words that look like one)
    names_*.txt      names that are correct wherever they appear (place names): no near-miss inside one
    ordinary_*.txt   ordinary words: a short name's near-miss that is really prose (生态环境补偿)
    shapes_*.txt     groups of characters that look alike (one group per line)
    pairs_*.toml     wrong → right pairs and patterns
    sensitive_*.txt  sensitive words; ``## 类别`` lines set the category of the words below
    whitelist_*.txt  ordinary phrases a sensitive word may sit inside
    context_*.txt    words that, shortly before a sensitive word, mean the post reports
                     against it (打击, 严禁 …)
    countries_*.txt  country names (台湾 listed among them is raised)

A ``.txt`` list starts with ``# key: value`` header lines (source, version, date, reviewed,
kind, line, extend); then one entry per line, ``#`` starts a comment. A ``.toml`` list has the
same keys at the top and ``[[pair]]`` tables. An operator file with the same name as a
packaged one is added to it, not put in its place, so the packaged entries keep their source.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"
_HEADER = re.compile(r"^#\s*([a-z_]+)\s*:\s*(.*?)\s*$")


class ListError(ValueError):
    """A list file that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Entry:
    value: str
    lineno: int
    category: str = ""


@dataclass(frozen=True, eq=False)
class WordList:
    path: Path
    header: dict[str, str]
    entries: tuple[Entry, ...] = ()
    tables: tuple[dict[str, Any], ...] = ()  # the [[pair]] tables of a .toml list
    defaults: dict[str, Any] = field(default_factory=dict)  # top-level lists of a .toml list (unless_*)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def source(self) -> str:
        """What a hit cites: the file and its version."""
        version = self.header.get("version", "")
        return f"{self.path.name}@{version}" if version else self.path.name

    def get(self, key: str, default: str = "") -> str:
        return self.header.get(key, default)


def read_text_list(path: Path) -> WordList:
    header: dict[str, str] = {}
    entries: list[Entry] = []
    category = ""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise ListError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("##"):
            category = line.lstrip("#").strip()
            continue
        if line.startswith("#"):
            m = _HEADER.match(line)
            if m and not entries:
                header[m.group(1)] = m.group(2)
            continue
        value = line.split("#", 1)[0].strip()
        if value:
            entries.append(Entry(value, n, category))
    return WordList(path, header, tuple(entries))


def read_toml_list(path: Path) -> WordList:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ListError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ListError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    pairs = data.pop("pair", [])
    if not isinstance(pairs, list) or not all(isinstance(p, dict) for p in pairs):
        raise ListError(f"{path}: `pair` must be [[pair]] tables")
    header = {k: str(v) for k, v in data.items() if not isinstance(v, (dict, list))}
    defaults = {k: v for k, v in data.items() if isinstance(v, list)}
    return WordList(path, header, tables=tuple(pairs), defaults=defaults)


@dataclass
class Lists:
    """Every list file, grouped by prefix (``terms``, ``pairs`` …)."""

    by_prefix: dict[str, list[WordList]] = field(default_factory=dict)
    digest: str = ""  # of every list file's name and content: changes when any list does

    def __getitem__(self, prefix: str) -> list[WordList]:
        return self.by_prefix.get(prefix, [])


PREFIXES = ("terms", "names", "allow", "ordinary", "shapes", "pairs", "sensitive", "whitelist", "context", "countries")


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix in (".txt", ".toml") and p.name.split("_", 1)[0] in PREFIXES)


@lru_cache(maxsize=8)
def load_lists(extra_dir: str | None = None) -> Lists:
    folders = [DATA_DIR]
    if extra_dir:
        extra = Path(extra_dir)
        if not extra.is_dir():
            raise ListError(f"[textcheck] extra_lists_dir {extra_dir!r} is not a folder")
        folders.append(extra)
    lists = Lists()
    h = hashlib.sha256()
    for folder in folders:
        for path in _files(folder):
            wl = read_toml_list(path) if path.suffix == ".toml" else read_text_list(path)
            lists.by_prefix.setdefault(path.name.split("_", 1)[0], []).append(wl)
            h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    lists.digest = h.hexdigest()[:16]
    return lists
