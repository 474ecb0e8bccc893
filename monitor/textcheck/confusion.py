"""Which characters a character is mistaken for: homophones (same syllable, any tone — what a
pinyin input method offers) from pypinyin's dictionary, and look-alikes from shapes_*.txt."""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from functools import lru_cache
from typing import Iterator

from monitor.textcheck.lists import Lists


def _toneless(syllable: str) -> str:
    plain = unicodedata.normalize("NFKD", syllable)
    return "".join(c for c in plain if not unicodedata.combining(c)).replace("ü", "v")


def _common(ch: str) -> bool:
    """GB 2312 (levels 1 and 2): the 6,763 characters in everyday use, which an input method
    offers first, so what a homophone typo is made of. Rarer characters would only add
    near-miss forms nobody types (measured: no more false alarms with level 2, 1.4 s build)."""
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xB0 <= b[0] <= 0xF7


@lru_cache(maxsize=1)
def _syllables() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(character → its toneless syllables, syllable → the common characters that have it)."""
    # Imported here: pypinyin's dictionaries take most of a second to import, and a checker
    # whose automata come from the cache never asks for a homophone.
    from pypinyin.pinyin_dict import pinyin_dict

    readings: dict[str, tuple[str, ...]] = {}
    by_syllable: dict[str, list[str]] = defaultdict(list)
    for cp, value in pinyin_dict.items():
        if not 0x4E00 <= cp <= 0x9FFF:
            continue
        ch = chr(cp)
        sylls = tuple(dict.fromkeys(_toneless(s) for s in value.split(",")))
        readings[ch] = sylls
        if _common(ch):
            for s in sylls:
                by_syllable[s].append(ch)
    return readings, {s: tuple(chars) for s, chars in by_syllable.items()}


def homophones(ch: str) -> tuple[str, ...]:
    readings, by_syllable = _syllables()
    out: dict[str, None] = {}
    for s in readings.get(ch, ()):
        for alt in by_syllable.get(s, ()):
            if alt != ch:
                out[alt] = None
    return tuple(out)


class Confusion:
    def __init__(self, lists: Lists):
        shapes: dict[str, set[str]] = defaultdict(set)
        for wl in lists["shapes"]:
            for e in wl.entries:
                group = [c for c in e.value if not c.isspace()]
                for c in group:
                    shapes[c].update(x for x in group if x != c)
        self.shapes = {c: tuple(sorted(v)) for c, v in shapes.items()}

    def alternatives(self, ch: str) -> Iterator[tuple[str, str]]:
        for alt in homophones(ch):
            yield "homophone", alt
        for alt in self.shapes.get(ch, ()):
            yield "shape", alt
