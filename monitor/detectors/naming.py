"""ded.irregular_opening and ded.irregular_name — both suspected, for a reviewer.

开设不规范: the account (or its host unit) is named like an internal unit of an agency
(…局办公室, …委宣传科, …专班, …指挥部) — NT-90 §12 and 31号 forbid opening in their name.
名称不规范: the account name shares no meaningful two-character term with its host unit.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterator

from monitor.detectors.context import Context, Draft
from monitor.detectors.textnorm import canonical, strip_suffixes
from monitor.rules.loader import Lexicon
from storage.fit import CUT_KEY

RULES = ("ded.irregular_opening", "ded.irregular_name")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# The 办公室 of a Party committee or a government is an agency in its own right.
_LEGIT_OFFICE = re.compile(r"(?:省|市|县|区|旗|州)委办公室$|人民政府办公室$")


@lru_cache(maxsize=8)
def _internal_unit_pattern(stems: tuple, suffixes: tuple) -> re.Pattern:
    return re.compile(f"(?:{'|'.join(map(re.escape, stems))})[\u4e00-\u9fff]{{1,10}}?"
                      f"(?:{'|'.join(map(re.escape, suffixes))})$")


def internal_unit_hits(name: str | None, lexicon: Lexicon) -> list[str]:
    if not name:
        return []
    s = strip_suffixes(re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)),
                       lexicon.verification_suffixes)
    hits = [m for m in lexicon.internal_unit_markers if m in s]
    hits += [e for e in lexicon.internal_unit_endings if len(s) > len(e) + 1 and s.endswith(e)]
    if not _LEGIT_OFFICE.search(s):
        m = _internal_unit_pattern(tuple(lexicon.agency_stems),
                                   tuple(lexicon.internal_unit_suffixes)).search(s)
        if m:
            hits.append(m.group(0))
    return hits


def _terms(text: str, lexicon: Lexicon) -> set[str]:
    s = "".join(_CJK.findall(text))
    return {s[i:i + 2] for i in range(len(s) - 1)} - set(lexicon.generic_terms)


def shares_term(name: str, host_unit: str, lexicon: Lexicon) -> bool | None:
    """None when the name has too few Chinese characters to judge."""
    n = strip_suffixes(canonical(name, lexicon), lexicon.verification_suffixes)
    if len(_CJK.findall(n)) < 2:
        return None
    name_terms = _terms(n, lexicon) | _terms(name, lexicon)
    host_terms = _terms(canonical(host_unit, lexicon), lexicon) | _terms(host_unit, lexicon)
    return bool(name_terms & host_terms)


def detect(ctx: Context, account) -> Iterator[Draft]:
    lex = ctx.rules.lexicon
    name = account.observed_name or account.name
    facts = {"name": account.name, "observed_name": account.observed_name,
             "host_unit": account.host_unit}
    cut = (account.profile_facts or {}).get(CUT_KEY, {}).get("observed_name")
    if cut:
        facts[CUT_KEY] = {"observed_name": cut}  # judged on the stored first part of a longer name
    hits = {"name": internal_unit_hits(name, lex), "host_unit": internal_unit_hits(account.host_unit, lex)}
    if hits["name"] or hits["host_unit"]:
        yield Draft(account.id, "ded.irregular_opening", "", None, ctx.at,
                    {**facts, "internal_unit_terms": {k: v for k, v in hits.items() if v}}, 0.5)
    if shares_term(name, account.host_unit, lex) is False:
        yield Draft(account.id, "ded.irregular_name", "", None, ctx.at,
                    {**facts, "problem": "名称与主办单位无共同词语"}, 0.5)
