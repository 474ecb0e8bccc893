"""The web workspace through its HTTP interface (TestClient, real SQLite): login and roles,
unit scoping, CSRF, review through the CLI's domain functions, audit, the JSON API."""
from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import select

from storage.models import AuditEntry, User
from tests.fixtures.core import T
from tests.fixtures.web import COMMERCE, PASSWORDS, Clock, csrf_of, login


def _score(client, name):
    return next(c for c in client.get("/api/score").json() if c["account_name"] == name)


def test_every_page_needs_a_login(web_client):
    c = web_client()
    for path in ("/", "/accounts", "/accounts/1", "/review", "/findings/1", "/runs", "/registry", "/downloads",
                 "/downloads/report.xlsx"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    for path in ("/api/findings", "/api/score", "/api/accounts"):
        assert c.get(path).status_code == 401, path
    assert c.get("/static/htmx.min.js").status_code == 200
    assert "登录" in c.get("/login").text


def test_login_cookie_and_logout(web_client, workspace):
    c = web_client()
    r = login(c, "inspector")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert "南通商务" in c.get("/accounts").text
    token = csrf_of(c.get("/logout").text)
    assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert c.get("/", follow_redirects=False).status_code == 303


def test_secure_cookie_when_public_url_is_https(tmp_path, sqlite_url, cheap_hashing):
    from fastapi.testclient import TestClient

    from monitor.web.app import create_app
    from monitor.web.users import add_user
    from tests.fixtures.core import make_app

    app = make_app(sqlite_url, tmp_path, web={"public_url": "https://jiancha.example.gov.cn"})
    add_user(app, "admin", "admin", PASSWORDS["admin"])
    with TestClient(create_app(app), base_url="https://testserver") as c:
        assert "secure" in login(c, "admin").headers["set-cookie"].lower()


def test_five_failed_logins_slow_the_user_down(web_client, workspace):
    clock = Clock()
    c = web_client(clock=clock)
    for _ in range(5):
        assert login(c, "inspector", "wrong password").status_code == 401
    # The sixth attempt is refused without looking at the password, even the right one.
    r = login(c, "inspector")
    assert r.status_code == 429 and "秒后再试" in r.text
    clock.now += timedelta(seconds=31)
    r = login(c, "inspector", "still wrong")  # looked at again after 30 s: a 6th failure …
    assert r.status_code == 401 and "60 秒后再试" in r.text
    clock.now += timedelta(seconds=59)
    assert login(c, "inspector").status_code == 429  # … doubles the wait
    clock.now += timedelta(seconds=2)
    assert login(c, "inspector").status_code == 303
    with workspace.app.session() as s:
        assert s.scalars(select(User.failed_logins).where(User.name == "inspector")).one() == 0
    # Another user is not slowed down by someone else's failures.
    assert login(web_client(clock=clock), "admin").status_code == 303


def test_disabling_a_user_ends_their_session(web_client, workspace):
    from monitor.web.users import disable_user

    c = web_client("inspector")
    assert c.get("/", follow_redirects=False).status_code == 200
    disable_user(workspace.app, "inspector")
    assert c.get("/", follow_redirects=False).status_code == 303
    assert login(web_client(), "inspector").status_code == 401


def test_post_without_csrf_token_is_refused(web_client, workspace):
    c = web_client("inspector")
    url = f"/findings/{workspace.ad_finding}/review"
    r = c.post(url, data={"decision": "confirm", "note": "确为商业广告"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = c.post(url, data={"decision": "confirm", "note": "确为商业广告", "csrf_token": "forged"})
    assert r.status_code == 403
    assert _score(c, "南通商务")["pending"] == ["ded.commercial_ads"]  # nothing changed
    # Login itself needs the token too (no login CSRF).
    fresh = web_client()
    fresh.get("/login")
    assert fresh.post("/login", data={"username": "admin", "password": PASSWORDS["admin"]}).status_code == 403


def test_review_changes_the_score_and_is_audited(web_client, workspace):
    c = web_client("inspector")
    before = _score(c, "南通商务")
    assert (before["score"], before["pending"]) == (100, ["ded.commercial_ads"])
    queue = c.get("/review").text
    assert "待复核" in queue and f"/findings/{workspace.ad_finding}" in queue
    page = c.get(f"/findings/{workspace.ad_finding}").text
    r = c.post(f"/findings/{workspace.ad_finding}/review",
               data={"decision": "confirm", "note": "确为商业推广", "csrf_token": csrf_of(page)},
               follow_redirects=False)
    assert r.status_code == 303
    after = _score(c, "南通商务")
    assert (after["score"], after["pending"], after["deductions"]) == (90, [], {"ded.commercial_ads": 10})
    account_page = c.get(f"/accounts/{workspace.ads}").text
    assert "90分" in account_page
    page = c.get(f"/findings/{workspace.ad_finding}").text
    audit = page.split("操作记录", 1)[1]
    assert "inspector" in audit and "testclient" in audit and "待复核 → 已确认" in audit and "100 → 90" in audit
    with workspace.app.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "review")).one()
    assert entry.finding_id == workspace.ad_finding and entry.changes["state"] == ["suspected", "confirmed"]
    assert entry.changes["score"] == [100, 90] and entry.at.tzinfo is not None


def test_review_without_note_is_refused_with_the_reason(web_client, workspace):
    c = web_client("inspector")
    page = c.get(f"/findings/{workspace.ad_finding}").text
    r = c.post(f"/findings/{workspace.ad_finding}/review",
               data={"decision": "confirm", "note": " ", "csrf_token": csrf_of(page)})
    assert r.status_code == 400 and "note" in r.text
    r = c.post(f"/findings/{workspace.ad_finding}/review",
               data={"decision": "approve", "note": "x", "csrf_token": csrf_of(page)})
    assert r.status_code == 400 and "confirm or dismiss" in r.text


def test_unit_user_sees_only_its_own_accounts(web_client, workspace):
    c = web_client("shangwu")
    listing = c.get("/accounts").text
    assert "南通商务" in listing and "南通发布" not in listing
    assert c.get(f"/accounts/{workspace.ads}").status_code == 200
    assert c.get(f"/accounts/{workspace.silent}").status_code == 404
    assert c.get(f"/findings/{workspace.veto_finding}").status_code == 404
    assert c.get(f"/findings/{workspace.ad_finding}").status_code == 200
    assert "南通发布" not in c.get("/").text
    assert {f["host_unit"] for f in c.get("/api/findings").json()} == {COMMERCE}
    assert [a["name"] for a in c.get("/api/accounts").json()] == ["南通商务"]
    assert [s["account_name"] for s in c.get("/api/score").json()] == ["南通商务"]
    # A unit user may look but not decide, nor read the whole city's workbook.
    page = c.get(f"/findings/{workspace.ad_finding}").text
    assert "复核意见" not in page
    r = c.post(f"/findings/{workspace.ad_finding}/review",
               data={"decision": "dismiss", "note": "不是广告", "csrf_token": csrf_of(page)})
    assert r.status_code == 403
    assert c.get("/downloads/report.xlsx").status_code == 403
    assert c.get("/registry").status_code == 403


def test_api_answers_the_cli_json(web_client, workspace, run_cli, sqlite_url):
    c = web_client("admin")
    env = {"MONITOR_DATABASE_URL": sqlite_url}
    for path, args in (("/api/findings", ["findings", "--format", "json"]),
                       ("/api/score", ["score", "--format", "json"]),
                       ("/api/accounts", ["accounts", "list", "--format", "json"])):
        cli = run_cli(*args, env=env)
        assert cli.exit_code == 0, cli.stderr
        assert c.get(path).json() == json.loads(cli.stdout), path
    night_before = (T - timedelta(days=1)).isoformat()
    assert {f["at"] for f in c.get("/api/findings", params={"at": night_before}).json()} == {night_before}
    assert c.get("/api/findings", params={"at": (T - timedelta(days=30)).isoformat()}).status_code == 404  # no cycle
    assert c.get("/api/findings", params={"at": "yesterday-ish"}).status_code == 400


def test_accounts_filters_sorting_and_paging(web_client, workspace):
    from sqlalchemy import insert

    from storage.models import Account

    with workspace.app.session() as s:
        s.execute(insert(Account), [{"name": f"海门账号{i:03d}", "platform": "weibo", "host_unit": "海门区融媒体中心",
                                     "district": "海门区", "platform_id": f"hm{i}", "store_ids": {},
                                     "profile_facts": {}} for i in range(120)])
    c = web_client("inspector")
    first = c.get("/accounts", params={"district": "海门区"}).text
    assert "共 120 个账号" in first and "第 1 / 3 页" in first and "海门账号000" in first
    assert "海门账号050" not in first
    last = c.get("/accounts", params={"district": "海门区", "page": 3}).text
    assert "海门账号119" in last and "海门账号000" not in last
    desc = c.get("/accounts", params={"district": "海门区", "sort": "name", "desc": "true"}).text
    assert desc.index("海门账号119") < desc.index("海门账号118")
    assert "共 1 个账号" in c.get("/accounts", params={"verdict": "不合格"}).text
    assert "共 120 个账号" in c.get("/accounts", params={"verdict": "none"}).text
    assert "共 1 个账号" in c.get("/accounts", params={"host_unit": "商务"}).text
    # htmx asks for the table only.
    part = c.get("/accounts", params={"platform": "weibo"}, headers={"HX-Request": "true"}).text
    assert "<nav" not in part and "共 122 个账号" in part


def test_overview_account_and_runs_pages_speak_chinese(web_client, workspace):
    c = web_client("admin")
    home = c.get("/").text
    for text in ("总览", "合格率趋势", "未能核验", "新增单项否决（1）", "检查账号"):
        assert text in home, text
    new_vetoes = home.split("新增单项否决", 1)[1].split("已恢复合格", 1)[0]
    assert "南通发布" in new_vetoes and "内容不更新" in new_vetoes and "南通商务" not in new_vetoes
    assert home.count("<circle") == 2  # two nights on the 合格率 trend
    page = c.get(f"/accounts/{workspace.silent}").text
    for text in ("南通发布", "内容不更新", "逐晚采集记录", "登记信息", "主办单位", "svg", "14天无更新"):
        assert text in page, text
    assert "运行记录" in c.get("/runs").text
    assert c.get("/accounts/999999").status_code == 404


def test_overview_says_why_an_account_is_unverifiable_in_chinese(web_client, workspace):
    from monitor.scoring import score_all
    from tests.fixtures.histories import History

    h = History(workspace.app)
    aid = h.account(name="如东气象", observe=False, platform_id="rudong-weather")
    h.observe(aid, outcome="blocked", observed_at=T - timedelta(hours=1), reason="rate_limited: HTTP 418 slow down",
              http_status=418)
    score_all(workspace.app, T)
    home = web_client("admin").get("/").text
    row = home.split("未能核验的账号", 1)[1].split("</table>", 1)[0]
    assert "如东气象" in row and "最近一次采集（2026年11月25日 01:00）被平台限流（HTTP 418）" in row
    assert "rate_limited" not in row and "blocked" not in row


def test_registry_upload_shows_the_clis_row_errors(web_client, workspace, tmp_path, run_cli, sqlite_url):
    c = web_client("admin")
    bad = tmp_path / "bad.csv"
    bad.write_text("名称,平台,主办单位,属地,账号ID\n崇川发布,新浪微博,崇川区政府办,崇川区,123456\n"
                   "缺平台,,崇川区政府办,崇川区,999\n", encoding="utf-8")
    page = c.get("/registry").text
    r = c.post("/registry", data={"csrf_token": csrf_of(page)},
               files={"file": ("bad.csv", bad.read_bytes(), "text/csv")})
    assert r.status_code == 400 and "未导入任何数据" in r.text
    cli = run_cli("accounts", "import", str(bad), env={"MONITOR_DATABASE_URL": sqlite_url})
    assert cli.exit_code == 1
    cli_rows = re.findall(r"invalid: (bad\.csv row \d+: .+)", cli.stderr)
    assert cli_rows and all(row.strip() in r.text for row in cli_rows)
    r = c.post("/registry", data={"csrf_token": csrf_of(page), "skip_invalid": "true"},
               files={"file": ("bad.csv", bad.read_bytes(), "text/csv")})
    assert r.status_code == 200 and "新增 1 个" in r.text
    exported = c.get("/registry/download.xlsx")
    assert exported.status_code == 200 and exported.content[:2] == b"PK"
    with workspace.app.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "registry_import")).one()
    assert entry.user_name == "admin" and entry.changes["created"] == 1


def test_users_cli(run_cli, sqlite_url, cheap_hashing):
    env = {"MONITOR_DATABASE_URL": sqlite_url}
    add = ["users", "add"]
    r = run_cli(*add, "li", "--role", "unit", "--unit", COMMERCE, "--password-stdin", input="a-long-password\n", env=env)
    assert r.exit_code == 0, r.stderr
    r = run_cli(*add, "wang", "--role", "unit", "--password-stdin", input="pw-long-enough\n", env=env)
    assert r.exit_code == 2 and "--unit" in r.stderr
    r = run_cli(*add, "li", "--role", "admin", "--password-stdin", input="another-long-one\n", env=env)
    assert r.exit_code == 2 and "already exists" in r.stderr
    r = run_cli(*add, "zhao", "--role", "admin", "--password-stdin", input="short\n", env=env)
    assert r.exit_code == 2 and "at least 8" in r.stderr
    assert run_cli(*add, "zhao", "--role", "admin", env=env).exit_code == 2  # never a password in argv
    listed = run_cli("users", "list", "--json", env=env)
    assert json.loads(listed.stdout) == [{"name": "li", "role": "unit", "unit": COMMERCE, "disabled": False,
                                          "last_login_at": None}]
    assert run_cli("users", "disable", "li", env=env).exit_code == 0
    assert json.loads(run_cli("users", "list", "--json", env=env).stdout)[0]["disabled"] is True
    assert run_cli("users", "disable", "nobody", env=env).exit_code == 2
    assert "a-long-password" not in listed.stdout


def test_alerts_link_to_the_workspace_when_public_url_is_set(workspace, tmp_path):
    from monitor.alerts.due import Planner
    from monitor.config import Settings

    def plan(public_url):
        settings = Settings(**{**workspace.app.settings.model_dump(), "web": {"public_url": public_url},
                               "alerts": {"outbox": str(tmp_path / "outbox.jsonl"),
                                          "inspectors": {"*": ["json://127.0.0.1:9/hook"]}}})
        workspace.app.settings = settings
        with workspace.app.session() as s:
            return {o.stage: o.message.body for o in Planner(workspace.app, s, T).plan()}

    linked = plan("https://jiancha.example.gov.cn")
    assert f"在线查看：https://jiancha.example.gov.cn/findings/{workspace.veto_finding}" in linked["veto"]
    assert linked["veto"].splitlines()[-1].startswith("——")  # the signature stays last
    assert f"https://jiancha.example.gov.cn/findings/{workspace.ad_finding}" in linked["digest"]
    local = plan("")
    assert "在线查看" not in local["veto"] and "https://jiancha" not in local["digest"]


def _package(workspace, finding_id, tmp_path):
    """A package folder as the evidence stage writes it: files, manifest, named by its hash."""
    import hashlib
    import io

    from PIL import Image

    from monitor.evidence.manifest import MANIFEST, file_entries, manifest_bytes
    from storage.models import EvidencePackage, Finding

    work = tmp_path / "pkg"
    work.mkdir()
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    (work / "screenshot.png").write_bytes(buf.getvalue())
    (work / "facts.json").write_text('{"days_silent": 14}', encoding="utf-8")
    data = manifest_bytes({"files": file_entries(work)})
    pid = hashlib.sha256(data).hexdigest()
    (work / MANIFEST).write_bytes(data)
    folder = tmp_path / "evidence" / pid
    folder.parent.mkdir(exist_ok=True)
    work.rename(folder)
    with workspace.app.session() as s:
        s.add(EvidencePackage(id=pid, finding_id=finding_id, path=str(folder)))
        s.get(Finding, finding_id).evidence_id = pid
    return pid, folder


def test_evidence_on_the_finding_page_and_as_zip(web_client, workspace, tmp_path):
    import io
    import zipfile

    pid, folder = _package(workspace, workspace.veto_finding, tmp_path)
    c = web_client("inspector")
    page = c.get(f"/findings/{workspace.veto_finding}").text
    assert "完整，未被改动" in page and "facts.json" in page and f"/evidence/{pid}/screenshot.png" in page
    shot = c.get(f"/evidence/{pid}/screenshot.png")
    assert shot.status_code == 200 and shot.content[:8] == b"\x89PNG\r\n\x1a\n"
    z = zipfile.ZipFile(io.BytesIO(c.get(f"/evidence/{pid}.zip").content))
    assert sorted(z.namelist()) == sorted(f"{pid}/{n}" for n in ("facts.json", "manifest.json", "screenshot.png"))
    assert z.read(f"{pid}/screenshot.png") == (folder / "screenshot.png").read_bytes()
    # The same verify as `monitor evidence verify`: a changed file shows on the page.
    (folder / "facts.json").write_text('{"days_silent": 2}', encoding="utf-8")
    assert "已被改动或缺失" in c.get(f"/findings/{workspace.veto_finding}").text
    # Another unit's evidence does not exist for a unit user.
    unit = web_client("shangwu")
    assert unit.get(f"/evidence/{pid}.zip").status_code == 404
    assert unit.get(f"/evidence/{pid}/screenshot.png").status_code == 404
    assert c.get("/evidence/../../etc/passwd.zip").status_code == 404


def test_web_secret_key_is_masked_in_config_show(run_cli):
    r = run_cli("config", "show", env={"MONITOR_WEB__SECRET_KEY": "s3cret-signing-key",
                                       "MONITOR_WEB__PUBLIC_URL": "https://jiancha.example.gov.cn/"})
    assert r.exit_code == 0, r.stderr
    assert "s3cret-signing-key" not in r.stdout
    web = json.loads(r.stdout)["web"]
    assert web == {"secret_key": "********", "public_url": "https://jiancha.example.gov.cn", "session_hours": 12.0}
    bad = run_cli("config", "show", env={"MONITOR_WEB__PUBLIC_URL": "jiancha.example.gov.cn"})
    assert bad.exit_code == 2 and "public_url" in bad.stderr


def test_runs_page_says_each_stage_in_words_not_python_dicts(web_client, workspace):
    from storage.models import Run

    with workspace.app.session() as s:
        top = Run(kind="cycle", at=T, started_at=T, finished_at=T, outcome="ok", counts={})
        s.add(top)
        s.flush()
        s.add(Run(parent_id=top.id, kind="crawl", at=T, started_at=T, finished_at=T, outcome="ok",
                  counts={"observations": 27, "observations_ok": 23, "observations_blocked": 1,
                          "observations_error": 3, "plan": {"per_host_budget": None, "unreached": 0}}))
        s.commit()
    page = web_client("admin").get("/runs").text
    assert "采集27次（成功23，被拦截1，出错3）" in page
    shown = page.split("<details", 1)[0]
    assert "observations_ok=" not in shown and "{&#39;" not in shown  # raw counts only under 详细计数
