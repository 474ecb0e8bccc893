"""The nightly cycle end to end: the real ``monitor run`` against the sandbox's demo scenario,
two nights (T−1 d, then T), and the verdict of every demo account."""
from __future__ import annotations

import json
from datetime import timedelta

from tests.fixtures.core import T
from tests.test_crawl_runner import assert_crawl_log_is_ours

# What an inspector checking the demo accounts by hand against Annex 2 would conclude at T.
EXPECTED = {
    "南通发布": ("合格", 100),
    "崇川公安": ("不合格", None),         # 2 weeks silent behind an old pinned post: veto
    "通州文明": ("合格", 100),            # reposts only: advisory, not scored
    "海门市场监管": ("合格", 90),         # 2 empty natural weeks: -5 each
    "如东气象": ("未能核验", None),       # Weibo answers 418: never accused
    "南通城管": ("合格", 100),            # ad post: suspected, pending review
    "启东人社": ("合格", 90),             # not verified: -10
    "南通科技": ("合格", 100),            # closing with 停更公告: not held to update rules
    "南通数据": ("合格", 100),            # opened 10 days ago
    "南通发改规划科": ("合格", 100),      # internal-unit name: suspected, pending
    "南通教育": ("合格", 100),
    "海安健康": ("合格", 95),             # 服务号, 3 posts in 4 weeks: one case
    "南通医保": ("不合格", None),         # aggregator dates are crawl times; articles 30 days old
    "如皋政务服务": ("未能核验", None),   # feed answers 500
    "南通住建": ("未能核验", None),       # its wewe-rss stopped syncing 20 days ago: never a veto
    "通州文旅": ("合格", 100),            # 图片分享 posts (no #js_content) read like articles
    "南通百通": ("合格", 100),
    "崇川政务": ("不合格", None),         # truncated APK on two nights: veto
    "通州湾服务": ("合格", 95),           # download link broken, App Store works: -5
    "如皋发布": ("合格", 100),            # timeline pages by cardlistInfo.page (no since_id): all followed
    "海安发布": ("合格", 100),            # visitors see page 1 only: weeks beyond it are not judged
    "如东政务": ("合格", 100),            # a download page: its 安卓版下载 link is a good APK
    "南通发布头条号": ("合格", 100),      # 头条 through RSSHub, canary fresh
    "南通公安": ("合格", 100),            # 抖音 through the profile page's aweme/post JSON
    "海门发布": ("不合格", None),         # 抖音, newest work 31 days old: veto
    "如东文旅": ("合格", 100),            # 快手 through the page's GraphQL answer
    "通州融媒": ("未能核验", None),       # 快手 through RSSHub: items carry no time
}
# How much of the 28-day check period the two nights observed.
COVERAGE = {"如皋发布": 28, "海安发布": 8, "南通发布": 28, "如东气象": 0}
PENDING = {"南通城管": "ded.commercial_ads", "南通发改规划科": "ded.irregular_opening",
           "南通发布": "ded.improper_content",  # 卫计委 in a long post's full text: for review
           "海安健康": "veto.security",  # an unmasked ID-card number in a 公示: for review, never a veto unreviewed
           "如皋发布": "veto.no_interaction",  # comments closed on every recent post
           "海安发布": "ded.improper_response"}  # an abusive reply by the account in a comment section


def test_monitor_run_demo_scenario_two_nights(sandbox, demo_registry, tmp_path, monitor_cli):
    values = {"database_url": f"sqlite:///{tmp_path / 'm.db'}", "evidence_dir": str(tmp_path / "ev"),
              "report_dir": str(tmp_path / "rep"), "warc_dir": str(tmp_path / "warc"),
              "alerts": {"outbox": str(tmp_path / "outbox.jsonl")}, "crawl": {"delay": 0, "autothrottle": False},
              **sandbox.config_overrides()}
    # 如东气象 answers every request 418: the production back-off (2.5 s, doubling) would only
    # make each night wait for it.
    values["platforms"]["weibo"]["backoff_418"] = 0.2
    monitor_cli(["init"], values)
    monitor_cli(["accounts", "import", str(demo_registry)], values)
    for night in (T - timedelta(days=1), T):
        sandbox.world.set_clock(night)
        monitor_cli(["run", "--at", night.isoformat()], values)

    # Two nights of every platform (Chromium for the visitor cookies and download pages
    # included): the crawl logs speak for the spiders, not for the libraries.
    logs = sorted((tmp_path / "logs").glob("crawl-*.log"))
    assert len(logs) >= 2 and any("[spiders." in p.read_text(encoding="utf-8") for p in logs)
    for path in logs:
        assert_crawl_log_is_ours(path.read_text(encoding="utf-8"))

    cards = {c["account_name"]: c for c in json.loads(monitor_cli(["score", "--format", "json", "--at", T.isoformat()], values).stdout)}
    got = {name: (c["verdict"], c["score"]) for name, c in cards.items()}
    assert got == EXPECTED
    for name, rule in PENDING.items():
        assert rule in cards[name]["pending"], cards[name]
    assert "veto.no_update_2w" in cards["崇川公安"]["vetoes"]
    assert {name: cards[name]["coverage"]["days"] for name in COVERAGE} == COVERAGE
    assert cards["海安发布"]["coverage"]["text"] == "监测覆盖 8/28 天" and cards["南通百通"]["coverage"] is None
    assert "veto.app_unavailable" in cards["崇川政务"]["vetoes"]
    assert "veto.no_update_2w" in cards["海门发布"]["vetoes"]
    assert "订阅源停止同步 since" in cards["南通住建"]["reason"] and not cards["南通住建"]["vetoes"]

    # Re-running the same T is harmless: same cards, no duplicate findings.
    findings_before = json.loads(monitor_cli(["findings", "--format", "json", "--at", T.isoformat()], values).stdout)
    monitor_cli(["run", "--at", T.isoformat()], values)
    findings_after = json.loads(monitor_cli(["findings", "--format", "json", "--at", T.isoformat()], values).stdout)
    assert len(findings_after) == len(findings_before)
    again = {c["account_name"]: (c["verdict"], c["score"]) for c in
             json.loads(monitor_cli(["score", "--format", "json", "--at", T.isoformat()], values).stdout)}
    assert again == EXPECTED
