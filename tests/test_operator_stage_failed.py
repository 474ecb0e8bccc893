"""A stage that fails as a whole stops the cycle before the alert stage, so the operator is told
at once, through the same journal as every other alert (once per stage and T)."""
from __future__ import annotations

from sqlalchemy import select

from monitor.cycle.runner import run_cycle
from storage.models import Account, Alert
from tests.fixtures.core import T, make_app


def test_a_failed_crawl_stage_alerts_the_operator_once(sqlite_url, tmp_path, webhook_server):
    hook = webhook_server
    app = make_app(sqlite_url, tmp_path,
                   crawl={"redis_url": "redis://127.0.0.1:1/0", "redis_patience": 1},
                   alerts={"operator": [hook.url("json", "/ops")], "retries": 0, "retry_delay": 0,
                           "outbox": str(tmp_path / "outbox.jsonl")})
    with app.session() as s:
        s.add(Account(name="崇川发布", platform="weibo", host_unit="南通市崇川区人民政府办公室",
                      district="崇川区", platform_id="1000000001"))

    first = run_cycle(app, T)
    assert first.outcome == "failed"
    [msg] = [r.json for r in hook.at("/ops")]
    assert "crawl" in msg["title"] and "监测任务失败" in msg["title"]
    assert "127.0.0.1:1" in msg["message"] and "monitor run --at" in msg["message"]

    again = run_cycle(app, T)
    assert again.outcome == "failed"
    assert len(hook.at("/ops")) == 1  # the same failure at the same T is not announced twice
    with app.session() as s:
        rows = list(s.scalars(select(Alert).where(Alert.stage == "stage_failed")))
    assert [r.status for r in rows] == ["sent"]
