"""Which searched users are a registered unit's unregistered accounts (pure functions).

A user is looked at only if no registry row holds its platform id. Then:
- **unregistered** — organisation-verified (``verified`` and ``verified_type`` not 0, the
  personal 橙V) and its 认证 text names a registered 主办单位: Annex 3 监管范围.
- **impostor** — its name (or a personal verification) carries a unit's name, but no
  organisation verification says it is the unit's: listed apart for the inspector (疑似仿冒),
  never counted as the unit's account.
A 认证 text that names the unit only as supervisor or sponsor (…主管的协会) does not count.
The unit is the *longest* registered name the text carries, so an account of
南通市公安局崇川分局 is never attributed to 南通市公安局. Names are compared the way the
verification detector compares them (``monitor.detectors.textnorm.names_unit``: width folded,
known abbreviations, "官方微博" and the like stripped).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from monitor.detectors.textnorm import canonical, names_unit, strip_suffixes
from monitor.rules.loader import Lexicon

PERSONAL_VERIFIED_TYPE = 0
# 认证 texts that name a unit only as the body that supervises, guides or backs the account
# ("南通市数据局主管的行业协会"): the account is not the unit's own.
RELATION_WORDS = ("主管", "指导", "监制", "支持", "授权", "合作", "联合", "协办", "冠名")


@dataclass(frozen=True)
class Match:
    kind: str  # unregistered, impostor
    unit: str
    basis: str  # verification, name


def unit_terms(unit: str, lexicon: Lexicon) -> list[str]:
    """The forms of a unit's name a search result may carry (what the spider looks for
    before spending a request on a user's latest post)."""
    short = strip_suffixes(canonical(unit, lexicon), lexicon.verification_suffixes)
    return sorted({unit, short} - {""})


def _longest(units: Iterable[str], lexicon: Lexicon) -> Optional[str]:
    return max(units, key=lambda u: (len(canonical(u, lexicon)), u), default=None)


def _only_related(text: str, unit: str, lexicon: Lexicon) -> bool:
    t = canonical(text, lexicon)
    h = strip_suffixes(canonical(unit, lexicon), lexicon.verification_suffixes)
    at = t.find(h)
    return at >= 0 and t[at + len(h):].startswith(RELATION_WORDS)


def classify_user(user: dict, units: list[str], lexicon: Lexicon) -> Optional[Match]:
    reason = user.get("verified_reason") or ""
    name = user.get("screen_name") or ""
    by_reason = [u for u in units if names_unit(reason, u, lexicon) and not _only_related(reason, u, lexicon)] \
        if reason else []
    by_name = [u for u in units if names_unit(name, u, lexicon)] if name else []
    organisation = bool(user.get("verified")) and user.get("verified_type") != PERSONAL_VERIFIED_TYPE
    if organisation and by_reason:
        return Match("unregistered", _longest(by_reason, lexicon), "verification")
    if by_name or by_reason:
        return Match("impostor", _longest(by_name or by_reason, lexicon), "name" if by_name else "verification")
    return None
