"""The update rules on hand-built histories around their edges (T = Wed 2026-11-25 02:00
Beijing; complete weeks before T: 10-26, 11-02, 11-09, 11-16; veto window (11-11 02:00, T])."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from monitor.detectors import run_detection
from storage.models import Finding
from tests.fixtures.core import T, TZ

WEEKS = [datetime(2026, 10, 26, tzinfo=TZ), datetime(2026, 11, 2, tzinfo=TZ),
         datetime(2026, 11, 9, tzinfo=TZ), datetime(2026, 11, 16, tzinfo=TZ)]


def rules_of(app, account_id, prefix=""):
    with app.session() as s:
        rows = s.execute(select(Finding.rule, Finding.case_key).where(
            Finding.account_id == account_id, Finding.at == T)).all()
    return sorted((r, k) for r, k in rows if r.startswith(prefix))


def finding(app, account_id, rule):
    with app.session() as s:
        return s.scalars(select(Finding).where(Finding.account_id == account_id,
                                               Finding.rule == rule)).one()


def post_every_week(h, aid, skip=()):
    for i, start in enumerate(WEEKS):
        if i not in skip:
            h.post(aid, start + timedelta(days=2))


VETO_CASES = [
    # (id, account kwargs, posts [(offset from T, kwargs)], vetoed?)
    ("post exactly at T-14d does not count", {}, [(-timedelta(days=14), {})], True),
    ("post one second after T-14d counts", {}, [(-timedelta(days=14) + timedelta(seconds=1), {})], False),
    ("post exactly at T counts", {}, [(timedelta(0), {})], False),
    ("post after T is not seen as of T", {}, [(timedelta(hours=1), {})], True),
    ("pinned old post counts by its own date", {}, [(-timedelta(days=40), {"pinned": True})], True),
    ("repost counts as an update", {}, [(-timedelta(days=3), {"kind": "repost"})], False),
    ("deleted post was still published", {},
     [(-timedelta(days=3), {"gone_at": T - timedelta(days=1)})], False),
    ("account opened 10 days ago is not vetoed", {"opened_on": date(2026, 11, 15)}, [], False),
    ("account opened 14 days ago is vetoed", {"opened_on": date(2026, 11, 11)}, [], True),
    ("closing account with 停更公告 is exempt",
     {"lifecycle": "关停", "stop_notice_on": date(2026, 11, 1)}, [], False),
    ("关停 whose notice is only after T is still held",
     {"lifecycle": "关停", "stop_notice_on": date(2026, 12, 1)}, [], True),
    ("小程序 is not a publishing account", {"platform": "wechat", "wechat_kind": "小程序"}, [], False),
    ("订阅号 is", {"platform": "wechat", "wechat_kind": "订阅号"}, [], True),
    ("douyin is", {"platform": "douyin"}, [], True),
]


@pytest.mark.parametrize("case", VETO_CASES, ids=[c[0] for c in VETO_CASES])
def test_two_week_veto_edges(app, history, case):
    _, kwargs, posts, vetoed = case
    aid = history.account(**kwargs)
    for offset, pk in posts:
        history.post(aid, T + offset, **pk)
    run_detection(app, T)
    assert bool(rules_of(app, aid, "veto.no_update_2w")) is vetoed


def test_veto_facts_name_the_latest_post(app, history):
    aid = history.account()
    ppid = history.post(aid, T - timedelta(days=20))
    history.post(aid, None)  # no time: ignored, but counted
    run_detection(app, T)
    f = finding(app, aid, "veto.no_update_2w")
    assert f.state == "auto"
    assert f.facts["latest_post_id"] == ppid
    assert f.facts["latest_post_url"].endswith(ppid)
    assert f.facts["latest_post_at"] == (T - timedelta(days=20)).isoformat()
    assert f.facts["days_silent"] == 20.0
    assert f.facts["posts_without_time"] == 1
    assert f.window_start == T - timedelta(days=14) and f.window_end == T


def test_short_first_feed_does_not_prove_silence(app, history):
    """A first night whose feed reaches back only 3 days proves nothing about day 4–14."""
    short = history.account(observe=False)
    history.observe(short, covered_from=T - timedelta(days=3))
    whole = history.account(observe=False)
    history.observe(whole, covered_from=T - timedelta(days=3), exhaustive=True)
    run_detection(app, T)
    assert rules_of(app, short) == []
    assert ("veto.no_update_2w", "") in rules_of(app, whole)


def test_nights_accumulate_coverage(app, history):
    """Overlapping nightly crawls together cover the window; a gap between them does not."""
    aid = history.account(observe=False)
    for night in range(15):
        at = T - timedelta(days=night, hours=1)
        history.observe(aid, observed_at=at, covered_from=at - timedelta(days=1, hours=1))
    gap = history.account(observe=False)
    for night in range(15):
        at = T - timedelta(days=night, hours=1)
        history.observe(gap, observed_at=at, covered_from=at - timedelta(hours=12))
    run_detection(app, T)
    assert ("veto.no_update_2w", "") in rules_of(app, aid)
    assert rules_of(app, gap, "veto") == []


@pytest.mark.parametrize("outcomes", [["blocked"], ["ok", "blocked"], ["error"], []],
                         ids=["only blocked", "ok then blocked", "error", "never crawled"])
def test_failed_crawl_is_never_an_accusation(app, history, outcomes):
    aid = history.account(observe=False, name="南通市某某局宣传科")  # would also be 开设不规范
    for i, outcome in enumerate(outcomes):
        history.observe(aid, outcome=outcome, observed_at=T - timedelta(hours=len(outcomes) - i),
                        covered_from=T - timedelta(days=60), reason="HTTP 432" if outcome != "ok" else None)
    counts = run_detection(app, T)
    assert rules_of(app, aid) == []
    assert counts["unverifiable"] == 1


def test_weeks_split_in_beijing_time(app, history):
    """Sunday 23:30 Beijing (15:30 UTC) belongs to that week; Monday 00:30 Beijing
    (Sunday 16:30 UTC) to the next."""
    sunday_late = history.account()
    post_every_week(history, sunday_late, skip=(3,))
    history.post(sunday_late, datetime(2026, 11, 22, 15, 30, tzinfo=timezone.utc))
    monday_early = history.account()
    post_every_week(history, monday_early, skip=(3,))
    history.post(monday_early, datetime(2026, 11, 22, 16, 30, tzinfo=timezone.utc))
    run_detection(app, T)
    assert rules_of(app, sunday_late, "ded.untimely") == []
    assert rules_of(app, monday_early, "ded.untimely") == [("ded.untimely_update", "2026-11-16")]


def test_each_empty_week_is_one_case(app, history):
    aid = history.account()
    post_every_week(history, aid, skip=(0, 1, 2))
    history.post(aid, T - timedelta(hours=5))
    run_detection(app, T)
    assert rules_of(app, aid, "ded.untimely") == [
        ("ded.untimely_update", "2026-10-26"), ("ded.untimely_update", "2026-11-02"),
        ("ded.untimely_update", "2026-11-09")]


@pytest.mark.parametrize("posts,cases", [(3, 1), (4, 0)])
def test_service_account_average(app, history, posts, cases):
    """服务号: posts ÷ weeks < 1 over the period is one case, however the posts fall."""
    aid = history.account(platform="wechat", wechat_kind="服务号", name="南通税务",
                          host_unit="国家税务总局南通市税务局")
    for i in range(posts):
        history.post(aid, WEEKS[0] + timedelta(days=1, hours=i))  # all in the first week
    run_detection(app, T)
    found = rules_of(app, aid, "ded.untimely")
    assert len(found) == cases
    if cases:
        f = finding(app, aid, "ded.untimely_update")
        assert f.facts["posts"] == 3 and f.facts["weeks"] == 4


def test_weeks_before_opening_are_not_judged(app, history):
    aid = history.account(opened_on=date(2026, 11, 10))
    history.post(aid, T - timedelta(days=1))
    run_detection(app, T)
    assert rules_of(app, aid, "ded.untimely") == [("ded.untimely_update", "2026-11-16")]


def test_weeks_outside_coverage_are_not_judged(app, history):
    aid = history.account(observe=False)
    history.observe(aid, covered_from=WEEKS[2] + timedelta(days=1))
    history.post(aid, T - timedelta(days=1))
    run_detection(app, T)
    assert rules_of(app, aid, "ded.untimely") == [("ded.untimely_update", "2026-11-16")]


def test_closing_account_is_not_held_to_any_update_rule(app, history):
    aid = history.account(lifecycle="关停", stop_notice_on=date(2026, 10, 1))
    run_detection(app, T)
    assert rules_of(app, aid) == []


def test_original_windows_count_unknown_kinds_separately(app, history):
    aid = history.account()
    history.daily_posts(aid, days=14, kind="unknown")   # (T−14 d, T]: no original
    for d in range(14, 28):
        history.post(aid, T - timedelta(days=d, hours=5), kind="repost" if d % 2 else "original")
    run_detection(app, T)
    found = rules_of(app, aid, "adv.no_original_2w")
    assert found == [("adv.no_original_2w", T.isoformat())]
    f = finding(app, aid, "adv.no_original_2w")
    assert f.facts["unknown_kind"] == 14 and f.facts["posts"] == 14


@pytest.mark.parametrize("silent_days,expected", [
    (6, []),
    (7.5, [("adv.update_reminder", "7d")]),
    (12.2, [("adv.update_reminder", "12d")]),
    (20, []),
    (61, [("adv.long_dormant", "60d")]),
    (100, [("adv.long_dormant", "90d")]),
    (400, [("adv.long_dormant", "365d")]),
])
def test_reminder_and_dormant_tiers(app, history, silent_days, expected):
    aid = history.account(observe=False)
    history.observe(aid, covered_from=T - timedelta(days=500))
    history.post(aid, T - timedelta(days=silent_days))
    run_detection(app, T)
    assert rules_of(app, aid, "adv.update_reminder") + rules_of(app, aid, "adv.long_dormant") == expected


def test_account_status_says_unverifiable_and_why(app, history):
    from monitor.detectors.coverage import account_status

    ok = history.account()
    blocked = history.account(observe=False)
    history.observe(blocked, outcome="blocked", reason="HTTP 432")
    assert account_status(app, ok, T).verifiable is True
    st = account_status(app, blocked, T)
    assert st.verifiable is False and "blocked" in st.reason and "HTTP 432" in st.reason
    # As of an earlier T the later crawl does not exist yet.
    assert account_status(app, ok, T - timedelta(hours=2)).verifiable is False


def test_detect_cli_prints_counts(run_cli, tmp_path):
    import json

    from monitor.app import App
    from monitor.config import Settings
    from tests.fixtures.histories import History

    db = f"sqlite:///{tmp_path / 'm.db'}"
    env = {"MONITOR_DATABASE_URL": db}
    assert run_cli("init", env=env).exit_code == 0
    h = History(App(Settings(database_url=db)))
    h.account()
    blocked = h.account(observe=False)
    h.observe(blocked, outcome="blocked")
    r = run_cli("detect", "--at", T.isoformat(), "--json", env=env)
    assert r.exit_code == 0, r.stderr
    counts = json.loads(r.stdout)
    assert counts["accounts"] == 2 and counts["unverifiable"] == 1
    assert counts["by_rule"]["veto.no_update_2w"] == 1
    r = run_cli("findings", env=env)
    # veto + 4 empty weeks for the silent account (a window without any post is no 原创 remark);
    # none for the blocked one
    assert r.exit_code == 0 and "监测时间点 2026年11月25日 02:00（北京时间）（5项）" in r.stdout
    r = run_cli("score", env=env)
    assert r.exit_code == 0 and "未能核验" in r.stdout and "不合格" in r.stdout
