"""Sensitive words (反动、暴力、色情、迷信) from a curated lexicon. A word is not raised inside an
ordinary phrase of the whitelist, nor where the post reports against it (严厉打击色情服务,
谨防裸聊诈骗): Annex 2 vetoes publishing such content, not warning about it."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

import ahocorasick

from monitor.textcheck import DEFAULT_LINE, KINDS, SENSITIVE, Hit
from monitor.textcheck.lists import ListError, Lists

BEFORE_WINDOW = 12  # characters before a word that a context word may sit in
AFTER_WINDOW = 8
_AFTER = "之后"
_SENTENCE_END = re.compile(r"[。！？；!?;\n]")


@dataclass(frozen=True)
class Word:
    word: str
    rule: str
    kind: str
    line: str
    source: str
    category: str


def _automaton(words) -> ahocorasick.Automaton | None:
    a = ahocorasick.Automaton()
    for w, value in words:
        a.add_word(w, value)
    if not len(a):
        return None
    a.make_automaton()
    return a


def _spans(a: ahocorasick.Automaton | None, text: str) -> Iterator[tuple[int, int, object]]:
    if a is None:
        return
    for end, (word, value) in a.iter(text):
        yield end + 1 - len(word), end + 1, value


class SensitiveCheck:
    def __init__(self, lists: Lists):
        words = []
        for wl in lists["sensitive"]:
            group = wl.get("group", "sensitive")
            kind = wl.get("kind", SENSITIVE)
            if kind not in KINDS:
                raise ListError(f"{wl.path}: kind {kind!r} is not one of {', '.join(KINDS)}")
            for e in wl.entries:
                rule = f"{group}.{e.category}.{e.value}" if e.category else f"{group}.{e.value}"
                words.append((e.value, (e.value, Word(e.value, rule, kind, wl.get("line", DEFAULT_LINE[kind]), wl.source, e.category))))
        self.words = _automaton(words)
        self.whitelist = _automaton((e.value, (e.value, None)) for wl in lists["whitelist"] for e in wl.entries)
        self.before = {e.value for wl in lists["context"] for e in wl.entries if e.category != _AFTER}
        self.after = {e.value for wl in lists["context"] for e in wl.entries if e.category == _AFTER}

    def find(self, text: str) -> Iterator[Hit]:
        found = list(_spans(self.words, text))
        if not found:
            return
        white = [(s, e) for s, e, _ in _spans(self.whitelist, text)]
        for start, end, w in found:
            if any(s <= start and end <= e for s, e in white):
                continue
            # Within the sentence: 严厉打击色情服务。本店提供色情服务 is not reporting against the second.
            before = _SENTENCE_END.split(text[max(0, start - BEFORE_WINDOW):start])[-1]
            after = _SENTENCE_END.split(text[end:end + AFTER_WINDOW])[0]
            if any(c in before for c in self.before) or any(c in after for c in self.after):
                continue
            yield Hit(start, end, w.word, None, w.kind, w.rule, w.source, w.line, w.category)
