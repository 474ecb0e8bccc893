"""Wrong → right pairs and patterns: outdated wording, agency names from before a reform,
港澳台 wording. Entries are ``[[pair]]`` tables in ``pairs_*.toml``; the one check that is
code, not a list entry, is 台湾 (or 香港、澳门) listed among countries."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Iterator

import ahocorasick

from monitor.textcheck import DEFAULT_LINE, KINDS, SEVERE, VETO, Hit
from monitor.textcheck.lists import ListError, Lists

NEAR_WINDOW = 30  # characters either side that unless_near looks at
_YEAR = re.compile(r"((?:19|20)\d{2})年")


@dataclass(frozen=True)
class Pair:
    rule: str
    right: str
    kind: str
    line: str
    source: str
    note: str
    unless_before: tuple[str, ...]
    unless_after: tuple[str, ...]
    unless_near: tuple[str, ...]
    pattern: re.Pattern | None = None
    # Raised only in text published after this day: a 2016 post saying 卫计委 was right then.
    since: date | None = None
    examples: tuple[str, ...] = ()  # texts the entry must match: the wrong text, or a pattern's examples

    def suggestion(self, matched: str) -> str:
        # A pattern's right side may use its groups (中国\\1等国家和地区).
        if self.pattern is not None and "\\" in self.right:
            return self.pattern.sub(self.right, matched, count=1)
        return self.right

    def excused(self, text: str, start: int, end: int) -> bool:
        before, after = text[max(0, start - NEAR_WINDOW):start], text[end:end + NEAR_WINDOW]
        # "1998年…原国家质量技术监督局令": a year before the change, just before, dates the old name.
        if self.since is not None and any(int(y) <= self.since.year for y in _YEAR.findall(before)):
            return True
        return (any(before.endswith(w) for w in self.unless_before)
                or any(after.startswith(w) for w in self.unless_after)
                or any(w in before or w in after for w in self.unless_near))


def _strings(table: dict, key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ListError(f"{where}: `{key}` must be a list of strings")
    return tuple(value)


def _pairs(lists: Lists) -> Iterator[tuple[str | None, Pair]]:
    for wl in lists["pairs"]:
        group = wl.get("group", wl.path.stem.split("_", 1)[-1])
        header_kind = wl.get("kind", SEVERE)
        top = wl.defaults  # file-wide unless_* lists; a pair's own list replaces them
        for n, t in enumerate(wl.tables, 1):
            where = f"{wl.path} [[pair]] #{n}"
            pid = t.get("id")
            if not isinstance(pid, str) or not pid:
                raise ListError(f"{where}: every pair needs an id")
            wrong, pattern = t.get("wrong"), t.get("pattern")
            if bool(wrong) == bool(pattern):
                raise ListError(f"{where} ({pid}): give exactly one of `wrong` or `pattern`")
            kind = t.get("kind", header_kind)
            if kind not in KINDS:
                raise ListError(f"{where} ({pid}): kind {kind!r} is not one of {', '.join(KINDS)}")
            compiled = None
            examples = _strings(t, "examples", where)
            if pattern:
                try:
                    compiled = re.compile(pattern)
                except re.error as exc:
                    raise ListError(f"{where} ({pid}): bad pattern: {exc}") from None
                if not examples:
                    raise ListError(f"{where} ({pid}): a pattern needs `examples` it matches")
                for ex in examples:
                    if not compiled.search(ex):
                        raise ListError(f"{where} ({pid}): the pattern does not match its example {ex!r}")
            yield wrong, Pair(
                rule=f"pairs.{group}.{pid}", right=str(t.get("right", "")), kind=kind,
                line=t.get("line", wl.get("line", DEFAULT_LINE[kind])), source=wl.source,
                note=_note(str(t.get("note", "")), t.get("since")),
                since=_since(t.get("since"), where),
                examples=examples or (wrong,),
                unless_before=_strings(t, "unless_before", where) or _strings(top, "unless_before", where),
                unless_after=_strings(t, "unless_after", where) or _strings(top, "unless_after", where),
                unless_near=_strings(t, "unless_near", where) or _strings(top, "unless_near", where),
                pattern=compiled)


def _since(value, where: str) -> date | None:
    """A year means its last day (local reforms ran through the year); a date is exact."""
    if value is None:
        return None
    if isinstance(value, int) and 1949 <= value <= 2100:
        return date(value, 12, 31)
    if isinstance(value, date):
        return value
    raise ListError(f"{where}: `since` must be a year (2018) or a date (2022-12-26), not {value!r}")


def _note(note: str, since) -> str:
    """The list's note, plus since when the wrong form is wrong unless the note already says
    it ("2018年机构改革…（2018年起）" repeats itself in every finding)."""
    if not since or str(since) in note:
        return note
    return note + (f"（{since}年起）" if isinstance(since, int) else f"（{since}起）")


class PairCheck:
    def __init__(self, lists: Lists):
        self.literal = ahocorasick.Automaton()
        self.patterns: list[Pair] = []
        self.pairs: list[Pair] = []
        for wrong, pair in _pairs(lists):
            self.pairs.append(pair)
            if wrong:
                self.literal.add_word(wrong, (wrong, pair))
            else:
                self.patterns.append(pair)
        self.has_literal = len(self.literal) > 0
        if self.has_literal:
            self.literal.make_automaton()
        self.listing = CountryListing(lists)

    def find(self, text: str, published: date | None = None, matched: list | None = None) -> Iterator[Hit]:
        """The hits; ``matched`` (if given) gets the span of every entry that matched, excused
        or not, so a near-miss check can leave those words alone (原国家税务局 is an old name
        rightly used, not a misspelt 国家税务总局)."""
        found: list[tuple[int, int, str, Pair]] = []
        if self.has_literal:
            for end, (wrong, pair) in self.literal.iter(text):
                found.append((end + 1 - len(wrong), end + 1, wrong, pair))
        for pair in self.patterns:
            for m in pair.pattern.finditer(text):
                if m.end() > m.start():
                    found.append((m.start(), m.end(), m.group(0), pair))
        listed = list(self.listing.find(text))
        yield from listed
        # The longest match at a place wins (国家工商总局 over 工商局); the country-list check
        # says more than a pattern over the same words.
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        last_end = -1
        for start, end, words, pair in found:
            if matched is not None:
                matched.append((start, end))
            if published is not None and pair.since is not None and published <= pair.since:
                continue
            if start < last_end or pair.excused(text, start, end) \
                    or any(start < h.end and h.start < end for h in listed):
                continue
            last_end = end
            yield Hit(start, end, words, pair.suggestion(words), pair.kind, pair.rule, pair.source, pair.line,
                      pair.note)


_CLAUSE = re.compile(r"[^。；！？!?;\n，,：:（）()]+")
_ITEM = re.compile(r"[^、和及与/]+")
_PLACES = {"台湾": "中国台湾", "香港": "中国香港", "澳门": "中国澳门"}


class CountryListing:
    """台湾 (香港、澳门) in one list with countries: say 中国台湾, and 国家和地区, not 国家."""

    RULE = "pairs.hmt.台湾与国家并列"

    def __init__(self, lists: Lists):
        wls = lists["countries"]
        self.countries = {e.value for wl in wls for e in wl.entries}
        self.source = ",".join(wl.source for wl in wls) or "pairs.py"

    def find(self, text: str) -> Iterator[Hit]:
        if not self.countries:
            return
        for clause in _CLAUSE.finditer(text):
            items = [(m.start() + clause.start(), m.group(0)) for m in _ITEM.finditer(clause.group(0))]
            if len(items) < 2:
                continue
            names = [(pos, re.sub(r"等.*$", "", item).strip()) for pos, item in items]
            if not any(name in self.countries for _, name in names):
                continue
            for pos, name in names:
                if name in _PLACES and not text[max(0, pos - 2):pos].endswith("中国"):
                    yield Hit(pos, pos + len(name), name, _PLACES[name], SEVERE, self.RULE, self.source, VETO,
                              "与国家并列时称“中国台湾”“中国香港”“中国澳门”")
            if any(name in _PLACES for _, name in names):
                tail = clause.group(0)
                m = re.search(r"国家(?!和地区|与地区|及地区|或地区)", tail)
                if m and tail[max(0, m.start() - 1):m.start()] == "等":
                    s = clause.start() + m.start()
                    yield Hit(s, s + 2, "国家", "国家和地区", SEVERE, self.RULE, self.source, VETO,
                              "列入港澳台时称“国家和地区”")
