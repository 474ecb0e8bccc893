"""Account discovery (issue 23): the Weibo user search and what is made of it — candidates
the registry misses, impostors apart, refused searches 未能核验 — and the registry's own
Annex 3 findings (§12 duplicates, §14 names) in the CLI, the report and the web workspace."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import httpx
import pytest
from sqlalchemy import select

from monitor.config import Settings
from monitor.discovery import annex3_findings, dismiss_candidate, open_candidates, register_candidate
from monitor.discovery.annex3 import deductions
from monitor.discovery.candidates import CandidateError, apply_pass
from monitor.discovery.match import classify_user
from monitor.rules import load_ruleset
from monitor.sandbox import Scenario, load_scenario
from monitor.sandbox.platforms.weibo_search import search_payload
from spiders.weibo.errors import LayoutError
from spiders.weibo.search import parse_search
from storage.models import Account, AuditEntry, DiscoveryCandidate, DiscoverySearch, Run
from tests.fixtures.core import T
from tests.fixtures.web import csrf_of

LEX = load_ruleset(Settings()).lexicon
BASE = "http://sandbox/weibo"


def _users(payload):
    return {u.screen_name: u for u in parse_search(payload["data"]).users}


def test_search_answer_is_read_whatever_card_holds_the_users():
    sc = load_scenario("demo", at=T)
    payload = search_payload(sc.accounts("weibo"), "南通市数据局", 1, BASE, "100103type=3&q=南通市数据局")
    users = _users(payload)
    assert set(users) == {"南通市数据局", "南通数据", "南通数据发布", "南通数据产业协会"}
    assert users["南通数据发布"].verified_type == 1 and users["南通数据发布"].verified_reason == "南通市数据局官方微博"
    assert users["南通数据"].followers_count and users["南通数据"].statuses_count
    # The user group moved behind other cards, mixed with junk items: the same users.
    cards = payload["data"]["cards"]
    group = cards[1]["card_group"]
    shuffled = {"cardlistInfo": {"page": 2}, "cards": [{"card_type": 11, "card_group": ["x", {"card_type": 4}, *group[::-1]]},
                                                       {"card_type": 58, "desc": "没有更多了"}]}
    again = parse_search(shuffled)
    assert {u.screen_name for u in again.users} == set(users) and again.next_page == 2
    # ok:1 with no users at all is an empty result; no card list at all is a layout we do not know.
    assert parse_search({"cards": []}).users == []
    with pytest.raises(LayoutError):
        parse_search({"cardlistInfo": {}})


def test_fuzzy_search_lists_other_bodies_and_the_matcher_keeps_only_the_units_own():
    sc = load_scenario("demo", at=T)
    units = ["南通市科学技术局", "南通市公安局", "南通市公安局崇川分局", "南通市数据局", "南通市城市管理局",
             "如皋市人民政府新闻办公室"]
    listed = _users(search_payload(sc.accounts("weibo"), "南通市科学技术局", 1, BASE, "q"))
    assert "南通科协" in listed  # Weibo's search is fuzzy …
    assert classify_user(listed["南通科协"].as_dict(), units, LEX) is None  # … 南通市科学技术协会 is another body

    def user(name, reason="", verified=True, vtype=1):
        return {"screen_name": name, "verified_reason": reason, "verified": verified, "verified_type": vtype}

    m = classify_user(user("崇川公安交警", "南通市公安局崇川分局交通警察大队"), units, LEX)
    assert (m.kind, m.unit, m.basis) == ("unregistered", "南通市公安局崇川分局", "verification")  # the longest unit
    assert classify_user(user("如皋发布厅", "如皋市政府新闻办公室"), units, LEX).unit == "如皋市人民政府新闻办公室"
    m = classify_user(user("南通市数据局", verified=False, vtype=-1), units, LEX)
    assert (m.kind, m.basis) == ("impostor", "name")
    assert classify_user(user("城管小李", "南通市城市管理局工作人员", vtype=0), units, LEX).kind == "impostor"
    assert classify_user(user("海安美食", ""), units, LEX) is None
    assert classify_user(user("南通数据产业协会", "南通市数据局主管的行业协会", vtype=7), units, LEX) is None


def _acc(s, name, platform, unit, pid, district="市级", lifecycle="开设", kind=None):
    s.add(Account(name=name, platform=platform, host_unit=unit, platform_id=pid, district=district,
                  lifecycle=lifecycle, wechat_kind=kind))


def test_registry_annex3_findings_duplicates_names_and_capped_points(app):
    with app.session() as s:
        _acc(s, "南通数据", "weibo", "南通市数据局", "1")
        _acc(s, "南通数据发布", "weibo", "南通市数据局", "2")
        _acc(s, "南通数据服务", "wechat", "南通市数据局", "MzA=", kind="订阅号")
        _acc(s, "南通数据旧号", "weibo", "南通市数据局", "3", lifecycle="注销")  # closed: not a duplicate
        _acc(s, "南通医保", "wechat", "南通市医疗保障局", "MzE=", kind="订阅号")  # 订阅号 + 服务号: different functions
        _acc(s, "南通医保", "wechat", "南通市医疗保障局", "MzI=", kind="服务号")
        for i, unit in enumerate(("如东县气象局", "如东县水利局", "如东县教育局")):  # three cases in one 属地
            _acc(s, f"如东{i}a", "weibo", unit, f"10{i}", district="如东县")
            _acc(s, f"如东{i}b", "weibo", unit, f"20{i}", district="如东县")
    with app.session() as s:
        found = annex3_findings(s, LEX)
    by = {(f.code, f.host_unit): f for f in found}
    dup = by[("annex3.consolidation", "南通市数据局")]
    assert dup.platform == "新浪微博" and [a["name"] for a in dup.accounts] == ["南通数据", "南通数据发布"]
    assert dup.points == 5 and dup.assessed == "南通市数据局"  # 市级: the unit itself is assessed
    names = by[("annex3.name_consistency", "南通市数据局")]
    assert names.points == 0 and set(names.facts["names"]) == {"新浪微博", "微信订阅号"}
    assert ("annex3.consolidation", "南通市医疗保障局") not in by
    assert ("annex3.name_consistency", "南通市医疗保障局") not in by  # same name on both
    assert deductions(found) == {"南通市数据局": {"annex3.consolidation": 5}, "如东县": {"annex3.consolidation": 10}}


def _search(s, run_id, unit, outcome="ok", users=(), latest=None, reason=None):
    s.add(DiscoverySearch(run_id=run_id, platform="weibo", host_unit=unit, query=unit, outcome=outcome, reason=reason,
                          observed_at=T, request_count=1, pages=1 if outcome == "ok" else 0, users=list(users),
                          latest=latest or {}))


def _u(uid, name, reason="", vtype=1, verified=True):
    return {"uid": uid, "screen_name": name, "verified": verified, "verified_type": vtype, "verified_reason": reason,
            "description": "", "followers_count": 5200, "statuses_count": 31}


def test_candidates_register_dismiss_and_are_remembered_by_later_passes(app):
    units = ["南通市数据局", "南通市城市管理局", "启东市人力资源和社会保障局", "南通市科学技术局"]
    with app.session() as s:
        _acc(s, "南通数据", "weibo", "南通市数据局", "1000000009")
        _acc(s, "南通城管", "weibo", "南通市城市管理局", "1000000006")
        runs = [Run(kind="discover", at=T + timedelta(days=7 * i), counts={}) for i in range(2)]
        s.add_all(runs)
        s.flush()
        first, second = runs[0].id, runs[1].id
        for run_id in (first, second):
            _search(s, run_id, "南通市数据局", users=[_u("1000000009", "南通数据", "南通市数据局官方微博"),
                                                    _u("1000000102", "南通数据发布", "南通市数据局官方微博"),
                                                    _u("1000000111", "南通市数据局", vtype=-1, verified=False)],
                    latest={"1000000102": (T - timedelta(days=3)).isoformat()})
            _search(s, run_id, "南通市城市管理局", users=[_u("1000000112", "城管小李", "南通市城市管理局工作人员", vtype=0)])
            _search(s, run_id, "启东市人力资源和社会保障局", outcome="blocked",
                    reason="rate_limited: search page 1: ok:0 访问频次过高")
            # 南通市科学技术局: no row at all (the crawl child died before it)
    with app.session() as s:
        summary = apply_pass(s, first, "weibo", units, LEX, BASE, T)
    assert (summary.searched, summary.new, dict(summary.candidates)) == (2, 3, {"unregistered": 1, "impostor": 2})
    assert summary.unverified["启东市人力资源和社会保障局"].startswith("rate_limited:")
    assert summary.unverified["南通市科学技术局"].startswith("not_reached:")
    with app.session() as s:
        c = {x.name: x for x in open_candidates(s)}
        assert c["南通数据发布"].latest_post_at == T - timedelta(days=3)
        assert c["南通数据发布"].profile_url == f"{BASE}/u/1000000102"
        account = register_candidate(s, c["南通数据发布"].id, "inspector", "单位确认")
        assert (account.host_unit, account.district, account.platform_id) == ("南通市数据局", "市级", "1000000102")
        dismiss_candidate(s, c["城管小李"].id, "inspector", "个人账号")
        with pytest.raises(CandidateError, match="already registered"):
            register_candidate(s, c["南通数据发布"].id, "inspector")
        with pytest.raises(CandidateError, match="needs a note"):
            dismiss_candidate(s, c["南通市数据局"].id, "inspector", " ")
    with app.session() as s:
        again = apply_pass(s, second, "weibo", units, LEX, BASE, T + timedelta(days=7))
        assert again.new == 0 and dict(again.candidates) == {"impostor": 1}  # dismissed and registered stay decided
        found = {(f.code, f.host_unit): f for f in annex3_findings(s, LEX)}
    scope = found[("annex3.scope", "南通市数据局")]
    assert scope.state == "confirmed" and scope.points == 5
    assert found[("annex3.consolidation", "南通市数据局")].points == 5  # registered: now a §12 duplicate too


def test_discover_cli_refuses_platforms_without_a_public_search_and_lists_registry_findings(run_cli, tmp_path):
    db = f"sqlite:///{tmp_path / 'm.db'}"
    env = {"MONITOR_DATABASE_URL": db}
    r = run_cli("discover", "--platform", "wechat", env=env)
    assert r.exit_code == 2 and "搜狗微信" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert run_cli("init", env=env).exit_code == 0
    r = run_cli("discover", env=env)
    assert r.exit_code == 1 and "no accounts registered" in r.stderr
    csv = tmp_path / "r.csv"
    csv.write_text("名称,平台,主办单位,属地,账号ID\n南通数据,新浪微博,南通市数据局,市级,1000000009\n"
                   "南通数据发布,新浪微博,南通市数据局,市级,1000000102\n", encoding="utf-8")
    assert run_cli("accounts", "import", csv, env=env).exit_code == 0
    r = run_cli("accounts", "check", env=env)
    assert r.exit_code == 0 and "集约整合" in r.stdout and "扣5分" in r.stdout
    r = run_cli("accounts", "check", "--format", "json", env=env)
    assert '"code": "annex3.consolidation"' in r.stdout and '"points": 5' in r.stdout
    r = run_cli("discover", "dismiss", "99", "--note", "x", env=env)
    assert r.exit_code == 2 and "no discovery candidate 99" in r.stderr
    assert run_cli("discover", "list", "--format", "json", env=env).stdout.strip() == "[]"


def test_weekly_job_and_the_night_budget_share(app, tmp_path):
    from monitor.discovery import planned_requests, runs_on_night
    from schedules.daemon import DISCOVERY_JOB_ID, JOB_ID, make_scheduler

    jobs = {j.id: j for j in make_scheduler(app, None).get_jobs()}
    assert set(jobs) == {JOB_ID, DISCOVERY_JOB_ID}
    fire = jobs[DISCOVERY_JOB_ID].trigger.get_next_fire_time(None, T)
    assert (fire.weekday(), fire.hour, fire.minute) == (6, 4, 30)  # Sunday 04:30, after the nightly cycle
    sunday = T + timedelta(days=4)  # T is a Wednesday
    assert not runs_on_night(app, T) and runs_on_night(app, sunday)
    with app.session() as s:
        for i in range(4):
            _acc(s, f"a{i}", "weibo", f"单位{i % 2}", str(i))
        s.add(Run(kind="discover", at=T, outcome="ok", counts={"platform": "weibo", "units": 10, "requests": 15}))
    assert planned_requests(app, T) == {}
    assert planned_requests(app, sunday) == {"m.weibo.cn": 3}  # 2 units × 1.5 requests per unit (last pass)
    off = app.settings.model_copy(update={"schedule": app.settings.schedule.model_copy(update={"discovery_cron": ""})})
    from monitor.app import App

    quiet = App(off)
    assert DISCOVERY_JOB_ID not in {j.id for j in make_scheduler(quiet, None).get_jobs()}
    assert not runs_on_night(quiet, sunday)


def _candidate(s, **kw):
    values = dict(platform="weibo", platform_id="1000000102", name="南通发布厅", kind="unregistered",
                  matched_unit="南通市商务局", match_basis="verification", verified=True, verified_type=1,
                  verification_text="南通市商务局政务微博", followers_count=5200, statuses_count=31,
                  latest_post_at=T - timedelta(days=2), first_seen_at=T, last_seen_at=T, state="open",
                  profile_url="https://m.weibo.cn/u/1000000102")
    values.update(kw)
    c = DiscoveryCandidate(**values)
    s.add(c)
    s.flush()
    return c.id


def test_workspace_page_registers_and_dismisses_and_the_report_lists_annex3(web_client, workspace, tmp_path):
    from monitor.reports import write_report

    app = workspace.app
    with app.session() as s:
        keep = _candidate(s)
        drop = _candidate(s, platform_id="1000000111", name="南通商务局", kind="impostor", match_basis="name",
                          verified=False, verified_type=-1, verification_text=None)
        s.add(Run(kind="discover", at=T, outcome="ok", counts={
            "platform": "weibo", "units": 2, "searched": 1, "requests": 3,
            "unverified_units": {"中共南通市委宣传部": "rate_limited: search page 1: HTTP 418"}}))
    html = (tmp_path / "r")
    write_report(app, T, html)
    report = (html / "report.html").read_text(encoding="utf-8")
    assert "五、监管范围与集约整合（附件3）" in report and "南通发布厅" in report and "疑似仿冒账号" in report
    assert "中共南通市委宣传部（被平台限流（HTTP 418））" in report and "未能核验" in report
    assert "待核实（确认后扣5分）" in report
    from openpyxl import load_workbook

    sheet = load_workbook(html / "report.xlsx")["附件3监管"]
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "监管范围" in cells and "南通发布厅" in cells and "中共南通市委宣传部" in cells
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    head = next(r for r in rows if r[0] == "类别")
    found = dict(zip(head, next(r for r in rows if r[1] == "南通发布厅")))
    assert found["粉丝数"] == 5200 and found["发布数"] == 31  # numbers, not text
    failed = dict(zip(head, next(r for r in rows if r[0] == "未能核验")))
    assert failed["名称"] is None and failed["匹配单位"] == "中共南通市委宣传部"
    assert failed["状态"] == "检索失败（被平台限流（HTTP 418））"

    unit = web_client("shangwu")  # a unit user sees its own unit, read-only
    page = unit.get("/discovery")
    assert page.status_code == 200 and "南通发布厅" in page.text and "action=\"/discovery/" not in page.text
    assert unit.post(f"/discovery/{keep}/register", data={"csrf_token": csrf_of(page.text)}).status_code == 403

    c = web_client("inspector")
    page = c.get("/discovery")
    assert f"action=\"/discovery/{keep}/register\"" in page.text and "中共南通市委宣传部" in page.text
    token = csrf_of(page.text)
    r = c.post(f"/discovery/{drop}/dismiss", data={"csrf_token": token, "note": ""}, follow_redirects=False)
    assert r.status_code == 400 and "请填写排除原因" in r.text
    assert c.post(f"/discovery/{drop}/dismiss", data={"csrf_token": token, "note": "非政务账号"},
                  follow_redirects=False).status_code == 303
    assert c.post(f"/discovery/{keep}/register", data={"csrf_token": token, "note": "确认"},
                  follow_redirects=False).status_code == 303
    with app.session() as s:
        acc = s.scalars(select(Account).where(Account.platform_id == "1000000102")).one()
        assert acc.host_unit == "南通市商务局" and acc.district == "崇川区"
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["candidate_dismiss", "candidate_register"]
    page = c.get("/discovery").text
    assert "南通商务局" not in page and re.search(r"监管范围.*南通发布厅.*扣5分", page, re.S)


def test_sandbox_search_needs_visitor_cookies_and_walls_page_two(sandbox):
    params = {"containerid": "100103type=3&q=南通市数据局", "page_type": "searchall"}
    with httpx.Client(base_url=sandbox.url + "/weibo") as c:
        assert c.get("/api/container/getIndex", params=params).status_code == 432
        c.post(sandbox.url + "/weibo-passport/visitor/genvisitor2", data={"cb": "visitor_gray_callback",
                                                                         "webdriver": "false"})
        first = c.get("/api/container/getIndex", params=params).json()
        deeper = c.get("/api/container/getIndex", params={**params, "page": "2"}).json()
        walled = c.get("/api/container/getIndex",
                       params={**params, "containerid": "100103type=3&q=启东市人力资源和社会保障局"}).json()
    assert first["ok"] == 1 and {u.uid for u in parse_search(first["data"]).users} >= {"1000000102", "1000000111"}
    assert deeper["ok"] == -100 and "passport.weibo.cn/signin/welcome" in deeper["url"]
    assert "100103type" in unquote(deeper["url"])
    assert walled == {"ok": 0, "msg": "访问频次过高，请稍后再试", "data": {}}


# ── end to end: the spider against the sandbox, real Chromium for the visitor cookies ────

FAST = {"WEIBO_418_BACKOFF": 0.6}


def _demo_app(sandbox, tmp_path, scenario_registry=None):
    from monitor.registry import UrlBases, read_registry, upsert_accounts
    from monitor.sandbox.registry import write_demo_registry
    from storage.db import upgrade_to_head
    from tests.fixtures.core import make_app

    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    upgrade_to_head(url)
    sandbox.world.state["weibo"].penalty_seconds = 0.4
    app = make_app(url, tmp_path, **sandbox.config_overrides(), crawl={"delay": 0})
    registry = scenario_registry or write_demo_registry(tmp_path / "registry.csv", sandbox.url)
    parsed = read_registry(registry, UrlBases.from_settings(app.settings))
    assert parsed.ok, parsed.invalid
    with app.session() as s:
        upsert_accounts(s, parsed.records)
    return app


@pytest.mark.browser
def test_weekly_pass_on_the_demo_scenario_finds_the_missed_accounts_only(sandbox, tmp_path):
    from monitor.discovery import run_discovery
    from monitor.discovery.runner import registered_units

    app = _demo_app(sandbox, tmp_path)
    result = run_discovery(app, T, extra=FAST)
    assert result.outcome == "ok", result.message
    truth = {a.id: a.get("truth") for a in sandbox.world.scenario.accounts("weibo") if a.get("truth")}
    with app.session() as s:
        found = {c.platform_id: c for c in open_candidates(s)}
        run = s.get(Run, result.run_id)
    listed = {uid: c.kind for uid, c in found.items()}
    assert listed == {uid: kind for uid, kind in truth.items() if kind in ("unregistered", "impostor")}  # precision 1
    new = found["1000000102"]
    assert (new.name, new.matched_unit, new.verification_text) == ("南通数据发布", "南通市数据局", "南通市数据局官方微博")
    assert new.followers_count == 5200 and new.statuses_count == 12 and new.latest_post_at is not None
    assert abs(new.latest_post_at - max(p.published_at for p in sandbox.world.scenario.account("weibo", "1000000102").posts)) \
        < timedelta(minutes=1)
    # The rate-limited unit is 未能核验, with the reason; never "no candidates".
    assert set(run.counts["unverified_units"]) == {"启东市人力资源和社会保障局"}
    assert run.counts["unverified_units"]["启东市人力资源和社会保障局"].startswith("rate_limited:")
    units = registered_units(app)
    searches = sandbox.world.count(path_prefix="/weibo/api/container/getIndex")
    assert run.counts["requests"] == searches  # every request counted on the Run, for the night budget
    assert run.counts["requests_by_host"] == {"127.0.0.1": searches}
    # 1 per unit, 启东's two retries, the latest post of each user whose name or 认证 carries a
    # unit's name: the candidates and the association the matcher then drops.
    assert searches == len(units) + 2 + len(found) + 1
    print(f"\ndiscovery: {len(units)} units, {searches} requests, {searches / len(units):.2f} per unit")


def _spider(**settings):
    from scrapy.settings import Settings as ScrapySettings

    from spiders.spiders.weibo_search import WeiboSearchSpider

    spider = WeiboSearchSpider()
    spider.settings = ScrapySettings({"WEIBO_BASE_URL": BASE, "MONITOR_AT": T.isoformat(), **settings})
    spider.skip, spider.latest, spider.readers = set(), {}, {}
    return spider


def _answer(request, payload=None, status=200):
    import json

    from scrapy.http import TextResponse

    body = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else b""
    return TextResponse(request.url, status=status, body=body, request=request,
                        headers={"Content-Type": "application/json"})


def test_refused_searches_end_unverified_and_a_walled_page_two_keeps_page_one():
    """The spider's callbacks driven directly with the answers the sandbox gives."""
    from spiders.items import DiscoverySearchItem
    from spiders.spiders.weibo_search import _Unit

    accounts = [{"platform": "weibo", "id": str(1100000000 + i), "name": f"测试数据{i}", "verified": True,
                 "verified_type": 1, "verified_reason": f"测试市数据局第{i}服务窗口", "posts": [{"days_ago": 1 + i}]}
                for i in range(12)]
    sc = Scenario(accounts, T)
    spider = _spider(WEIBO_SEARCH_PAGES=2)
    unit = _Unit("测试市数据局", ["测试市数据局"])
    page1 = search_payload(sc.accounts("weibo"), unit.unit, 1, BASE, "c")
    out = list(spider.on_search(_answer(spider._search(unit, 1), page1)))
    assert [r.meta["page"] for r in out] == [2] and "page=2" in out[0].url
    out = list(spider.on_search(_answer(out[0], {"ok": -100, "url": "https://passport.weibo.cn/signin/welcome?entry=mweibo"})))
    assert len(out) == 10 and all("containerid=107603" in r.url for r in out)  # page 1's ten: their latest post
    items, first, failing = [], out[0].meta["uid"], out[3].meta["uid"]
    for r in out:
        uid = r.meta["uid"]
        if uid == failing:
            items += list(spider._on_failure(type("F", (), {"request": r, "getErrorMessage": lambda self: "timeout",
                                                            "type": TimeoutError})()))
            continue
        timeline = {"ok": 1, "data": {"cardlistInfo": {"containerid": f"107603{uid}", "since_id": ""}, "cards": [
            {"card_type": 9, "mblog": {"id": "5" + uid, "created_at": "Mon Nov 23 10:00:00 +0800 2026", "text": "x",
                                       "user": {"id": int(uid)}}}]}}
        items += list(spider.on_timeline(_answer(r, timeline)))
    [item] = items
    assert isinstance(item, DiscoverySearchItem) and item.outcome == "ok" and item.pages == 1
    assert item.partial.startswith("login_required: search page 2") and len(item.users) == 10
    assert item.latest[first] == "2026-11-23T10:00:00+08:00" and item.latest[failing] is None
    assert item.request_count == 12  # two search pages, ten timelines

    for answer, status, code in (({"ok": 0, "msg": "访问频次过高，请稍后再试", "data": {}}, 200, "rate_limited"),
                                 (None, 418, "rate_limited"), (None, 432, "visitor_wall"),
                                 ({"ok": -100, "url": "https://passport.weibo.cn/signin/welcome"}, 200, "login_required"),
                                 ({"ok": 1, "data": {"cardlistInfo": {}}}, 200, "layout_changed"),
                                 (None, 502, "http_error")):
        unit = _Unit("测试市气象局", ["测试市气象局"])
        request = spider._search(unit, 1)
        out = list(spider.on_search(_answer(request, answer, status)))
        while out and not isinstance(out[0], DiscoverySearchItem):  # the HTTP-200 slow-down is asked again
            out = list(spider.on_search(_answer(out[0], answer, status)))
        [item] = out
        assert item.outcome in ("blocked", "error") and item.reason.startswith(code + ":"), (status, item.reason)
        assert item.users == [] and item.pages == 0
    assert unit.requests == 1


def test_weekly_job_waits_for_a_running_cycle_and_then_gives_up(app, tmp_path, monkeypatch):
    import schedules.jobs as jobs
    from monitor.cycle.lock import DatabaseLock

    config = tmp_path / "monitor.toml"
    config.write_text(f'database_url = "{app.settings.database_url}"\n', encoding="utf-8")
    waits = []
    monkeypatch.setattr(jobs, "DISCOVERY_PATIENCE_S", 120)
    monkeypatch.setattr(jobs.STOP, "wait", lambda seconds: waits.append(seconds))  # no real sleeping
    lock = DatabaseLock(app.engine, "cycle").acquire()  # a nightly cycle holds the database
    try:
        assert jobs.weekly_discovery(str(config)) == "busy"
    finally:
        lock.release()
    assert waits == [jobs.DISCOVERY_POLL_S] * 2  # polled for the patience, then skipped the week
    with app.session() as s:
        assert s.scalar(select(Run.id).where(Run.kind == "discover")) is None  # nothing ran, nothing half-done
