"""Near-misses of terms that must be written exactly (national leaders and titles, state organs,
the country's full name, Jiangsu's and Nantong's units and divisions, every 主办单位): one
character replaced by a homophone or a look-alike, an inner character dropped or doubled.

Every near-miss of every term is generated up front and put into one Aho–Corasick automaton
with the terms themselves, so a text is scanned once whatever the number of terms. A near-miss
is not raised where the text at that place is a correct term (国国务院 inside 共和国国务院), or
where an allow_*.txt list says the string is ordinary."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import ahocorasick

from monitor.textcheck import DEFAULT_LINE, KINDS, SEVERE, Hit
from monitor.textcheck.confusion import Confusion
from monitor.textcheck.lists import ListError, Lists

# Generic endings: replacing the last character of a three-character name ending in one makes
# ordinary prose (南通市 → 南通是一座…), so that one edit is not generated.
_SUFFIXES = set("市区县省镇乡村街道局委办厅部院会室处所站队")
_HOW = {"homophone": "同音字", "shape": "形近字", "dropped": "漏字", "doubled": "重字"}
_CONNECTIVES = set("和与及的")
EXTRA_SOURCE = "registry"  # what an extra_terms hit cites


@dataclass(frozen=True)
class Term:
    term: str
    rule: str
    kind: str
    line: str
    source: str
    person: bool = False  # a person's name: every position may be edited


@dataclass(frozen=True)
class Variant:
    term: Term
    how: str  # homophone / shape / dropped / doubled


def _term_lists(lists: Lists) -> Iterator[Term]:
    for wl in lists["terms"]:
        group = wl.get("group", wl.path.stem.split("_", 1)[-1])
        kind = wl.get("kind", SEVERE)
        if kind not in KINDS:
            raise ListError(f"{wl.path}: kind {kind!r} is not one of {', '.join(KINDS)}")
        line = wl.get("line", DEFAULT_LINE[kind])
        for e in wl.entries:
            person = e.category == "人名"
            yield Term(e.value, f"terms.{group}.{e.value}", kind, line, wl.source, person)


def edits(term: str, confusion: Confusion, *, person: bool = False) -> Iterator[tuple[str, str]]:
    """(near-miss, how) for one term: single-character replacements, inner drops and doubles."""
    n = len(term)
    for i, ch in enumerate(term):
        if n <= 3 and i == n - 1 and ch in _SUFFIXES and not person:
            continue
        if n <= 2 and not person:
            continue
        for how, alt in confusion.alternatives(ch):
            yield term[:i] + alt + term[i + 1:], how
    if n >= 5:  # dropping a character of a shorter term leaves a common word (全国人大 → 全国大)
        for i in range(1, n - 1):
            # 住房城乡建设部, 国家发展改革委: dropping 和 is the official short form, not an error.
            if term[i] not in _CONNECTIVES:
                yield term[:i] + term[i + 1:], "dropped"
    if n >= 3:  # an edge double is often legitimate (美国国务院, 人民法院院长)
        for i in range(1, n - 1):
            yield term[:i + 1] + term[i] + term[i + 1:], "doubled"


class TermCheck:
    def __init__(self, lists: Lists, extra_terms: Iterable[str] = ()):
        self.confusion = Confusion(lists)
        terms: dict[str, Term] = {}
        for t in _term_lists(lists):
            terms.setdefault(t.term, t)
        for x in extra_terms:
            x = x.strip()
            if len(x) >= 3 and x not in terms:
                terms[x] = Term(x, f"terms.registry.{x}", SEVERE, DEFAULT_LINE[SEVERE], EXTRA_SOURCE)
        allowed = {e.value for wl in lists["allow"] for e in wl.entries}
        self.automaton = ahocorasick.Automaton()
        for word, t in terms.items():
            self.automaton.add_word(word, (word, t))
        self.variants = 0
        protected = set(terms)
        for t in terms.values():
            for variant, how in edits(t.term, self.confusion, person=t.person):
                if len(variant) < 3 or variant in protected or variant in allowed:
                    continue
                if variant not in self.automaton:
                    self.automaton.add_word(variant, (variant, Variant(t, how)))
                    self.variants += 1
        self.terms = terms
        self.empty = not terms
        if not self.empty:
            self.automaton.make_automaton()

    def find(self, text: str) -> Iterator[Hit]:
        if self.empty:
            return
        exact: list[tuple[int, int]] = []
        near: list[tuple[int, int, str, Variant]] = []
        for end, (word, what) in self.automaton.iter(text):
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
        kept: list[tuple[int, int]] = []
        for start, end, word, v in near:
            if all(i in covered for i in range(start, end)):
                continue
            # Inside a longer near-miss: the same error. Overlapping one: a second error.
            if any(s <= start and end <= e for s, e in kept):
                continue
            kept.append((start, end))
            t = v.term
            yield Hit(start, end, word, t.term, t.kind, t.rule, t.source, t.line, _HOW[v.how])


def _covered(spans: list[tuple[int, int]]) -> set[int]:
    return {i for s, e in spans for i in range(s, e)}
