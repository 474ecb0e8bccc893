"""Personal data published unmasked: ID-card numbers (GB 11643 checksum), mainland mobile
numbers and bank-card numbers (Luhn). A masked form (138****0000, 3206**********1234) has no
run of digits long enough to match, so it is never raised."""
from __future__ import annotations

import bisect
import re
from datetime import date
from typing import Iterator

from monitor.textcheck import PERSONAL, VETO, Hit

SOURCE = "personal.py"
# A number stands alone: no digit, Latin letter or * right before or after it (part of a
# longer code, a URL id, or a masked number).
_EDGE_L = r"(?<![0-9A-Za-z*＊])"
_EDGE_R = r"(?![0-9A-Za-z*＊])"
_ID = re.compile(_EDGE_L + r"([1-8]\d{5})((?:19|20)\d{2})(\d{2})(\d{2})(\d{3})([0-9Xx])" + _EDGE_R)
# 1[3-9]x xxxx xxxx, written together or as 3-4-4 with spaces or hyphens; not after +86-less
# digits of a longer number.
_MOBILE = re.compile(_EDGE_L + r"(?:\+?86[- ]?)?(1[3-9]\d)([- ]?)(\d{4})\2(\d{4})" + _EDGE_R)
# 16–19 digits, together or in groups of four; UnionPay (62), Visa (4), Mastercard (5), the
# old domestic 9-prefixed debit cards.
_CARD = re.compile(_EDGE_L + r"((?:62|4|5[1-5]|9)\d{2}(?:[ -]?\d{4}){2}[ -]?\d{4}(?:[ -]?\d{1,3})?)" + _EDGE_R)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum_ok(number: str) -> bool:
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid_birthdate(y: str, m: str, d: str) -> bool:
    try:
        return date(int(y), int(m), int(d)) <= date(2100, 1, 1)
    except ValueError:
        return False


def mask(number: str, keep_head: int, keep_tail: int) -> str:
    return number[:keep_head] + "*" * (len(number) - keep_head - keep_tail) + number[-keep_tail:]


class PersonalCheck:
    def find(self, text: str) -> Iterator[Hit]:
        taken: list[tuple[int, int]] = []
        for m in _ID.finditer(text):
            number = m.group(0)
            if _valid_birthdate(m.group(2), m.group(3), m.group(4)) and id_checksum_ok(number):
                bisect.insort(taken, m.span())
                yield Hit(m.start(), m.end(), number, mask(number, 6, 4), PERSONAL,
                          "personal.id_card", SOURCE, VETO, "未打码的身份证号码（校验位有效）")
        for m in _CARD.finditer(text):
            digits = re.sub(r"[ -]", "", m.group(0))
            if 16 <= len(digits) <= 19 and luhn_ok(digits) and not _overlaps(m.span(), taken):
                bisect.insort(taken, m.span())
                yield Hit(m.start(), m.end(), m.group(0), mask(digits, 4, 4), PERSONAL,
                          "personal.bank_card", SOURCE, VETO, "未打码的银行卡号（Luhn校验有效）")
        for m in _MOBILE.finditer(text):
            if not _overlaps(m.span(), taken):
                number = m.group(1) + m.group(3) + m.group(4)
                yield Hit(m.start(), m.end(), m.group(0), mask(number, 3, 4), PERSONAL,
                          "personal.mobile", SOURCE, VETO, "未打码的手机号码")


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    # taken is sorted; a number is at most ~25 characters, so only neighbours can overlap.
    i = bisect.bisect_left(taken, (span[0] - 32, 0))
    while i < len(taken) and taken[i][0] < span[1]:
        if span[0] < taken[i][1]:
            return True
        i += 1
    return False
