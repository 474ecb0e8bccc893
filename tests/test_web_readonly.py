"""Reading never writes (issue 18 item 3, for the web): every GET route of the workspace, walked
from the app's own route table so a new page is covered without touching this file, leaves
every table as it was — also for a T no cycle ran for, which the API refuses in Chinese instead
of scoring it."""
from __future__ import annotations

import re
from urllib.parse import quote
from datetime import timedelta

from fastapi.routing import APIRoute
from sqlalchemy import event, func, inspect, select, table

from monitor.web.app import page_routers
from storage.models import EvidencePackage, Finding, OrderReply, RectificationOrder, Run, Tongbao
from tests.fixtures.core import T
from tests.fixtures.web import Clock, csrf_of
from tests.test_order_attachments import png

NO_CYCLE = T - timedelta(days=5)  # the workspace ran the nights T-1 and T only


def _counts(app) -> dict[str, int]:
    with app.session() as s:
        return {name: s.scalar(select(func.count()).select_from(table(name)))
                for name in inspect(app.engine).get_table_names()}


def _seed_order(web_client, workspace) -> None:
    """A 通报 with its orders and one unit reply with an attachment, through the web."""
    with workspace.app.session() as s:  # confirmed, the unit's ad is cited in the 通报 too
        s.get(Finding, workspace.ad_finding).state = "confirmed"
    clock = Clock()
    clock.now = T + timedelta(days=1)
    insp = web_client("inspector", clock=clock)
    token = csrf_of(insp.get("/orders").text)
    assert insp.post("/tongbao/issue", data={"period": "2026-11", "issued_on": "2026-11-26", "csrf_token": token},
                     follow_redirects=False).status_code == 303
    unit = web_client("shangwu", clock=clock)
    [mine] = [int(x) for x in re.findall(r'href="/orders/(\d+)"', unit.get("/orders").text)]
    token = csrf_of(unit.get(f"/orders/{mine}").text)
    r = unit.post(f"/orders/{mine}/reply", data={"text": "已删除", "csrf_token": token},
                  files=[("files", ("截图.png", png(), "image/png"))], follow_redirects=False)
    assert r.status_code == 303


def _samples(workspace) -> dict[str, str]:
    """A real value for every path parameter a GET route takes (the route then reads real rows)."""
    with workspace.app.session() as s:
        order = s.scalars(select(RectificationOrder.id)).first()
        tongbao = s.scalars(select(Tongbao.id)).first()
        [sha] = [a["sha256"] for r in s.scalars(select(OrderReply)) for a in r.attachments]
        pkg = s.scalars(select(EvidencePackage.id)).first()
    return {"account_id": str(workspace.ads), "finding_id": str(workspace.ad_finding),
            "order_id": str(order), "tongbao_id": str(tongbao), "sha256": sha, "package_id": pkg or "0" * 64,
            "fmt": "html", "path": "web.css"}


WRITE = re.compile(r'\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.I)
QUERY = "?period=2026-11"  # the query parameters some GET routes require (others ignore them)


def test_no_get_route_writes_anything(web_client, workspace):
    _seed_order(web_client, workspace)
    app = workspace.app
    client = web_client("admin")
    samples = _samples(workspace)
    routes = [r for router in page_routers() for r in router.routes
              if isinstance(r, APIRoute) and "GET" in r.methods]
    assert {"/", "/api/score", "/accounts/{account_id}", "/orders/{order_id}"} <= {r.path for r in routes}

    writes: list[str] = []

    stored = set(inspect(app.engine).get_table_names())  # a report's TEMP tables are not writes

    def spy(conn, cursor, statement, *args):
        target = WRITE.match(statement)
        if target and target[1] in stored:
            writes.append(statement.split("\n")[0][:80])

    before = _counts(app)
    event.listen(app.engine, "before_cursor_execute", spy)
    try:
        asked = {}
        for route in routes:
            missing = set(route.param_convertors) - set(samples)
            assert not missing, f"{route.path}: give the test a sample value for {missing}"
            path = route.path.format(**samples)
            takes_at = any(p.name == "at" for p in route.dependant.query_params)
            for query in (QUERY, f"{QUERY}&at={quote(NO_CYCLE.isoformat())}")[:2 if takes_at else 1]:
                r = client.get(path + query, follow_redirects=False)  # (no at= is T, the newest)
                asked[path + query] = r.status_code
                assert r.status_code < 500, (path + query, r.text[:300])
    finally:
        event.remove(app.engine, "before_cursor_execute", spy)
    assert writes == [], writes
    assert _counts(app) == before
    assert all(asked[p + QUERY] == 200 for p in ("/api/score", "/", "/orders/1", "/tongbao/1.docx",
                                                "/downloads/periodic.html"))
    assert asked[f"/api/score{QUERY}&at={quote(NO_CYCLE.isoformat())}"] == 404


def test_a_t_no_cycle_ran_for_is_refused_in_chinese(web_client, workspace):
    client = web_client("inspector")
    r = client.get("/api/score", params={"at": NO_CYCLE.isoformat()})
    assert r.status_code == 404
    assert r.json()["detail"] == "监测时间点 2026年11月20日 02:00（北京时间） 没有运行过监测，没有可显示的结果。请选择已运行监测的时间点。"
    page = client.get("/", params={"at": NO_CYCLE.isoformat()})
    assert page.status_code == 404 and "没有运行过监测" in page.text
    assert client.get("/downloads/report.xlsx", params={"at": NO_CYCLE.isoformat()}).status_code == 404


def test_a_night_detected_but_not_scored_is_409_not_scored_by_the_page(web_client, workspace):
    night = T - timedelta(days=2)
    with workspace.app.session() as s:  # `monitor detect --at` ran for that night, no score stage
        s.add(Run(kind="detect", at=night, started_at=night, finished_at=night, outcome="ok", counts={}))
    client = web_client("inspector")  # signing in is a POST: audited
    before = _counts(workspace.app)
    for path in ("/api/score", "/downloads/tongbao.html"):
        r = client.get(path, params={"at": night.isoformat()})
        assert r.status_code == 409 and "尚未完成评分" in r.text, (path, r.text[:200])
    assert _counts(workspace.app) == before
