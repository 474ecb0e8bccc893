"""The text checks, measured: false alarms, recall on generated errors, speed.

    .venv/bin/python bench/textcheck.py [--corpus DIR] [--seed N]

False alarms (every hit is one): the regulation in ../shared/regulation/, every sandbox post
(the demo scenario and a 1,000-account scale scenario; a post spec marked
``text_check: expected`` carries a deliberate error and is counted apart), and a corpus of real
government prose: a folder of UTF-8 files named ``YYYY-MM-DD_title.txt`` (the date is when
it was published, so a name that changed later is judged as of then). Default: the committed
sample in bench/data/gov_prose_sample/; the measured corpus is described in its SOURCES.txt.

Recall: every protected term of the packaged lists and the demo registry's 主办单位, put in
one of six sentences where a post names a unit, with each of its characters in turn replaced by a random same-syllable common character (GB 2312
level 1 — what an input method offers first; level 2 is shown for information) and by a
look-alike from shapes_*.txt; every example of every pair entry; generated ID-card, mobile
and bank-card numbers (and their masked or invalid forms, which must not be raised).

Speed: characters per second over the corpus, and 1,000 posts cut from it (with and without
building the checker, which a nightly run pays once); the checker's build in a new process
with an empty cache and from the cache (monitor/textcheck/cache.py). The bench uses a cache
folder of its own, so its numbers do not depend on what earlier runs left.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CACHE = tempfile.TemporaryDirectory(prefix="bench-textcheck-")
os.environ["MONITOR_TEXTCHECK_CACHE"] = CACHE.name  # before the checker is imported

from pypinyin import Style, pinyin  # noqa: E402

from monitor.textcheck import TextChecker, check_text, get_checker  # noqa: E402
from monitor.textcheck import terms as terms_module  # noqa: E402
from monitor.textcheck.lists import load_lists  # noqa: E402
from monitor.textcheck.personal import _ID_CHECK, _ID_WEIGHTS, luhn_ok  # noqa: E402

REGULATION = REPO.parent / "shared" / "regulation"
SAMPLE = REPO / "bench" / "data" / "gov_prose_sample"
CARRIER = "据悉，{}近日发布了一则通知。"
# Where a name stands in a post: each generated error is put into one of these at random.
CARRIERS = ["据悉，{}近日发布了一则通知。", "{}召开专题会议，研究部署下一阶段工作。", "日前，{}印发《实施方案》。",
            "记者从{}获悉，今年以来全市新增就业岗位1.2万个。", "【权威发布】{}关于做好春节期间安全生产工作的通告",
            "根据{}的统一部署，我区开展专项整治行动。"]


def corpus_docs(folder: Path) -> list[tuple[str, date | None, str]]:
    docs = []
    for p in sorted(folder.glob("*.txt")):
        try:
            published = date.fromisoformat(p.name[:10])
        except ValueError:
            continue  # SOURCES.txt and other notes
        docs.append((p.name, published, p.read_text(encoding="utf-8")))
    return docs


def sandbox_texts() -> tuple[list[str], list[str]]:
    """(ordinary texts, texts marked as carrying a deliberate error) of the sandbox."""
    from monitor.sandbox.scenario import DEMO_AT, ScaleScenario, load_scenario
    from monitor.timeutil import resolve_at

    plain: set[str] = set()
    expected: set[str] = set()
    for scenario in (load_scenario("demo"), ScaleScenario(1000, resolve_at(DEMO_AT))):
        for acc in scenario.accounts():
            for key in ("name", "verified_reason", "subject", "description", "intro"):
                if isinstance(acc.spec.get(key), str):
                    plain.add(acc.spec[key])
            for post in acc.posts:
                bucket = expected if post.extra.get("text_check") == "expected" else plain
                bucket.update(t for t in (post.text, post.title) if t)
    return sorted(plain), sorted(expected)


def demo_host_units() -> list[str]:
    """The demo registry's 主办单位: the nightly run checks posts with the registry's units."""
    with open(REPO / "monitor" / "demo" / "registry.csv", encoding="utf-8-sig", newline="") as f:
        return sorted({row["主办单位"] for row in csv.DictReader(f) if row.get("主办单位")})


def _gb2312(level: int) -> list[str]:
    rows = range(0xB0, 0xD8) if level == 1 else range(0xD8, 0xF8)
    out = []
    for hi in rows:
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return out


def syllable_index(chars: list[str]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for ch in chars:
        for s in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]:
            index.setdefault(s, []).append(ch)
    return index


def substitutions(term: str, rng: random.Random, index: dict[str, list[str]], shapes: dict[str, tuple[str, ...]]):
    for i, ch in enumerate(term):
        same = sorted({c for s in pinyin(ch, style=Style.NORMAL, heteronym=True)[0] for c in index.get(s, ()) if c != ch})
        if same:
            yield "homophone", i, term[:i] + rng.choice(same) + term[i + 1:]
        if shapes.get(ch):
            yield "shape", i, term[:i] + rng.choice(shapes[ch]) + term[i + 1:]


def found(checker: TextChecker, correct: str, wrong: str, pos: int) -> bool:
    return any(h.start <= pos < h.end and h.suggestion == correct[h.start:h.end] for h in checker.check(wrong))


def recall_terms(checker: TextChecker, seed: int, level: int) -> dict[str, tuple[int, int]]:
    rng = random.Random(seed)
    index = syllable_index(_gb2312(level))
    counts: dict[str, list[int]] = {}
    misses: list[str] = []
    for term in sorted(checker.terms.terms):
        for how, i, wrong_term in substitutions(term, rng, index, checker.terms.confusion.shapes):
            if how == "shape" and level != 1:
                continue
            carrier = rng.choice(CARRIERS)
            c = counts.setdefault(how, [0, 0])
            c[1] += 1
            if found(checker, carrier.format(term), carrier.format(wrong_term), carrier.index("{}") + i):
                c[0] += 1
            elif len(misses) < 8:
                misses.append(f"{wrong_term}（{term}）")
    if misses:
        print(f"    e.g. missed: {'、'.join(misses)}")
    return {k: (v[0], v[1]) for k, v in counts.items()}


def _id_number(rng: random.Random) -> str:
    region = rng.choice(["320602", "320612", "320623", "320681", "110101", "440305"])
    born = date(1950, 1, 1).toordinal() + rng.randrange(25000)
    body = region + date.fromordinal(born).strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    return body + _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS)) % 11]


def _card(rng: random.Random) -> str:
    while True:
        digits = rng.choice(["6222", "6228", "6217", "6214"]) + "".join(str(rng.randrange(10)) for _ in range(rng.choice([12, 15])))
        if luhn_ok(digits):
            return digits


def personal_cases(seed: int, n: int = 300):
    rng = random.Random(seed)
    for _ in range(n):
        id_ = _id_number(rng)
        mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        card = _card(rng)
        yield "id_card", id_, id_[:6] + "********" + id_[-4:]
        yield "mobile", mobile, mobile[:3] + "****" + mobile[-4:]
        yield "bank_card", card, card[:4] + "*" * (len(card) - 8) + card[-4:]
        bad = id_[:17] + _ID_CHECK[(_ID_CHECK.index(id_[17].upper()) + 1) % 11]
        yield "id_card", None, bad  # checksum fails: not an ID-card number


def process_build(units: list[str]) -> tuple[float, bool]:
    """(seconds, from the cache) of importing and building the checker in a new process: what
    every `monitor run`/`detect`/`text check` pays."""
    code = ("import json, sys, time; t = time.perf_counter(); from monitor.textcheck import get_checker; "
            "c = get_checker(json.loads(sys.argv[1])); "
            "print(time.perf_counter() - t, all(ix.from_cache for ix in c.terms.indexes if not ix.empty))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(units)], cwd=REPO, check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)}).stdout.split()
    return float(out[0]), out[1] == "True"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=SAMPLE, help="folder of YYYY-MM-DD_title.txt files")
    ap.add_argument("--seed", type=int, default=19)
    args = ap.parse_args()

    units = demo_host_units()
    cold, _ = process_build(units)
    warm, hit = process_build(units)
    size = sum(p.stat().st_size for p in Path(CACHE.name).iterdir()) / 1e6
    print(f"checker in a new process (import + build): {cold:.2f} s with an empty cache, {warm:.2f} s "
          f"from the cache ({'used' if hit else 'NOT USED'}, {size:.1f} MB)")
    t0 = time.perf_counter()
    checker = get_checker(units)
    build = time.perf_counter() - t0
    print(f"checker: {len(checker.terms.terms)} protected terms ({len(units)} of them the demo registry's 主办单位), "
          f"{checker.terms.variants} near-miss forms, {len(checker.pairs.pairs)} pair entries; built in {build:.2f} s")

    print("\nFalse alarms (must be 0 / fewer than 1 per 10,000 characters):")
    reg = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(REGULATION.glob("*.txt"))]
    reg_hits = [(n, h) for n, t in reg for h in checker.check(t)]
    print(f"  regulation {', '.join(n for n, _ in reg)}: {sum(len(t) for _, t in reg):,} characters, {len(reg_hits)} hits")
    for n, h in reg_hits:
        print(f"    {h.text} → {h.suggestion} ({h.rule})")
    plain, expected = sandbox_texts()
    sb_hits = [(t, h) for t in plain for h in checker.check(t)]
    print(f"  sandbox posts: {len(plain):,} distinct texts, {sum(map(len, plain)):,} characters, {len(sb_hits)} hits"
          + (f"; {len(expected)} marked text_check: expected, {sum(bool(checker.check(t)) for t in expected)} of them raised"
             if expected else ""))
    for t, h in sb_hits[:10]:
        print(f"    {h.text} → {h.suggestion} ({h.rule}) in {t[:40]!r}")
    docs = corpus_docs(args.corpus)
    chars = sum(len(t) for _, _, t in docs)
    hits = [(n, t, h) for n, pub, t in docs for h in checker.check(t, pub)]
    print(f"  corpus {args.corpus} ({len(docs)} documents): {chars:,} characters, {len(hits)} hits "
          f"= {len(hits) / max(chars, 1) * 10000:.2f} per 10,000 characters")
    for n, t, h in hits[:20]:
        print(f"    {h.text} → {h.suggestion} ({h.rule}) …{t[max(0, h.start - 8):h.end + 8]}… [{n[:10]}]")

    print("\nRecall on generated errors:")
    for level in (1, 2):
        result = recall_terms(checker, args.seed, level)
        for how, (ok, total) in result.items():
            label = "homophone, GB 2312 level 1" if how == "homophone" and level == 1 else \
                "homophone, GB 2312 level 2 (information)" if how == "homophone" else "look-alike (shapes table)"
            print(f"  {label}: {ok}/{total} = {ok / max(total, 1):.1%}")
    pair_ok = pair_total = 0
    for pair in checker.pairs.pairs:
        for ex in pair.examples:
            pair_total += 1
            text = CARRIER.format(ex)
            if any(h.rule == pair.rule for h in checker.check(text)):
                pair_ok += 1
            else:
                print(f"    pair missed: {pair.rule} {ex!r}")
    listing = "来自美国、日本、台湾等国家的客商"
    pair_total += 1
    pair_ok += any(h.rule == "pairs.hmt.台湾与国家并列" for h in checker.check(listing))
    print(f"  pair-list examples: {pair_ok}/{pair_total} = {pair_ok / pair_total:.1%}")
    words = [e.value for wl in load_lists(None)["sensitive"] for e in wl.entries]
    raised = sum(any(h.kind == "敏感内容" for h in checker.check(f"网友发帖：{w}，详情私信。")) for w in words)
    reported = sum(any(h.kind == "敏感内容" for h in checker.check(f"公安机关依法严厉打击{w}等违法行为。")) for w in words)
    print(f"  sensitive words: {raised}/{len(words)} = {raised / max(len(words), 1):.1%} raised in a post; "
          f"{reported} raised where the post reports a crackdown on them")
    by_kind: dict[str, list[int]] = {}
    masked_raised = invalid_raised = 0  # invalid: an ID-card hit on a number whose checksum fails
    for kind, number, masked in personal_cases(args.seed):
        if number is None:
            invalid_raised += any(h.rule == "personal.id_card" for h in checker.check(f"身份证号：{masked}。"))
            continue
        c = by_kind.setdefault(kind, [0, 0])
        c[1] += 1
        c[0] += any(h.rule == f"personal.{kind}" and h.text.replace(" ", "") == number
                    for h in checker.check(f"联系人张先生，号码{number}，请核实。"))
        masked_raised += bool(checker.check(f"联系人张先生，号码{masked}，请核实。"))
    for kind, (ok, total) in by_kind.items():
        print(f"  personal data {kind}: {ok}/{total} = {ok / total:.1%}")
    print(f"  masked forms raised: {masked_raised} of {sum(t for _, t in by_kind.values())}; "
          f"ID numbers with a wrong checksum raised: {invalid_raised}")

    print("\nSpeed:")
    big = "\n".join(t for _, _, t in docs) or "国务院办公厅"
    while len(big) < 200_000:
        big += "\n" + big
    t0 = time.perf_counter()
    check_text(big)
    dt = time.perf_counter() - t0
    print(f"  {len(big):,} characters in {dt:.2f} s = {len(big) / dt:,.0f} characters per second")
    rng = random.Random(args.seed)
    posts = []
    while len(posts) < 1000:
        start = rng.randrange(max(1, len(big) - 600))
        posts.append(big[start:start + rng.choice([140, 300, 600, 2000])])
    terms_module._base.cache_clear()
    load_lists.cache_clear()
    t0 = time.perf_counter()
    cold = TextChecker(units)
    built = time.perf_counter() - t0
    for p in posts:
        cold.check(p)
    total = time.perf_counter() - t0
    print(f"  1,000 posts ({sum(map(len, posts)):,} characters): {total:.2f} s including building the checker from the cache "
          f"({built:.2f} s), {total - built:.2f} s checking")
    hostile = "国务院办工厅，" * 50_000 + "110101199003074514，13812345678，" * 20_000
    t0 = time.perf_counter()
    n = len(check_text(hostile))
    print(f"  hostile text: {len(hostile):,} characters, {n:,} hits in {time.perf_counter() - t0:.2f} s "
          "(a near-miss or number every few characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
