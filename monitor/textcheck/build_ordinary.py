"""Write ``data/ordinary_jieba.txt`` from jieba's dictionary (MIT licence):

    python -m monitor.textcheck.build_ordinary PATH/TO/jieba/dict.txt

The list holds the ordinary words that begin with a character a name's generic ending (市,
局, 部 …) is mistaken for — 补偿 for 生态环境部 → 生态环境补 — and those characters that are
common words on their own (不, 为, 是). terms.py does not raise a near-miss whose replaced
ending starts such a word in the text. jieba is needed only to rebuild the file, not to run.
"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from monitor.textcheck.confusion import Confusion
from monitor.textcheck.lists import DATA_DIR, load_lists
from monitor.textcheck.terms import _SUFFIXES

MIN_WORD_FREQ = 30  # jieba counts: rarer words are not worth a line
MIN_SINGLE_FREQ = 10_000


def build(dict_path: Path) -> list[str]:
    confusion = Confusion(load_lists(None))
    starts = {alt for s in _SUFFIXES for _, alt in confusion.alternatives(s)}
    out = []
    for line in dict_path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        word, freq = parts[0], int(parts[1])
        if word[0] in starts and ((2 <= len(word) <= 3 and freq >= MIN_WORD_FREQ)
                                  or (len(word) == 1 and freq >= MIN_SINGLE_FREQ)):
            out.append(word)
    return sorted(set(out))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    words = build(Path(argv[0]))
    header = (f"# source: jieba 0.42.1 dict.txt (MIT licence), words of 2-3 characters (frequency >= {MIN_WORD_FREQ}) and single "
              f"characters (>= {MIN_SINGLE_FREQ}) that begin with a character a generic name ending is mistaken for\n"
              f"# version: {date.today():%Y.%m.%d}\n# date: {date.today()}\n"
              "# extend: one word per line; rebuild with python -m monitor.textcheck.build_ordinary DICT, or add words in an "
              "ordinary_*.txt in [textcheck] extra_lists_dir\n")
    (DATA_DIR / "ordinary_jieba.txt").write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
