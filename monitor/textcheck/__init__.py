"""Offline text checks for posts and drafts: what Annex 2's 安全 veto and 内容发布不当 are about.

``check_text(text)`` returns every :class:`Hit` — the exact span, the matched text, a suggested
correction, the kind and the list entry it came from. A hit is something for a reviewer to look
at, never a verdict. One module per kind of check:

- :mod:`.terms`      near-misses of terms that must be written exactly (leaders, organs, units)
- :mod:`.pairs`      wrong → right pairs and patterns (outdated wording, old agency names, 港澳台)
- :mod:`.sensitive`  sensitive words, with a whitelist of ordinary government vocabulary
- :mod:`.personal`   ID-card, mobile and bank-card numbers that are not masked

All word lists are data files (see :mod:`.lists`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Iterable

# The kinds a hit can have, and the Annex 2 line each one points at by default.
SEVERE = "严重表述错误"
SENSITIVE = "敏感内容"
PERSONAL = "个人信息泄露"
IMPROPER = "用语不规范"
KINDS = (SEVERE, SENSITIVE, PERSONAL, IMPROPER)
VETO = "veto.security"
IMPROPER_LINE = "ded.improper_content"
DEFAULT_LINE = {SEVERE: VETO, SENSITIVE: VETO, PERSONAL: VETO, IMPROPER: IMPROPER_LINE}
CHECKER_VERSION = "3"  # raise when a change to the checks' code changes what they find


@dataclass(frozen=True)
class Hit:
    start: int  # character offsets into the checked text: text[start:end] == hit.text
    end: int
    text: str
    suggestion: str | None  # the correction; None where there is none (a sensitive word)
    kind: str  # one of KINDS
    rule: str  # stable id of the list entry or check, e.g. "pairs.agency.卫计委"
    source: str  # the data file (and version) the rule came from
    line: str  # the Annex 2 line: "veto.security" or "ded.improper_content"
    note: str = ""  # why, for a reviewer: 同音字 / 2018年机构改革… (Chinese, may be empty)

    def as_dict(self) -> dict:
        return asdict(self)


class TextChecker:
    """All checks, built once from the lists (building the near-miss automaton takes a moment)."""

    def __init__(self, extra_terms: Iterable[str] = (), extra_lists_dir: str | None = None):
        from monitor.textcheck import pairs, personal, sensitive, terms
        from monitor.textcheck.lists import load_lists

        lists = load_lists(extra_lists_dir)
        # Which lists (and code) judged a text: a stored result with another version is stale.
        self.version = f"{CHECKER_VERSION}:{lists.digest}"
        self.pairs = pairs.PairCheck(lists)
        self.terms = terms.TermCheck(extra_lists_dir, extra_terms)
        self.sensitive = sensitive.SensitiveCheck(lists)
        self.personal = personal.PersonalCheck()

    def check(self, text: str, published: date | None = None) -> list[Hit]:
        # A pair entry says more than a near-miss of the same span (卫计委 is an old name, not a
        # typo), also where it is excused (原国家税务局).
        taken: list[tuple[int, int]] = []
        explicit = list(self.pairs.find(text, published, taken))
        near = [h for h in self.terms.find(text)
                if not any(h.start < e and s < h.end for s, e in taken)]
        hits = explicit + near + list(self.sensitive.find(text)) + list(self.personal.find(text))
        return sorted(set(hits), key=lambda h: (h.start, -h.end, h.rule))


@lru_cache(maxsize=4)
def _checker(extra_terms: frozenset[str], extra_lists_dir: str | None) -> TextChecker:
    return TextChecker(extra_terms, extra_lists_dir)


def get_checker(extra_terms: Iterable[str] = (), extra_lists_dir: str | None = None) -> TextChecker:
    return _checker(frozenset(t.strip() for t in extra_terms if t and t.strip()),
                    str(extra_lists_dir) if extra_lists_dir else None)


def check_text(text: str, *, extra_terms: Iterable[str] = (), extra_lists_dir: str | None = None,
               published: date | datetime | None = None) -> list[Hit]:
    """Every hit in ``text``, by position. ``extra_terms``: more terms that must be written
    exactly (e.g. every 主办单位 in the registry); ``extra_lists_dir``: the operator's lists
    (``[textcheck] extra_lists_dir``); ``published``: when the text was published — a name
    that changed later (卫计委 before the 2018 reform) is not raised; None: as of today.
    Raises :class:`~monitor.textcheck.lists.ListError` for a list file that cannot be read."""
    if isinstance(published, datetime):
        published = published.date()
    return get_checker(extra_terms, extra_lists_dir).check(text, published)


__all__ = ["Hit", "KINDS", "TextChecker", "check_text", "get_checker"]
