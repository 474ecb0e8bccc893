"""Near-misses of terms that must be written exactly (national leaders and titles, state organs,
the country's full name, Jiangsu's and Nantong's units and divisions, every 主办单位): one
character replaced by a homophone or a look-alike, an inner character dropped or doubled.

Every near-miss of every term is generated up front and put into one Aho–Corasick automaton
with the terms themselves, so a text is scanned once whatever the number of terms. A near-miss
is not raised where the text at that place is a correct term (国国务院 inside 共和国国务院), or
where an allow_*.txt list says the string is ordinary."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator

import ahocorasick

from monitor.textcheck import DEFAULT_LINE, KINDS, SEVERE, Hit, cache
from monitor.textcheck.confusion import Confusion
from monitor.textcheck.lists import ListError, Lists, load_lists

SHORT = 5  # names this long or shorter get the ordinary-prose guard (Ordinary)
_HOW = {"homophone": "同音字", "shape": "形近字", "dropped": "漏字", "doubled": "重字"}
_CONNECTIVES = set("和与及的")
EDITS = ("replace", "drop", "double")
# One letter per kind of match in an index's table ("=": the term itself).
_CODES = {"=": "", "h": "homophone", "s": "shape", "d": "dropped", "b": "doubled"}
_CODE = {v: k for k, v in _CODES.items()}
EXTRA_SOURCE = "registry"  # what an extra_terms hit cites


@dataclass(frozen=True)
class Term:
    term: str
    rule: str
    kind: str
    line: str
    source: str
    person: bool = False  # a person's name: every position may be edited
    edits: frozenset[str] = frozenset(("replace", "drop", "double"))  # the list's `edits:` header


@dataclass(frozen=True)
class Variant:
    term: Term
    how: str  # homophone / shape / dropped / doubled
    pos: int  # the character replaced, dropped or doubled

    @property
    def short(self) -> bool:
        """A short name: its near-misses are often ordinary prose (see TermCheck._prose)."""
        return len(self.term.term) <= SHORT and not self.term.person


def _term_lists(lists: Lists) -> Iterator[Term]:
    for wl in lists["terms"]:
        group = wl.get("group", wl.path.stem.split("_", 1)[-1])
        kind = wl.get("kind", SEVERE)
        if kind not in KINDS:
            raise ListError(f"{wl.path}: kind {kind!r} is not one of {', '.join(KINDS)}")
        line = wl.get("line", DEFAULT_LINE[kind])
        allowed = {x.strip() for x in wl.get("edits", ",".join(EDITS)).split(",") if x.strip()}
        if not allowed <= set(EDITS):
            raise ListError(f"{wl.path}: edits must be some of {', '.join(EDITS)}, not {wl.get('edits')!r}")
        for e in wl.entries:
            person = e.category == "人名"
            yield Term(e.value, f"terms.{group}.{e.value}", kind, line, wl.source, person, frozenset(allowed))


def edits(term: str, confusion: Confusion, *, person: bool = False,
          kinds: Iterable[str] = EDITS) -> Iterator[tuple[str, str, int]]:
    """(near-miss, how, position) for one term: single-character replacements, inner drops
    and doubles."""
    n = len(term)
    kinds = set(kinds)
    for i, ch in enumerate(term):
        if "replace" not in kinds:
            break
        if n <= 2 and not person:
            continue
        for how, alt in confusion.alternatives(ch):
            yield term[:i] + alt + term[i + 1:], how, i
    # Dropping a character of a shorter term leaves a common word (全国人大 → 全国大, 国家安全部 → 国家全部).
    if n >= 6 and "drop" in kinds:
        for i in range(1, n - 1):
            # 住房城乡建设部, 国家发展改革委: dropping 和 is the official short form, not an error.
            if term[i] not in _CONNECTIVES:
                yield term[:i] + term[i + 1:], "dropped", i
    if n >= 3 and "double" in kinds:  # an edge double is often legitimate (美国国务院, 人民法院院长)
        for i in range(1, n - 1):
            yield term[:i + 1] + term[i] + term[i + 1:], "doubled", i


class _Index:
    """One automaton over some terms and their near-misses. ``protected``: every term that is
    correct anywhere, so no near-miss of one term is another term. ``key``: what the index is
    made of beyond the code (the lists' digest, the extra terms) — the built automaton is kept
    on disk under it (see :mod:`.cache`), so the next process loads it instead."""

    def __init__(self, terms: dict[str, Term], protected: set[str], confusion: Confusion, allowed: set[str],
                 key: tuple[str, ...] = ()):
        self.terms = terms
        self.empty = not terms
        self.from_cache = False
        self.variants = 0
        if self.empty:
            return
        k = cache.key(*key) if key else None
        found = cache.load(k) if k else None
        if found is not None and self._use(*found):
            self.from_cache = True
        else:
            automaton, table = self._build(protected, confusion, allowed)
            self._use(automaton, table)
            if k:
                cache.store(k, automaton, table)

    def _build(self, protected, confusion, allowed) -> tuple[ahocorasick.Automaton, dict]:
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        words: list[str] = []
        names: dict[str, int] = {}
        of: list[int] = []
        how: list[str] = []
        pos: list[int] = []

        def add(word: str, term: str, code: str = "=", at: int = -1) -> None:
            automaton.add_word(word, len(words))
            words.append(word)
            of.append(names.setdefault(term, len(names)))
            how.append(code)
            pos.append(at)

        for word in self.terms:
            add(word, word)
        for t in self.terms.values():
            for variant, kind, at in edits(t.term, confusion, person=t.person, kinds=t.edits):
                if len(variant) < 3 or variant in protected or variant in allowed or variant in automaton:
                    continue
                add(variant, t.term, _CODE[kind], at)
        automaton.make_automaton()
        return automaton, {"words": "\n".join(words), "term_names": list(names), "term": of,
                           "how": "".join(how), "pos": pos}

    def _use(self, automaton: ahocorasick.Automaton, table: dict) -> bool:
        """Take an automaton and its table: match i is words[i], a near-miss (how[i]) of
        term_names[term[i]] at position pos[i], or ("=") the term itself. False for a table that
        does not fit this index's terms (a cache entry is checked, not trusted)."""
        try:
            words, names = table["words"].split("\n"), table["term_names"]
            of, how, pos = table["term"], table["how"], table["pos"]
            if not (len(words) == len(of) == len(how) == len(pos) == len(automaton)
                    and set(how) <= set(_CODES) and all(n in self.terms for n in names)
                    and all(0 <= i < len(names) for i in (min(of), max(of)))):
                return False
        except (KeyError, TypeError, AttributeError, ValueError):
            return False
        self.automaton, self.words, self.of, self.how, self.pos = automaton, words, of, how, pos
        self.names = [self.terms[n] for n in names]
        self.variants = len(how) - how.count("=")
        return True

    def iter(self, text: str) -> Iterator[tuple[int, str, Term | Variant]]:
        """(end, matched word, the term or the near-miss) for every match."""
        if self.empty:
            return
        for end, i in self.automaton.iter(text):
            term, how = self.names[self.of[i]], self.how[i]
            yield end, self.words[i], (term if how == "=" else Variant(term, _CODES[how], self.pos[i]))


@lru_cache(maxsize=4)
def _base(extra_lists_dir: str | None) -> tuple[dict[str, Term], Confusion, set[str], set[str], _Index]:
    """The packaged (and operator) lists' index, built once per process: a new set of
    registry terms only builds the small index of those."""
    lists = load_lists(extra_lists_dir)
    confusion = Confusion(lists)
    terms: dict[str, Term] = {}
    known: dict[str, Term] = {}
    for t in _term_lists(lists):
        terms.setdefault(t.term, t)
    allowed = {e.value for wl in lists["allow"] for e in wl.entries}
    ordinary = Ordinary(lists)
    # Place names are correct wherever they appear (台州市 is not 泰州市): matched exactly, no near-misses.
    for wl in lists["names"]:
        for e in wl.entries:
            if e.value not in terms:
                known[e.value] = Term(e.value, "", SEVERE, "", wl.source, edits=frozenset())
    index = _Index({**known, **terms}, set(terms) | set(known), confusion, allowed, key=("base", lists.digest))
    return terms, confusion, allowed, ordinary, index


class TermCheck:
    def __init__(self, extra_lists_dir: str | None = None, extra_terms: Iterable[str] = ()):
        base_terms, self.confusion, allowed, self.ordinary, base = _base(extra_lists_dir)
        extra = {}
        for x in extra_terms:
            x = x.strip()
            if len(x) >= 3 and x not in base_terms:
                extra[x] = Term(x, f"terms.registry.{x}", SEVERE, DEFAULT_LINE[SEVERE], EXTRA_SOURCE)
        self.terms = {**base_terms, **extra}
        lists = load_lists(extra_lists_dir)
        self.indexes = [base, _Index(extra, set(self.terms), self.confusion, allowed,
                                     key=("extra", lists.digest, *sorted(extra)))]
        self.variants = sum(ix.variants for ix in self.indexes)

    def find(self, text: str) -> Iterator[Hit]:
        exact: list[tuple[int, int]] = []
        near: list[tuple[int, int, str, Variant]] = []
        for index in self.indexes:
            for end, word, what in index.iter(text):
                start = end + 1 - len(word)
                if isinstance(what, Term):
                    exact.append((start, end + 1))
                else:
                    near.append((start, end + 1, word, what))
        if not near:
            return
        covered = _covered(exact)
        # The longest near-miss at a place explains it best (中华人民共合国国务院 is one error).
        near.sort(key=lambda h: (-(h[1] - h[0]), h[0]))
        kept: dict[int, int] = {}  # start → end of the near-misses raised
        longest = max(e - s for s, e, _, _ in near)
        for start, end, word, v in near:
            if all(i in covered for i in range(start, end)):
                continue
            if v.short and self.ordinary.prose(text, start, end, v):
                continue
            # Inside a longer near-miss: the same error. Overlapping one: a second error.
            if any(kept.get(s, -1) >= end for s in range(start - longest, start + 1)):
                continue
            kept[start] = max(kept.get(start, -1), end)
            t = v.term
            yield Hit(start, end, word, t.term, t.kind, t.rule, t.source, t.line, _HOW[v.how])



class Ordinary:
    """Ordinary words (ordinary_*.txt): where a short name's near-miss is more likely prose.

    A hit is prose when its last character starts a word with the text after it (启动市|场,
    生态环境补|偿), when the replaced last character is a word on its own after a name minus
    its ending that is a word too (南通|是…, 生态环境|不…; not 全国人|太), or when a
    replaced first character is a word on its own before the rest of the name as a word
    (于|城市 for 盐城市). (Its first character ending a word with the text before it is not
    enough: 从|中共中央.)"""

    SINGLE = "单字"

    def __init__(self, lists: Lists):
        self.words = {e.value for wl in lists["ordinary"] for e in wl.entries if e.category != self.SINGLE}
        self.singles = {e.value for wl in lists["ordinary"] for e in wl.entries if e.category == self.SINGLE}

    def prose(self, text: str, start: int, end: int, v: Variant) -> bool:
        w = self.words
        if text[end - 1:end + 1] in w or text[end - 1:end + 2] in w:
            return True
        if v.how in ("homophone", "shape"):
            n = len(v.term.term)
            if v.pos == n - 1 and text[end - 1] in self.singles and self._phrase(v.term.term[:-1]):
                return True
            if v.pos == 0 and text[start] in self.singles and v.term.term[1:] in w:
                return True
        return False

    def _phrase(self, s: str) -> bool:
        """Ordinary words on their own (南通, 生态环境): what a name minus its ending may be in prose."""
        return s in self.words or (len(s) == 4 and s[:2] in self.words and s[2:] in self.words)


def _covered(spans: list[tuple[int, int]]) -> set[int]:
    return {i for s, e in spans for i in range(s, e)}
