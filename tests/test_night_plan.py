"""The night planner (monitor/crawl/plan.py) is pure: verdicts for every account first, in
priority order, deferred work in what is left, hosts counted separately, nobody starved."""
from __future__ import annotations

import pytest

from monitor.config import ConfigError, window_seconds
from monitor.crawl.plan import (HISTORY, PROFILE, TIER_NEAR, TIER_PENDING, TIER_REST, TIER_UNVERIFIABLE, VERDICT,
                                Budget, Candidate, Task, host_of, plan_night)

W = "m.weibo.cn"
MP = "mp.weixin.qq.com"


def weibo(aid: int, tier: int = TIER_REST, unchecked: int = 1, history: float | None = 4.0,
          history_age: float | None = None) -> Candidate:
    deferred = (Task(HISTORY, {W: history}, history_age),) if history else ()
    return Candidate(aid, tier, unchecked, Task(VERDICT, {W: 1.0}), deferred)


def test_every_verdict_comes_before_any_history():
    # 10 accounts, 30 requests: all 10 page-1 verdicts fit, then 5 of the 4-page histories.
    plan = plan_night([weibo(i) for i in range(10)], Budget(30))
    assert sorted(plan.tasks) == list(range(10)) and not plan.unreached
    with_history = [a for a, t in plan.tasks.items() if HISTORY in t]
    assert len(with_history) == 5
    assert sorted(plan.deferred) == sorted(set(range(10)) - set(with_history))
    assert plan.spent[W] == 10 + 5 * 4


def test_priority_tiers_decide_who_fits():
    accounts = [weibo(1, TIER_REST), weibo(2, TIER_NEAR), weibo(3, TIER_UNVERIFIABLE), weibo(4, TIER_PENDING)]
    plan = plan_night(accounts, Budget(2))
    assert sorted(plan.tasks) == [3, 4]
    assert plan.unreached == [2, 1]
    # The crawl starts the planned accounts most urgent first.
    assert plan_night(accounts, Budget(None)).order == [4, 3, 2, 1]
    # What could not be done for an unreached account is deferred, never dropped silently.
    assert plan.deferred[1] == (HISTORY,) and plan.summary()["unreached"] == 2


def test_hosts_are_counted_separately():
    wechat = Candidate(9, TIER_REST, 1, Task(VERDICT, {"rss.example.org": 1.0, MP: 1.0}))
    plan = plan_night([weibo(1), weibo(2), wechat], Budget(1))
    # Weibo's one request is spent on account 1; WeChat's hosts still have theirs.
    assert sorted(plan.tasks) == [1, 9] and plan.unreached == [2]


def test_reservations_come_off_the_budget():
    plan = plan_night([weibo(i, history=None) for i in range(5)], Budget(5, {"discovery": {W: 3}}))
    assert len(plan.tasks) == 2 and plan.summary()["reserved"] == {"discovery": {W: 3}}


def test_the_longest_waiting_history_goes_first():
    plan = plan_night([weibo(1, history_age=1), weibo(2, history_age=5), weibo(3, history_age=None)], Budget(3 + 8))
    assert [a for a, t in sorted(plan.tasks.items()) if HISTORY in t] == [2, 3]


def test_no_account_is_starved_across_nights():
    # Room for 4 of 10 verdicts a night, at most 3 nights between checks: after the first
    # nights every account is checked within 3 nights, and the order is stable.
    unchecked = {i: 1 for i in range(10)}
    tiers = {i: (TIER_PENDING if i == 0 else TIER_REST) for i in range(10)}
    gaps: dict[int, int] = {}
    for _night in range(12):
        plan = plan_night([weibo(i, tiers[i], unchecked[i], history=None) for i in range(10)], Budget(4),
                          max_nights=3)
        assert 0 in plan.tasks  # the pending veto is re-checked every night
        for i in range(10):
            unchecked[i] = 1 if i in plan.tasks else unchecked[i] + 1
            gaps[i] = max(gaps.get(i, 0), unchecked[i])
    assert max(gaps.values()) <= 3


def test_an_unlimited_budget_plans_everything_and_restricts_nothing():
    plan = plan_night([weibo(1), Candidate(2, TIER_REST, 1, Task(VERDICT, {W: 1}), (Task(PROFILE, {W: 1}),))],
                      Budget.for_window(6 * 3600, delay=0))
    assert plan.complete and plan.spider_plan() is None
    assert plan.tasks == {1: (VERDICT, HISTORY), 2: (VERDICT, PROFILE)}


def test_budget_from_window_pace_and_workers():
    assert Budget.for_window(6 * 3600, delay=1.0, workers=1, margin=0).per_host == 21600
    assert Budget.for_window(6 * 3600, delay=1.0, workers=3, margin=0.1).per_host == pytest.approx(58320)
    assert Budget.for_window(6 * 3600, delay=1.0, fixed=500, margin=0).per_host == 500


def test_window_parsing():
    assert window_seconds("00:30-06:30") == 6 * 3600
    assert window_seconds("23:00-01:00") == 2 * 3600
    with pytest.raises(ValueError, match="00:30-06:30"):
        window_seconds("half past midnight")


def test_a_bad_window_is_a_config_error(tmp_path):
    from monitor.config import load_settings

    cfg = tmp_path / "monitor.toml"
    cfg.write_text('[schedule]\nwindow = "25:00-06:00"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="window"):
        load_settings(cfg)


def test_host_of():
    assert host_of("https://M.Weibo.cn:443/api/x?y=1") == "m.weibo.cn" and host_of(None) == ""


# ─────────────────────────────────────────────── the planned night, end to end (sandbox)
def test_a_weibo_long_text_backlog_is_a_deferred_task_costed_one_request_each(app):
    """Posts stored cut at 全文 need one /statuses/extend request each: the plan counts the
    backlog (capped at the spider's per-night limit) as deferred work, after every verdict."""
    from datetime import timedelta

    from monitor.crawl.night import candidates
    from monitor.crawl.plan import BODIES
    from storage.models import Account, Observation, Post
    from tests.fixtures.core import T

    with app.session() as s:
        fresh = Account(name="新账号", platform="weibo", host_unit="单位甲", platform_id="1001")
        known = Account(name="老账号", platform="weibo", host_unit="单位乙", platform_id="1002")
        s.add_all([fresh, known])
        s.flush()
        s.add(Observation(account_id=known.id, platform="weibo", kind="timeline", outcome="ok",
                          observed_at=T - timedelta(days=1), covered_from=T - timedelta(days=40)))
        for i in range(3):
            s.add(Post(account_id=known.id, platform_post_id=f"p{i}", published_at=T - timedelta(days=i + 1),
                       kind="original", text="……全文", text_source="card_truncated",
                       first_seen_at=T - timedelta(days=1), last_seen_at=T - timedelta(days=1)))
        s.add(Post(account_id=known.id, platform_post_id="whole", published_at=T - timedelta(days=5), kind="original",
                   text="正文", text_source="extend", first_seen_at=T - timedelta(days=1),
                   last_seen_at=T - timedelta(days=1)))
        ids = (fresh.id, known.id)
    tasks = {c.account_id: {t.name: t for t in c.deferred} for c in candidates(app, T, {"weibo"})}
    assert tasks[ids[1]][BODIES].requests == {"m.weibo.cn": 3.0}
    # Never crawled: its backlog is unknown, so it is costed at the per-night cap and
    # waits for a night with that much room (then the real backlog is known).
    assert tasks[ids[0]][BODIES].requests == {"m.weibo.cn": 50.0} and tasks[ids[0]][BODIES].age is None


def test_a_night_over_budget_checks_verdicts_first_and_records_who_was_not_reached(sandbox, demo_registry,
                                                                                   sqlite_url, tmp_path):
    from sqlalchemy import select

    from monitor.cycle import run_cycle
    from monitor.registry import UrlBases, read_registry, upsert_accounts
    from monitor.reports.wording import reason_zh
    from monitor.scoring import score_json
    from storage.models import Observation, Run
    from tests.fixtures.core import T, make_app

    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0},
                   schedule={"host_budget": 20, "budget_margin": 0})
    parsed = read_registry(demo_registry, UrlBases.from_settings(app.settings))
    with app.session() as s:
        upsert_accounts(s, parsed.records)
    result = run_cycle(app, T, ["crawl", "detect", "score"], progress=False)
    crawl = result.stages[0]
    assert result.outcome == "ok", result
    plan = crawl.counts["plan"]
    assert plan["unreached"] and plan["planned"] and plan["per_host_budget"] == 20
    assert plan["not_in_plan"] == plan["unreached"] and "未在本夜计划内完成" in crawl.message
    with app.session() as s:
        obs = list(s.scalars(select(Observation).where(Observation.observed_at == T)))
        stored = s.get(Run, crawl_run_id(s)).counts["plan"]
    assert stored["unreached"] == plan["unreached"]
    left_out = {o.account_id for o in obs if (o.reason or "").startswith("not_in_plan")}
    assert len(left_out) == plan["unreached"]
    assert reason_zh(next(o.reason for o in obs if o.account_id in left_out)) == "未在本夜计划内完成"
    # Planned Weibo accounts read page 1 only tonight: their deeper pages wait for a later night.
    weibo = [o for o in obs if o.platform == "weibo" and o.account_id not in left_out and o.outcome == "ok"]
    assert weibo and all(o.details["pages"] == 1 for o in weibo)
    assert any(o.details["stop"] == "night plan" for o in weibo)
    # Their long texts (/statuses/extend, one request each) wait too: the backlog is counted
    # once it is known, and read on nights with room.
    assert not [r for r in sandbox.world.requests if "extend" in r.path]
    assert any("long texts left for a later night (night plan)" in note
               for o in weibo for note in o.details.get("notes", []))
    cards = {c["account_id"]: c for c in score_json(app, T)}
    for account_id in left_out:
        assert cards[account_id]["verdict"] == "未能核验", cards[account_id]


def crawl_run_id(session) -> int:
    from sqlalchemy import select

    from storage.models import Run

    return session.scalar(select(Run.id).where(Run.kind == "crawl").order_by(Run.id.desc()))


def test_the_budget_counts_only_the_window_still_ahead():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from monitor.crawl.night import window_left

    tz = ZoneInfo("Asia/Shanghai")
    assert window_left("00:30-06:30", datetime(2026, 11, 25, 0, 30, tzinfo=tz)) == 6 * 3600
    assert window_left("00:30-06:30", datetime(2026, 11, 25, 2, 0, tzinfo=tz)) == 4.5 * 3600
    assert window_left("23:00-05:00", datetime(2026, 11, 25, 1, 0, tzinfo=tz)) == 4 * 3600
    assert window_left("00:30-06:30", datetime(2026, 11, 25, 12, 0, tzinfo=tz)) == 6 * 3600  # a run by day


def test_the_weekly_discovery_pass_reserves_its_requests_on_its_night(app):
    from datetime import timedelta

    from monitor.crawl.night import night_budget
    from storage.models import Account
    from tests.fixtures.core import T

    with app.session() as s:
        s.add(Account(name="崇川发布", platform="weibo", host_unit="崇川区委宣传部", platform_id="1", store_ids={}))
    sunday = T + timedelta(days=(6 - T.weekday()) % 7)
    assert night_budget(app, T).reserved == {}
    reserved = night_budget(app, sunday).reserved
    assert list(reserved) == ["discovery"] and reserved["discovery"]["m.weibo.cn"] >= 1


def test_the_crawl_starts_accounts_in_the_plans_order(sandbox, demo_registry, sqlite_url, tmp_path):
    """A night that runs short (cut at the window's end) loses the accounts started last: the
    spiders start them in the plan's order (MONITOR_ORDER), most urgent first, not by id."""
    from sqlalchemy import select

    from monitor.crawl import run_crawl
    from monitor.registry import UrlBases, read_registry, upsert_accounts
    from storage.models import Account
    from tests.fixtures.core import T, make_app

    app = make_app(sqlite_url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0, "concurrency": 1})
    with app.session() as s:
        upsert_accounts(s, read_registry(demo_registry, UrlBases.from_settings(app.settings)).records)
        uid_of = {a.id: a.platform_id for a in s.scalars(select(Account).where(Account.platform == "weibo"))}
    order = sorted(uid_of, reverse=True)  # the opposite of id order
    assert run_crawl(app, T, ["weibo"], extra={"MONITOR_ORDER": order}).ok
    started: list[str] = []
    for r in sandbox.world.requests:
        if r.platform == "weibo" and r.account and r.account not in started:
            started.append(r.account)
    assert started == [uid_of[i] for i in order]


def test_the_distributed_queue_is_filled_in_the_plans_order(app):
    """With workers on several machines the shared queue (first in, first out) carries the
    order: the most urgent accounts are handed out first."""
    from monitor.distributed.coordinator import _expected_accounts
    from storage.models import Account

    with app.session() as s:
        accounts = [Account(name=f"账号{i}", platform="weibo" if i % 2 else "wechat", host_unit="单位",
                            platform_id=str(1000 + i)) for i in range(6)]
        s.add_all(accounts)
        s.flush()
        ids = [a.id for a in accounts]
    order = list(reversed(ids))
    got = _expected_accounts(app, {"weibo": "weibo", "wechat": "wechat"}, None, order)
    assert got["weibo"] == [i for i in order if i in set(ids[1::2])]
    assert got["wechat"] == [i for i in order if i in set(ids[0::2])]
    assert _expected_accounts(app, {"weibo": "weibo"}, None, None)["weibo"] == sorted(ids[1::2])
