"""Write ``data/ordinary_jieba.txt`` and ``data/names_jieba.txt`` from jieba's dictionary
(MIT licence):

    python -m monitor.textcheck.build_ordinary PATH/TO/jieba/dict.txt

ordinary_jieba.txt: common words of two or three characters, and under ``## 单字`` the
characters that are common words on their own. terms.py uses them to tell a misspelt short
name from prose that happens to look like one (生态环境补偿 is not 生态环境部, 启动市场 is not
启东市).

names_jieba.txt: place names of China (ns words ending in 省/市/县/区/州/盟/旗). They are correct
wherever they appear, so no near-miss is raised inside one (台州市 is not 泰州市, 浙江省人民政府
is not 江苏省人民政府 with a character dropped).

jieba is needed only to rebuild the files, not to run.
"""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from monitor.textcheck.lists import DATA_DIR

MIN_WORD_FREQ = 100  # jieba counts
MIN_SINGLE_FREQ = 10_000
PLACE_ENDINGS = tuple("省市县区州盟旗")


def read_dict(path: Path):
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].isdigit():
            yield parts[0], int(parts[1]), parts[2] if len(parts) > 2 else ""


def _cjk(word: str) -> bool:
    return all("\u4e00" <= c <= "\u9fff" for c in word)


def build(path: Path) -> tuple[list[str], list[str], list[str]]:
    words, singles, places = set(), set(), set()
    for word, freq, tag in read_dict(path):
        if not _cjk(word):
            continue
        if 2 <= len(word) <= 3 and freq >= MIN_WORD_FREQ:
            words.add(word)
        elif len(word) == 1 and freq >= MIN_SINGLE_FREQ:
            singles.add(word)
        if tag == "ns" and len(word) >= 3 and word.endswith(PLACE_ENDINGS):
            places.add(word)
    return sorted(words), sorted(singles), sorted(places)


def _header(what: str) -> str:
    today = date.today()
    return (f"# source: jieba 0.42.1 dict.txt (MIT licence, github.com/fxsjy/jieba), {what}\n"
            f"# version: {today:%Y.%m.%d}\n# date: {today}\n"
            "# extend: one entry per line; rebuild with python -m monitor.textcheck.build_ordinary DICT, or add "
            "entries in a file of the same prefix in [textcheck] extra_lists_dir\n")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    words, singles, places = build(Path(argv[0]))
    (DATA_DIR / "ordinary_jieba.txt").write_text(
        _header(f"words of 2-3 characters with frequency >= {MIN_WORD_FREQ}; under ## 单字 single characters "
                f">= {MIN_SINGLE_FREQ}") + "\n".join(words) + "\n## 单字\n" + "\n".join(singles) + "\n", encoding="utf-8")
    (DATA_DIR / "names_jieba.txt").write_text(
        _header("place names (ns) ending in " + "/".join(PLACE_ENDINGS)) + "\n".join(places) + "\n", encoding="utf-8")
    print(f"{len(words)} words, {len(singles)} single characters, {len(places)} place names")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
