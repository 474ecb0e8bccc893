"""Name normalisation shared by the naming and verification detectors."""
from __future__ import annotations

import re
import unicodedata

from monitor.rules.loader import Lexicon

_SPACE = re.compile(r"[\s\u3000·•・\-—_（）()\[\]【】「」“”\"'‘’]+")


def canonical(text: str | None, lexicon: Lexicon) -> str:
    """Full/half width folded (NFKC), spaces and brackets removed, full names shortened to
    their known abbreviations so either form matches the other."""
    if not text:
        return ""
    s = _SPACE.sub("", unicodedata.normalize("NFKC", text))
    for full, short in sorted(lexicon.abbreviations, key=lambda p: -len(p[0])):
        s = s.replace(full, short)
    return s


def strip_suffixes(text: str, suffixes: list[str]) -> str:
    for suf in sorted(suffixes, key=len, reverse=True):
        if text.endswith(suf) and len(text) > len(suf):
            return text[: -len(suf)]
    return text


def names_unit(text: str | None, host_unit: str, lexicon: Lexicon) -> bool:
    """Does ``text`` (认证 wording) name ``host_unit``?"""
    t = canonical(text, lexicon)
    h = strip_suffixes(canonical(host_unit, lexicon), lexicon.verification_suffixes)
    return bool(h) and h in t
