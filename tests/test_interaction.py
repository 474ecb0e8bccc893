"""互动回应差 / 留言审看: comment permissions read from real payloads, the closed-everywhere
veto, comment sections checked, inspectors' interaction tests."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from monitor.detectors import run_detection
from monitor.reports.wording import facts_text
from spiders.wechat.article import parse_article
from spiders.weibo.cards import parse_timeline
from spiders.weibo.permission import comment_state
from storage.models import Finding
from tests.fixtures.core import REAL_FIXTURES, T, TZ

CLOSED = {"comments": {"closed": True, "limited": True, "source": "enable_comment_guide"}}
OPEN = {"comments": {"closed": False, "limited": False, "source": "enable_comment_guide"}}


def findings(app, account_id, rule):
    with app.session() as s:
        return [f for f in s.scalars(select(Finding).where(Finding.account_id == account_id,
                                                           Finding.rule == rule, Finding.at == T))]


def test_real_weibo_timeline_posts_take_comments():
    data = json.loads((REAL_FIXTURES / "weibo" / "m_weibo_cn_getIndex_107603_timeline.json").read_text())["data"]
    posts = parse_timeline(data, T)
    assert posts.posts and all(p.comments["closed"] is False for p in posts.posts)
    assert all(p.comments["count"] > 0 for p in posts.posts)


def test_weibo_permission_fields():
    assert comment_state({"text": "x"}) is None  # the post does not say
    everyone = comment_state({"comment_manage_info": {"comment_permission_type": -1, "approval_comment_type": 0},
                              "enable_comment_guide": True})
    assert (everyone["closed"], everyone["limited"]) == (False, False)
    closed = comment_state({"comment_manage_info": {"comment_permission_type": 1, "approval_comment_type": 0},
                            "enable_comment_guide": False})
    assert (closed["closed"], closed["source"]) == (True, "comment_manage_info")
    fans_only = comment_state({"comment_manage_info": {"comment_permission_type": 1}, "enable_comment_guide": True})
    assert (fans_only["closed"], fans_only["limited"]) == (False, True)
    curated = comment_state({"comment_manage_info": {"comment_permission_type": -1, "approval_comment_type": 1}})
    assert (curated["closed"], curated["limited"]) == (False, True)


def test_real_wechat_comment_enabled():
    page = parse_article((REAL_FIXTURES / "wechat" / "mp_article_image_share_show_type8_no_js_content_window_ct.html")
                         .read_text(encoding="utf-8"))
    assert page.comment_enabled is True
    # The static page of an ordinary article leaves the value empty: nothing is known.
    page = parse_article((REAL_FIXTURES / "wechat" / "mp_article_original_copyright_stat_1.html")
                         .read_text(encoding="utf-8"))
    assert page.comment_enabled is None


def test_every_recent_post_closed_is_a_suspected_veto_one_closed_post_is_not(app, history):
    everywhere = history.account(name="南通发布")
    for d in (1, 3, 5):
        history.post(everywhere, T - timedelta(days=d), details=CLOSED)
    history.post(everywhere, T - timedelta(days=40), details=OPEN)  # old: not recent
    one = history.account(name="崇川发布")
    history.post(one, T - timedelta(days=1), details=CLOSED)
    history.post(one, T - timedelta(days=2), details=OPEN)
    history.post(one, T - timedelta(days=3), details=OPEN)
    few = history.account(name="海门发布")  # two closed posts only: too few to say
    for d in (1, 2):
        history.post(few, T - timedelta(days=d), details=CLOSED)
    failed = history.account(name="如东发布", observe=False)  # closed posts, but tonight's fetch failed
    history.observe(failed, outcome="blocked", reason="rate_limited: HTTP 418")
    for d in (1, 2, 3):
        history.post(failed, T - timedelta(days=d), details=CLOSED)
    run_detection(app, T)
    (f,) = findings(app, everywhere, "veto.no_interaction")
    assert f.state == "suspected" and f.case_key == "comments_closed"
    assert [p["published_at"][:10] for p in f.facts["comments_closed_posts"]] == ["2026-11-24", "2026-11-22", "2026-11-20"]
    assert "近14天发布的3条内容均已关闭评论/留言" in facts_text(f.facts, TZ)
    assert findings(app, one, "veto.no_interaction") == []
    assert findings(app, few, "veto.no_interaction") == []
    assert findings(app, failed, "veto.no_interaction") == []


def test_reply_deadline_counts_working_days():
    from datetime import date

    from monitor.interaction import reply_deadline

    assert reply_deadline(date(2026, 11, 18), 5) == date(2026, 11, 25)  # Wed → next Wed
    assert reply_deadline(date(2026, 11, 20), 5) == date(2026, 11, 27)  # Fri → next Fri
    assert reply_deadline(date(2026, 11, 21), 1) == date(2026, 11, 23)  # Sat → Mon


def test_reply_deadlines_skip_public_holidays_and_count_the_weekends_worked_in_exchange(sqlite_url, tmp_path):
    """A test sent just before 国庆 is not late on 8 October: 1–7 October 2026 are holidays
    and Saturday 10 October is a working day (调休), as the State Council announced."""
    from datetime import date

    from monitor.interaction import reply_deadline
    from monitor.interaction.workdays import WorkCalendar
    from tests.fixtures.core import make_app

    # Sent Wednesday 30 September: working days 8, 9, 10 (Sat), 12, 13 October.
    assert reply_deadline(date(2026, 9, 30), 5) == date(2026, 10, 13)
    # 春节 2026: 15–23 February off, Saturday 14 and Saturday 28 February worked.
    assert reply_deadline(date(2026, 2, 13), 2) == date(2026, 2, 24)
    # A year the calendar package does not carry yet: Monday–Friday less the fixed-date holidays,
    # and the operator's own list ([interaction] holidays / workdays) for the rest.
    assert reply_deadline(date(2026, 12, 30), 2) == date(2027, 1, 4)  # Thu 31 Dec, (Fri 1 Jan off), Mon 4 Jan
    app = make_app(sqlite_url, tmp_path, interaction={"holidays": ["2027-01-04"], "workdays": ["2027-01-02"]})
    calendar = WorkCalendar.from_settings(app.settings)
    assert reply_deadline(date(2026, 12, 30), 2, calendar) == date(2027, 1, 2)
    assert reply_deadline(date(2026, 12, 31), 2, calendar) == date(2027, 1, 5)


def test_interaction_tests_from_the_cli_to_the_review_queue(run_cli, tmp_path):
    from tests.fixtures.core import make_app
    from tests.fixtures.histories import History

    db = tmp_path / "m.db"
    env = {"MONITOR_DATABASE_URL": f"sqlite:///{db}", "MONITOR_EVIDENCE_DIR": str(tmp_path / "ev"), "COLUMNS": "200"}
    assert run_cli("init", env=env).exit_code == 0
    app = make_app(f"sqlite:///{db}", tmp_path)
    h = History(app)
    silent = h.account(name="海安发布", platform_id="1001")
    answered = h.account(name="如皋发布", platform_id="1002")
    late = h.account(name="启东发布", platform_id="1003")
    r = run_cli("interaction", "add", "海安发布", "--channel", "私信", "--sent", "2026-11-13 10:00",
                "--text", "请问社保卡补办需要哪些材料？", "--by", "张检查", env=env)
    assert r.exit_code == 0, r.stderr
    assert "应于2026年11月20日前回复" in r.stdout
    assert run_cli("interaction", "add", "1002", "--channel", "留言", "--sent", "2026-11-13",
                   "--text", "咨询公积金", env=env).exit_code == 0
    assert run_cli("interaction", "add", "1003", "--channel", "评论", "--sent", "2026-11-13",
                   "--text", "咨询户籍", env=env).exit_code == 0
    bad = run_cli("interaction", "add", "1001", "--channel", "电话", "--sent", "2026-11-13", "--text", "x", env=env)
    assert bad.exit_code == 2 and "--channel must be one of 私信|留言|评论" in bad.stderr and "Traceback" not in bad.stderr
    bad = run_cli("interaction", "add", "9999", "--channel", "私信", "--sent", "2026-11-13", "--text", "x", env=env)
    assert bad.exit_code == 2 and "ACCOUNT" in bad.stderr
    bad = run_cli("interaction", "add", "1001", "--channel", "私信", "--sent", "昨天", "--text", "x", env=env)
    assert bad.exit_code == 2 and "--sent" in bad.stderr
    assert run_cli("interaction", "reply", "2", "--replied", "2026-11-17 15:00", "--text", "您好，请携带身份证…",
                   env=env).exit_code == 0
    assert run_cli("interaction", "reply", "3", "--replied", "2026-11-24", env=env).exit_code == 0
    r = run_cli("interaction", "list", "--format", "json", "--at", "2026-11-25T02:00", env=env)
    states = {t["account"]: t["state"] for t in json.loads(r.stdout)}
    assert states == {"海安发布": "overdue", "如皋发布": "replied_in_time", "启东发布": "replied_late"}
    r = run_cli("interaction", "list", "--at", "2026-11-25T02:00", env={**env, "COLUMNS": "250"})
    assert "逾期未回复" in r.stdout and "按期回复" in r.stdout
    assert "2026年11月20日" in r.stdout and "2026-11-20" not in r.stdout  # the deadline as a reader writes it

    run_detection(app, T)
    (f,) = findings(app, silent, "veto.no_interaction")
    assert f.state == "suspected" and f.case_key == "test:1"
    assert "通过私信发送测试“请问社保卡补办需要哪些材料？”，应于2026年11月20日前回复，截至检查时未回复" in facts_text(f.facts, TZ)
    assert findings(app, answered, "veto.no_interaction") == []
    (f,) = findings(app, late, "veto.no_interaction")
    assert "2026年11月24日 00:00才回复" in facts_text(f.facts, TZ)


def test_hotflow_payload_round_trip_comments_and_account_replies():
    from monitor.sandbox.platforms.weibo_payloads import hotflow_payload
    from monitor.sandbox.scenario import SandboxAccount, SandboxPost
    from spiders.weibo.comments import is_no_comments, parse_hotflow

    acc = SandboxAccount("weibo", "1000000003", "崇川发布", {}, T, 1)
    post = SandboxPost("5000000001", T - timedelta(hours=5), text="停水通知",
                       extra={"comments": [{"text": "什么时候恢复？", "user": "市民甲",
                                            "replies": [{"text": "爱信不信，自己不会查吗"}]},
                                           {"text": "收到"}]})
    payload = hotflow_payload(post, acc, "https://m.weibo.cn", T)
    got = parse_hotflow(payload["data"], T, limit=20)
    assert [(c.text, c.user_id == "1000000003", c.parent_id is not None) for c in got] == [
        ("什么时候恢复？", False, False), ("爱信不信，自己不会查吗", True, True), ("收到", False, False)]
    assert payload["data"]["total_number"] == 3 and payload["data"]["max_id"] == 0
    assert len(parse_hotflow(payload["data"], T, limit=2)) == 2
    assert is_no_comments(hotflow_payload(SandboxPost("5000000002", T, text="x", extra={"comments": []}), acc, "", T))


def test_comment_sections_checked_abuse_left_standing_and_abusive_replies(app, history):
    from storage.models import Comment, Post

    aid = history.account(name="崇川发布")
    ppid = history.post(aid, T - timedelta(days=2), text="停水通知")
    with app.session() as s:
        post_id = s.scalar(select(Post.id).where(Post.platform_post_id == ppid))
        s.add_all([
            Comment(account_id=aid, post_id=post_id, platform_comment_id="c1", text="你们都是废物", user_name="网友甲",
                    created_at=T - timedelta(days=1), first_seen_at=T - timedelta(hours=1), last_seen_at=T - timedelta(hours=1)),
            Comment(account_id=aid, post_id=post_id, platform_comment_id="c2", parent_comment_id="c1",
                    text="爱信不信，自己不会查吗", by_account=True, created_at=T - timedelta(hours=20),
                    first_seen_at=T - timedelta(hours=1), last_seen_at=T - timedelta(hours=1)),
            Comment(account_id=aid, post_id=post_id, platform_comment_id="c3", text="您好，已转交自来水公司处理",
                    by_account=True, first_seen_at=T - timedelta(hours=1), last_seen_at=T - timedelta(hours=1)),
        ])
    run_detection(app, T)
    (mod,) = findings(app, aid, "ded.comment_moderation")
    assert mod.state == "suspected" and mod.case_key == "comment:c1"
    assert mod.facts["post"]["post_id"] == ppid and mod.facts["hits"][0]["text"] == "废物"
    (rep,) = findings(app, aid, "ded.improper_response")
    assert rep.case_key == "comment:c2" and [h["text"] for h in rep.facts["hits"]] == ["爱信不信", "自己不会查吗"]
    h = rep.facts["hits"][0]
    assert rep.facts["comment"]["text"][h["start"]:h["end"]] == "爱信不信"
    assert "账号回复“爱信不信，自己不会查吗”含“爱信不信、自己不会查吗”" in facts_text(rep.facts, TZ)


SECTIONS = [
    {"platform": "weibo", "id": "1000000301", "name": "崇川发布", "verified": True,
     "posts": [{"every_days": 1, "from_days": 0.5, "to_days": 40, "kind": "original"},
               {"days_ago": 0.1, "kind": "original", "text": "【停水通知】明日城东片区停水。",
                "comments": [{"text": "几点恢复？", "user": "市民甲", "replies": [{"text": "爱信不信，自己不会查吗"}]},
                             {"text": "收到"}]}]},
    {"platform": "weibo", "id": "1000000302", "name": "通州发布", "verified": True, "comments_closed": True,
     "posts": [{"every_days": 1, "from_days": 0.5, "to_days": 40, "kind": "original"}]},
    # Every comment request answers the captcha: the timeline still decides, nothing is accused.
    {"platform": "weibo", "id": "1000000303", "name": "海门发布", "verified": True, "comments_blocked": "captcha",
     "posts": [{"every_days": 1, "from_days": 0.5, "to_days": 40, "kind": "original",
                "comments": [{"text": "你们都是废物"}]}]},
]


@pytest.mark.browser
def test_weibo_spider_reads_comment_sections_within_the_per_night_bound(sandbox_factory, sqlite_url, tmp_path):
    from monitor.crawl import run_crawl
    from monitor.sandbox import Scenario
    from storage.models import Account, Comment, Observation
    from tests.fixtures.core import make_app

    srv = sandbox_factory(scenario=Scenario(SECTIONS, at=T))
    srv.world.state["weibo"].penalty_seconds = 0.4
    # As in the 2025–26 432 waves: every path (timeline, comments) needs the visit's whole jar.
    srv.world.state["weibo"].require_side_cookies = True
    app = make_app(sqlite_url, tmp_path, **srv.config_overrides(), crawl={"delay": 0},
                   interaction={"posts_per_night": 2, "comments_per_post": 20})
    with app.session() as s:
        for acc in SECTIONS:
            s.add(Account(name=acc["name"], platform="weibo", host_unit="测试单位", platform_id=acc["id"]))
    result = run_crawl(app, T, ["weibo"], extra={"WEIBO_418_BACKOFF": 0.6}, timeout=180)
    assert result.ok, result.log_path.read_text(encoding="utf-8")[-3000:]
    # Two comment requests for the account that takes comments (posts_per_night), none for
    # the one whose every post is closed.
    assert srv.world.count(account="1000000301", path_prefix="/weibo/comments/hotflow") == 2
    assert srv.world.count(path_prefix="/weibo-passport/visitor/genvisitor2") == 1  # no 432 made it renew
    assert srv.world.count(account="1000000302", path_prefix="/weibo/comments/hotflow") == 0
    with app.session() as s:
        obs = {o.account_id: o for o in s.scalars(select(Observation).where(Observation.kind == "timeline"))}
        ids = {a.platform_id: a.id for a in s.scalars(select(Account))}
        assert obs[ids["1000000301"]].details.get("comment_requests") == 2, obs[ids["1000000301"]].reason
        comments = list(s.scalars(select(Comment).where(Comment.account_id == ids["1000000301"])))
        mine = [c for c in comments if c.by_account]
        assert [c.text for c in mine] == ["爱信不信，自己不会查吗"] and mine[0].parent_comment_id
        assert {"几点恢复？", "收到"} <= {c.text for c in comments}
        blocked = obs[ids["1000000303"]]
        assert blocked.outcome == "ok" and blocked.details["comment_requests"] == 2
        assert sum(n.startswith("comments of") for n in blocked.details["notes"]) == 2, blocked.details["notes"]
        assert s.scalar(select(func.count()).select_from(Comment).where(Comment.account_id == ids["1000000303"])) == 0
    run_detection(app, T)
    assert findings(app, ids["1000000303"], "ded.comment_moderation") == []
    assert [f.case_key for f in findings(app, ids["1000000301"], "ded.improper_response")] == [f"comment:{mine[0].platform_comment_id}"]
    (closed,) = findings(app, ids["1000000302"], "veto.no_interaction")
    assert closed.case_key == "comments_closed" and len(closed.facts["comments_closed_posts"]) >= 3


def test_interaction_tests_in_the_web_workspace(web_client, workspace):
    from tests.fixtures.web import csrf_of

    insp = web_client("inspector")
    page = insp.get("/interaction").text
    assert "暂无互动测试" in page and "5个工作日内回复" in page
    token = csrf_of(page)
    r = insp.post("/interaction", data={"account_id": str(workspace.silent), "channel": "电话",
                                        "sent": "2026-11-13T10:00", "text": "咨询", "csrf_token": token})
    assert r.status_code == 400 and "--channel must be one of 私信|留言|评论" in r.text
    for aid, text in ((workspace.silent, "请问如何预约"), (workspace.ads, "咨询展会报名")):
        r = insp.post("/interaction", data={"account_id": str(aid), "channel": "私信", "sent": "2026-11-13T10:00",
                                            "text": text, "csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
    page = insp.get("/interaction").text
    assert page.count("逾期未回复") == 2 and "2026-11-20" in page
    r = insp.post("/interaction/2/reply", data={"replied": "2026-11-16T09:00", "text": "您好，请登录官网报名",
                                               "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    page = insp.get("/interaction").text
    assert "按期回复" in page and "您好，请登录官网报名" in page and page.count("逾期未回复") == 1
    unit = web_client("shangwu")  # a unit sees its own account's tests only, and cannot record
    mine = unit.get("/interaction").text
    assert "咨询展会报名" in mine and "请问如何预约" not in mine and "记录测试" not in mine
    assert unit.post("/interaction", data={"account_id": str(workspace.ads), "channel": "私信", "sent": "2026-11-13",
                                           "text": "x", "csrf_token": csrf_of(mine)}).status_code == 403


def test_the_accounts_reply_under_the_inspectors_comment_answers_the_test(app, history):
    from monitor.interaction import add_test, state_of
    from spiders.items import CommentItem
    from spiders.pipelines import upsert_comments
    from storage.models import Account, InteractionTest

    aid = history.account(name="崇川发布")
    ppid = history.post(aid, T - timedelta(days=3), text="便民服务指南")
    with app.session() as s:
        add_test(s, s.get(Account, aid), channel="评论", sent=T - timedelta(days=3), text="请问周末能办理吗？",
                 tz=TZ, working_days=5, comment_id="c-inspector")
    replied = T - timedelta(days=2)
    with app.session() as s:
        upsert_comments(s, aid, [
            CommentItem(ppid, "c-inspector", "请问周末能办理吗？", user_name="检查员"),
            CommentItem(ppid, "c-other-reply", "您好，请见置顶", parent_comment_id="c-someone", by_account=True,
                        created_at=replied),
            CommentItem(ppid, "c-reply", "您好，周六上午可以办理", parent_comment_id="c-inspector", by_account=True,
                        created_at=replied),
        ], T - timedelta(hours=1))
    with app.session() as s:
        test = s.scalar(select(InteractionTest))
        assert (test.reply_text, test.reply_source, test.replied_at) == ("您好，周六上午可以办理", "observed", replied)
        assert state_of(test, T.date(), TZ) == "replied_in_time"


def test_an_overdue_interaction_test_stands_on_a_night_the_account_could_not_be_checked(app, history):
    # The test rests on the inspector's record: a refused fetch tonight does not answer it.
    from monitor.interaction import add_test
    from storage.models import Account

    aid = history.account(name="如东发布", observe=False)
    history.observe(aid, outcome="blocked", reason="rate_limited: HTTP 418")
    with app.session() as s:
        add_test(s, s.get(Account, aid), channel="私信", sent=T - timedelta(days=12), text="请问办事时间？",
                 tz=TZ, working_days=5)
    run_detection(app, T)
    (f,) = findings(app, aid, "veto.no_interaction")
    assert f.state == "suspected" and f.case_key.startswith("test:")


def test_deadlines_counted_monday_to_friday_before_are_recounted_on_the_calendar(db_url, tmp_path):
    """A test recorded before the calendar was known had its deadline counted Monday–Friday: the
    migration recounts it (same number of working days) and only ever moves it later."""
    from datetime import date, datetime

    from alembic import command
    from sqlalchemy import select

    from storage.db import alembic_config
    from storage.models import Account, InteractionTest
    from tests.fixtures.core import TZ, make_app

    app = make_app(db_url, tmp_path)
    app.init_db()
    with app.session() as s:
        a = Account(name="南通发布", platform="weibo", host_unit="中共南通市委宣传部", platform_id="2803301701")
        s.add(a)
        s.flush()
        # Sent 30 September 2026, 5 working days counted Monday–Friday: 7 October (in 国庆).
        s.add(InteractionTest(account_id=a.id, channel="私信", sent_at=datetime(2026, 9, 30, 10, tzinfo=TZ),
                              text="测试", deadline=date(2026, 10, 7)))
        # Sent 16 November, 5 working days, no holiday in between: unchanged.
        s.add(InteractionTest(account_id=a.id, channel="留言", sent_at=datetime(2026, 11, 16, 10, tzinfo=TZ),
                              text="测试", deadline=date(2026, 11, 23)))
    cfg = alembic_config(app.settings.database_url)
    command.downgrade(cfg, "0009_night_summaries")
    command.upgrade(cfg, "head")
    with app.session() as s:
        got = [t.deadline for t in s.scalars(select(InteractionTest).order_by(InteractionTest.id))]
    assert got == [date(2026, 10, 13), date(2026, 11, 23)]


@pytest.mark.parametrize("per_host, lanes", [(2, 1), (8, 2), (32, 8)])
def test_comment_requests_take_a_quarter_of_the_hosts_connections_and_waiting_accounts_get_their_turn(
        per_host, lanes):
    from scrapy.utils.test import get_crawler

    from spiders.spiders.weibo import WeiboSpider, _Run, _Stored

    crawler = get_crawler(WeiboSpider, {"CONCURRENT_REQUESTS_PER_DOMAIN": per_host,
                                        "WEIBO_BASE_URL": "http://127.0.0.1:9/weibo"})
    spider = WeiboSpider.from_crawler(crawler)
    runs = [_Run(account_id=n, uid=str(1000 + n), stored=_Stored(), profile_due=False,
                 comment_queue=[f"{n}01"]) for n in range(lanes + 3)]
    sent = [r for run in runs for r in spider._next_long_or_finish(run)]
    assert [r.meta["post_id"] for r in sent] == [f"{n}01" for n in range(lanes)]
    assert all("/comments/hotflow" in r.url for r in sent)
    # An answer hands its lane on: the account finishes, the next waiting one sends its request.
    out = list(spider._comment_done(runs[0]))
    assert [type(o).__name__ for o in out] == ["ObservationItem", "Request"]
    assert out[1].meta["post_id"] == f"{lanes}01"
    # Every account is answered in the end, none left waiting.
    pending = [out[1], *sent[1:]]
    finished = 1
    while pending:
        request = pending.pop(0)
        for o in spider._comment_done(request.meta["run"]):
            if type(o).__name__ == "Request":
                pending.append(o)
            else:
                finished += 1
    assert finished == len(runs)
