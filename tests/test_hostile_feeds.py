"""A hostile feed (a gzip bomb: ~1 MB on the wire, 1 GiB inflated) costs its own account
only: the crawl stops inflating at DOWNLOAD_MAXSIZE, the account is 未能核验 with a reason
naming the bound, and the account beside it is observed as usual."""
from __future__ import annotations

from sqlalchemy import select

from monitor.crawl import run_crawl
from monitor.sandbox import Scenario
from storage.models import Account, Observation
from tests.fixtures.core import T, make_app

GOOD, BOMB = "MzA5MzAwMDAwMQ==", "MzA5MzAwMDAwMg=="


def test_a_gzip_bomb_feed_costs_its_account_only(sandbox_factory, sqlite_url, tmp_path):
    posts = [{"every_days": 2, "to_days": 20}]
    srv = sandbox_factory(Scenario([
        {"platform": "wechat", "id": GOOD, "name": "正常号", "subject": "正常单位", "posts": posts},
        {"platform": "wechat", "id": BOMB, "name": "炸弹号", "subject": "炸弹单位", "feed_bomb": 1024, "posts": posts},
    ], at=T))
    # Well below the 1 GiB the bomb inflates to: an unbounded read would get the child killed.
    app = make_app(sqlite_url, tmp_path, **srv.config_overrides(),
                   crawl={"delay": 0, "autothrottle": False, "retries": 0, "child_memory_mb": 600})
    with app.session() as s:
        for biz, name in ((GOOD, "正常号"), (BOMB, "炸弹号")):
            s.add(Account(name=name, platform="wechat", wechat_kind="订阅号", host_unit=f"{name}单位",
                          platform_id=biz, feed_url=f"{srv.url}/feeds/rsshub/{biz}.xml"))
    result = run_crawl(app, T, ["wechat"])
    assert result.ok, (result.peak_rss_mb, result.log_path.read_text(encoding="utf-8")[-3000:])
    with app.session() as s:
        obs = {a.name: list(s.scalars(select(Observation).where(Observation.account_id == a.id)))
               for a in s.scalars(select(Account))}
    [bomb] = obs["炸弹号"]
    assert bomb.outcome == "error" and "exceeded DOWNLOAD_MAXSIZE (16777216 B)" in bomb.reason, bomb.reason
    [good] = [o for o in obs["正常号"] if o.kind == "feed"]
    assert good.outcome == "ok"
