"""互动回应差 / 留言审看: comment permissions read from real payloads, the closed-everywhere
veto, comment sections checked, inspectors' interaction tests."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

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
    assert "应于2026-11-20前回复" in r.stdout
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
    r = run_cli("interaction", "list", "--at", "2026-11-25T02:00", env=env)
    assert "逾期未回复" in r.stdout and "按期回复" in r.stdout

    run_detection(app, T)
    (f,) = findings(app, silent, "veto.no_interaction")
    assert f.state == "suspected" and f.case_key == "test:1"
    assert "通过私信发送测试“请问社保卡补办需要哪些材料？”，应于2026-11-20前回复，截至检查时未回复" in facts_text(f.facts, TZ)
    assert findings(app, answered, "veto.no_interaction") == []
    (f,) = findings(app, late, "veto.no_interaction")
    assert "2026年11月24日 00:00才回复" in facts_text(f.facts, TZ)
