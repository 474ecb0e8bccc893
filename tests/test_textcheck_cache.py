"""The text checker's automata kept on disk: a new process loads them instead of building them
(and finds exactly the same), and a cache file that is corrupt, foreign or in a folder others
can write is never used — the index is built again."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.textcheck import _checker, cache, get_checker
from monitor.textcheck import terms as terms_module
from monitor.textcheck.confusion import Confusion
from monitor.textcheck.lists import load_lists
from monitor.textcheck.terms import Term, _Index

REPO = Path(__file__).resolve().parents[1]
TEXT = "中华人民共合国国务院和南通市测试句联合发文，国务院办工厅转发。电话13812345678，卫计委。"
UNITS = ["南通市测试局", "海安市卫生健康委员会"]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(d))
    return d


def _hits(checker) -> list[dict]:
    return [h.as_dict() for h in checker.check(TEXT)]


def test_a_new_process_loads_the_built_checker_and_finds_the_same(cache_dir):
    terms_module._base.cache_clear()
    _checker.cache_clear()
    built = get_checker(UNITS)
    assert [ix.from_cache for ix in built.terms.indexes] == [False, False]
    assert _hits(built) and {h["rule"] for h in _hits(built)} >= {"terms.registry.南通市测试局", "pairs.agency.卫计委"}
    # Our folder and files only: nobody else can put an automaton there.
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in cache_dir.iterdir()} == {0o600}
    assert not list(cache_dir.glob(".tmp-*"))

    code = ("import json, sys; from monitor.textcheck import get_checker; "
            "c = get_checker(json.loads(sys.argv[1])); "
            "print(json.dumps({'from_cache': [ix.from_cache for ix in c.terms.indexes], "
            "'pypinyin': 'pypinyin' in sys.modules, 'variants': c.terms.variants, 'version': c.version, "
            "'hits': [h.as_dict() for h in c.check(sys.argv[2])]}, ensure_ascii=False))")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(UNITS), TEXT], cwd=REPO, check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    second = json.loads(out.stdout)
    assert second["from_cache"] == [True, True]
    assert second["pypinyin"] is False  # the homophone dictionary is not even imported
    assert second["hits"] == _hits(built)
    assert (second["variants"], second["version"]) == (built.terms.variants, built.version)


def _index() -> _Index:
    terms = {t: Term(t, f"terms.test.{t}", "严重表述错误", "veto.security", "test")
             for t in ("国务院办公厅", "南通市人民政府")}
    return _Index(terms, set(terms), Confusion(load_lists(None)), set(), key=("test", "two terms"))


def _found(index: _Index) -> list[tuple[int, str, str]]:
    return [(end, word, getattr(what, "how", "term")) for end, word, what in index.iter("国务院办工厅与南通市人民攻府")]


def _entry(d: Path) -> tuple[Path, Path]:
    (meta,) = d.glob("*.json")
    return meta, meta.with_suffix(".ac")


def _truncate_automaton(d: Path) -> None:
    _, ac = _entry(d)
    ac.write_bytes(ac.read_bytes()[:100])


def _flip_a_byte(d: Path) -> None:
    _, ac = _entry(d)
    data = bytearray(ac.read_bytes())
    data[len(data) // 2] ^= 0xFF
    ac.write_bytes(bytes(data))


def _garbage_table(d: Path) -> None:
    meta, _ = _entry(d)
    meta.write_text("{not json", encoding="utf-8")


def _foreign_table(d: Path) -> None:
    # A well-formed entry with the right digest, naming terms this index does not have.
    meta, _ = _entry(d)
    m = json.loads(meta.read_text(encoding="utf-8"))
    m["table"]["term_names"] = ["外国政府" for _ in m["table"]["term_names"]]
    meta.write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")


def _other_format(d: Path) -> None:
    meta, _ = _entry(d)
    m = json.loads(meta.read_text(encoding="utf-8"))
    m["format"] = cache.FORMAT + 1
    meta.write_text(json.dumps(m), encoding="utf-8")


@pytest.mark.parametrize("spoil", [_truncate_automaton, _flip_a_byte, _garbage_table, _foreign_table, _other_format])
def test_a_corrupt_or_foreign_cache_entry_is_built_again(cache_dir, spoil):
    first = _index()
    assert not first.from_cache and _found(first)
    assert _index().from_cache and _found(_index()) == _found(first)
    spoil(cache_dir)
    again = _index()
    assert not again.from_cache
    assert _found(again) == _found(first)
    # ... and written again, whole: the next process loads it.
    assert _index().from_cache


def test_a_folder_others_can_write_is_not_used(cache_dir):
    _index()
    cache_dir.chmod(0o777)
    assert not _index().from_cache
    cache_dir.chmod(0o700)
    assert _index().from_cache


def test_the_cache_can_be_turned_off(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    index = _index()
    assert not index.from_cache and _found(index)
    assert not _index().from_cache
    assert list(tmp_path.iterdir()) == []
