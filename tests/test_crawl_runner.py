"""The crawl child is bounded from outside: time and memory."""
from __future__ import annotations

from monitor.crawl import run_crawl
from tests.fixtures.core import T, make_app


def _app(sqlite_url, tmp_path, **crawl):
    return make_app(sqlite_url, tmp_path, crawl={"delay": 0, **crawl})


def test_a_child_over_its_memory_limit_is_killed_and_reported(sqlite_url, tmp_path):
    app = _app(sqlite_url, tmp_path, child_memory_mb=1)  # any Python process is above 1 MB
    result = run_crawl(app, T, ["weibo"])
    assert result.memory_exceeded and not result.ok
    assert "killed at" in result.log_path.read_text(encoding="utf-8")


def test_a_child_past_its_time_limit_is_killed(sqlite_url, tmp_path):
    app = _app(sqlite_url, tmp_path)
    result = run_crawl(app, T, ["weibo"], timeout=0.5)
    assert result.timed_out and not result.ok


def test_a_crawl_of_an_empty_registry_succeeds_within_limits(sqlite_url, tmp_path):
    result = run_crawl(_app(sqlite_url, tmp_path), T, ["weibo", "wechat", "apps"])
    assert result.ok, result.log_path.read_text(encoding="utf-8")[-3000:]
    assert 0 < result.peak_rss_mb < 2048
