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
