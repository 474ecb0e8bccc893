"""The crawl child is bounded from outside: time and memory."""
from __future__ import annotations

import re
import tempfile

from monitor.crawl import run_crawl
from monitor.crawl.runner import spider_groups
from tests.fixtures.core import T, make_app


def _app(sqlite_url, tmp_path, **crawl):
    return make_app(sqlite_url, tmp_path, crawl={"delay": 0, **crawl})


def test_a_child_over_its_memory_limit_is_killed_and_reported(sqlite_url, tmp_path, monkeypatch):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    app = _app(sqlite_url, tmp_path, child_memory_mb=1)  # any Python process is above 1 MB
    result = run_crawl(app, T, ["weibo"])
    assert result.memory_exceeded and not result.ok
    assert "killed at" in result.log_path.read_text(encoding="utf-8")
    # Killed with SIGKILL, the child cleaned nothing: its temporary folder went with the crawl.
    assert list(tmp.iterdir()) == []


def test_a_child_past_its_time_limit_is_killed(sqlite_url, tmp_path):
    app = _app(sqlite_url, tmp_path)
    result = run_crawl(app, T, ["weibo"], timeout=0.5)
    assert result.timed_out and not result.ok


# "2026-11-25 02:00:01 [scrapy.core.engine] INFO: …": the logger and the level of a line.
_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[([^\]]+)\] ([A-Z]+): ", re.M)
LIBRARIES = ("scrapy", "twisted", "py.warnings", "asyncio", "filelock", "tldextract", "playwright")


def assert_crawl_log_is_ours(text: str) -> None:
    """What an operator reads in a night's crawl log: the spiders' and the pipeline's lines;
    from Scrapy and the other libraries only warnings and errors; no deprecation notices."""
    noise = [m.group(0) for m in _LINE.finditer(text)
             if m.group(1).split(".")[0] in LIBRARIES and m.group(2) in ("DEBUG", "INFO")]
    assert not noise, "library narration in the crawl log:\n" + "\n".join(noise[:10])
    assert not re.search(r"deprecat", text, re.I), [line for line in text.splitlines() if re.search("deprecat", line, re.I)][:5]
    assert "{'lxml'" not in text and "Versions:" not in text  # Scrapy's version dump


def test_a_crawl_of_an_empty_registry_succeeds_within_limits(sqlite_url, tmp_path):
    result = run_crawl(_app(sqlite_url, tmp_path), T, ["weibo", "wechat", "apps"])
    log = result.log_path.read_text(encoding="utf-8")
    assert result.ok, log[-3000:]
    assert 0 < result.peak_rss_mb < 2048
    assert_crawl_log_is_ours(log)


def test_spiders_are_split_over_the_crawl_children_heaviest_first():
    weights = {"weibo": 6000, "wechat": 3500, "apps": 300, "douyin": 100, "toutiao": 100, "kuaishou": 50}
    assert spider_groups(sorted(weights), 2, weights) == [["weibo"], ["apps", "douyin", "kuaishou", "toutiao", "wechat"]]
    assert spider_groups(["weibo", "wechat"], 4) == [["wechat"], ["weibo"]]  # never more children than spiders
    assert spider_groups(["weibo", "wechat", "apps"], 1) == [["apps", "wechat", "weibo"]]
