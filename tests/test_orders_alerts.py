"""整改到期提醒: the day before and the day of the deadline, to the unit's manager (SMTP) and
the 属地's inspectors (webhook), once each; nothing for an order already answered."""
from __future__ import annotations

from datetime import timedelta

from monitor.alerts import send_alerts
from storage.models import Account, RectificationOrder, Tongbao
from tests.fixtures.core import T, make_app

EMAIL = "zhangmin@chongchuan.gov.cn"


def test_orders_due_are_alerted_the_day_before_and_the_day_of(sqlite_url, tmp_path, smtp_server, webhook_server):
    hook = webhook_server
    app = make_app(sqlite_url, tmp_path, alerts={
        "inspectors": {"崇川区": [hook.url("json", "/inspector/chongchuan")]},
        "manager_email_url": smtp_server.url(), "retries": 1, "retry_delay": 0})
    day = T.date()
    with app.session() as s:
        owing = Account(name="崇川发布", platform="weibo", host_unit="崇川区人民政府办公室", district="崇川区",
                        platform_id="1001", manager="张敏", manager_email=EMAIL)
        answered = Account(name="崇川教育", platform="weibo", host_unit="崇川区教育体育局", district="崇川区",
                           platform_id="1002", manager="李华", manager_email="lihua@chongchuan.gov.cn")
        tb = Tongbao(period="2026-11", period_first=day.replace(day=1), period_last=day.replace(day=30),
                     issued_on=day - timedelta(days=9), issued_at=T - timedelta(days=9), issued_by="张检查",
                     doc_number="〔2026〕第　　号", deadline_days=10, content={})
        s.add_all([owing, answered, tb])
        s.flush()
        cited = [{"rule": "veto.no_update_2w", "rule_name": "内容不更新", "group_zh": "单项否决"}]
        for a, state in ((owing, "pending"), (answered, "replied")):
            s.add(RectificationOrder(tongbao=tb, account_id=a.id, issued_on=tb.issued_on,
                                     deadline=day + timedelta(days=1), state=state, findings=cited))

    send_alerts(app, T)
    [mail] = smtp_server.to(EMAIL)
    assert mail.subject == "【整改到期提醒】崇川发布：整改期限2026年11月26日（明天到期）"
    assert "内容不更新（单项否决）" in mail.text and "扣10分" in mail.text
    assert smtp_server.to("lihua@chongchuan.gov.cn") == []  # replied: the inspector's move now
    [inspector] = [r.json for r in hook.at("/inspector/chongchuan")]
    assert "明天到期" in inspector["title"]

    send_alerts(app, T + timedelta(days=1))
    send_alerts(app, T + timedelta(days=1))  # the same night again sends nothing twice
    titles = [m.subject for m in smtp_server.to(EMAIL)]
    assert titles[1:] == ["【整改到期提醒】崇川发布：整改期限2026年11月26日（今天到期）"]
    assert [r.json["title"][-5:] for r in hook.at("/inspector/chongchuan")] == ["明天到期）", "今天到期）"]
    send_alerts(app, T + timedelta(days=2))  # past the deadline: 逾期, counted in Annex 3, no more alerts
    assert len(smtp_server.to(EMAIL)) == 2
