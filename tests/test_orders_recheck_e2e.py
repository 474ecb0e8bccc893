"""`monitor recheck` end to end on the sandbox: a dormant 公众号 is notified; the re-check
crawls it for real — a stale feed service decides nothing (未能核验), a fresh post closes."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from monitor.detectors import run_detection
from monitor.orders import issue_tongbao
from monitor.orders.recheck import recheck_account
from monitor.reports.period import parse_period
from monitor.rules import load_ruleset
from monitor.sandbox import Scenario
from monitor.sandbox.registry import feed_url
from storage.models import Account, RectificationOrder
from tests.fixtures.core import T, make_app
from tests.fixtures.histories import History

BIZ = "MzkwMDAwT1JERVI="
NAME = "崇川发布"
LATER = T + timedelta(days=2)


def _scenario(at, **extra) -> Scenario:
    posts = [{"days_ago": 20 + (at - T).days, "kind": "original", "title": "崇川区第三季度重点工作通报"}]
    if extra.pop("fresh_post", False):
        posts.insert(0, {"days_ago": 1, "kind": "original", "title": "崇川区冬季供暖服务公告"})
    return Scenario([{"platform": "wechat", "id": BIZ, "name": NAME, "kind": "订阅号", "feed": "wewe",
                      "subject": "南通市崇川区人民政府办公室", "posts": posts, **extra}], at=at)


def test_recheck_crawls_the_account_and_decides_only_on_a_fresh_success(sandbox_factory, sqlite_url, tmp_path):
    srv = sandbox_factory(scenario=_scenario(T))
    app = make_app(sqlite_url, tmp_path, **srv.config_overrides(), crawl={"delay": 0, "autothrottle": False})
    with app.session() as s:
        s.add(Account(name=NAME, platform="wechat", wechat_kind="订阅号", host_unit="南通市崇川区人民政府办公室",
                      district="崇川区", platform_id=BIZ, feed_url=feed_url(srv.url, BIZ),
                      profile_url=f"{srv.url}/wechat/mp/aboutbiz?__biz={BIZ}",
                      opened_on=(T - timedelta(days=1000)).date()))
    # Tonight's crawl as stored rows (the re-checks below are the real crawls).
    h = History(app)
    h.observe(1, observed_at=T - timedelta(hours=1), covered_from=T - timedelta(days=60))
    h.post(1, T - timedelta(days=20), title="崇川区第三季度重点工作通报")
    run_detection(app, T)
    with app.session() as s:
        issue_tongbao(s, parse_period("2026-11"), load_ruleset(app.settings), app.tz, issued_on=T.date(),
                      issued_by="张检查", deadline_days=10, now=T)
        order = s.scalar(select(RectificationOrder))
        assert order.findings[0]["rule"] == "veto.no_update_2w"
        account_id = order.account_id

    srv.world.scenario = _scenario(LATER, fresh_post=True, wewe_stale_days=5)  # posted, but the service stopped syncing
    [v] = recheck_account(app, account_id, LATER, "张检查").verdicts
    assert (v.outcome, v.state) == ("unverifiable", "pending"), v.note
    assert v.note.startswith("未能核验")

    srv.world.scenario = _scenario(LATER + timedelta(hours=1), fresh_post=True)
    [v] = recheck_account(app, account_id, LATER + timedelta(hours=1), "张检查").verdicts
    assert (v.outcome, v.state) == ("passed", "passed"), v.note
