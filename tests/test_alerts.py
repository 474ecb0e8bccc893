"""Alerts end to end: a real SMTP server and a real HTTP receiver, asserting who got what."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor.alerts import outbox, pending_alerts, send_alerts
from storage.models import Account, Alert, EvidencePackage, Finding, Observation, Post
from tests.fixtures.core import T, make_app
from tests.fixtures.smtp import free_port

ZHANG = "zhangmin@chongchuan.gov.cn"
WANG = "wang@tongzhou.gov.cn"
ZHAO = "zhao@haimen.gov.cn"


def alert_settings(smtp_url: str, hook) -> dict:
    return {
        "inspectors": {
            "崇川区": [hook.url("json", "/inspector/chongchuan")],
            "*": [hook.url("wecomhook", "/cgi-bin/webhook/send?key=CITYKEY")],
        },
        "operator": [hook.url("dingtalkhook", "/robot/send?access_token=OPSTOKEN")],
        "manager_email_url": smtp_url,
        "retries": 2,
        "retry_delay": 0,
    }


def account(s, name, platform, district, email, **kw) -> Account:
    a = Account(name=name, platform=platform, host_unit=kw.pop("host_unit", name[:2] + "区人民政府办公室"),
                district=district, platform_id=kw.pop("platform_id", name), manager=kw.pop("manager", "管理员"),
                manager_email=email, **kw)
    s.add(a)
    s.flush()
    return a


def observe(s, a, when, outcome="ok", reason=None):
    s.add(Observation(account_id=a.id, platform=a.platform, kind="timeline", outcome=outcome,
                      observed_at=when, reason=reason, url=f"https://example.invalid/{a.platform_id}"))


def silence(at, days):
    last = at - timedelta(days=days)
    return {"latest_post_at": last.isoformat(), "latest_post_url": "https://m.weibo.cn/status/1",
            "days_silent": days, "silent_since": last.isoformat()}


def seed_night(app, tmp_path):
    """T: 崇川发布 vetoed (no post for 20 days, detector-decided, with evidence); 通州教育 7 days
    silent; 海门政务 a suspected veto (not alerted until confirmed); two of three WeChat accounts
    blocked, one of them for the third night running."""
    with app.session() as s:
        cc = account(s, "崇川发布", "weibo", "崇川区", ZHANG, manager="张敏")
        tz_ = account(s, "通州教育", "weibo", "通州区", WANG, manager="王磊")
        hm = account(s, "海门政务", "wechat", "海门区", ZHAO, wechat_kind="订阅号")
        rd = account(s, "如东交通", "wechat", "如东县", "ru@rudong.gov.cn", wechat_kind="订阅号")
        qd = account(s, "启东文旅", "wechat", "启东市", "qi@qidong.gov.cn", wechat_kind="订阅号")
        for a in (cc, tz_, hm):
            observe(s, a, T + timedelta(minutes=5))
        for night in range(3):
            observe(s, rd, T + timedelta(minutes=7) - timedelta(days=night), "blocked", "captcha page")
        observe(s, qd, T + timedelta(minutes=8), "blocked", "HTTP 432")
        veto = Finding(account_id=cc.id, rule="veto.no_update_2w", at=T, case_key="", state="auto",
                       facts=silence(T, 20), window_start=T - timedelta(days=14), window_end=T,
                       evidence_id="ab" * 32)
        s.add(veto)
        s.flush()
        s.add(EvidencePackage(id="ab" * 32, finding_id=veto.id, path=str(tmp_path / "evidence" / ("ab" * 32))))
        s.add(Finding(account_id=tz_.id, rule="adv.update_reminder", at=T, case_key="7d", state="auto",
                      facts={**silence(T, 7.5), "tier_days": 7}))
        s.add(Finding(account_id=hm.id, rule="veto.no_interaction", at=T, case_key="", state="suspected",
                      facts={"interaction_closed": True}))
        return {"cc": cc.id, "tz": tz_.id, "hm": hm.id, "rd": rd.id, "qd": qd.id}


@pytest.fixture
def channels(smtp_server, webhook_server):
    return smtp_server, webhook_server


def test_each_role_gets_its_alert_once(db_url, tmp_path, channels):
    smtp, hook = channels
    app = make_app(db_url, tmp_path, alerts=alert_settings(smtp.url(), hook))
    seed_night(app, tmp_path)

    counts = send_alerts(app, T)
    assert counts.get("failed", 0) == 0, counts

    # The account manager of 崇川发布 gets the veto alert with the Annex 2 name, facts, evidence, what to do.
    [veto_mail] = smtp.to(ZHANG)
    assert "单项否决" in veto_mail.subject and "崇川发布" in veto_mail.subject
    body = veto_mail.text
    assert "内容不更新：监测时间点前2周内无更新" in body
    assert "最近一次更新：2026年11月5日 02:00" in body and "已连续20天未更新" in body
    assert "ab" * 6 in body and str(tmp_path / "evidence") in body
    assert "10日内（2026年12月5日前）完成整改" in body
    # The 7-day reminder goes to 通州教育's manager, and only the reminder.
    [reminder] = smtp.to(WANG)
    assert "更新提醒" in reminder.subject and "7天" in reminder.subject
    assert "请尽快发布内容" in reminder.text and "2026年12月1日 14:00（北京时间）前仍无更新" in reminder.text
    # A suspected veto waits for a reviewer: nothing to 海门政务's manager.
    assert smtp.to(ZHAO) == []

    # The inspector of 崇川区 gets the veto alert and a digest of 崇川区 only.
    cc_hook = [r.json for r in hook.at("/inspector/chongchuan")]
    titles = [p["title"] for p in cc_hook]
    assert any("【单项否决】崇川发布" in t for t in titles), titles
    [digest] = [p for p in cc_hook if "每日摘要" in p["title"]]
    assert "崇川发布" in digest["message"] and "启东文旅" not in digest["message"]
    # The city-wide inspector (WeCom relay) sees every 属地, including the accounts that could not be checked.
    city = [r.json["text"]["content"] for r in hook.at("/cgi-bin/webhook/send")]
    [city_digest] = [c for c in city if "每日摘要" in c]
    assert "未能核验" in city_digest and "如东交通" in city_digest and "启东文旅" in city_digest
    assert "海门政务" in city_digest and "待复核" in city_digest
    assert any("【单项否决】崇川发布" in c for c in city)
    assert all("key=CITYKEY" in r.path for r in hook.at("/cgi-bin/webhook/send"))
    # The operator (DingTalk relay) hears that WeChat is blocked for most accounts and that 如东交通 failed 3 nights.
    ops = [r.json["text"]["content"] for r in hook.at("/robot/send")]
    assert any("微信公众号平台大面积采集受阻（2/3）" in o for o in ops), ops
    assert any("如东交通 连续3晚未能核验" in o for o in ops), ops
    assert not any("启东文旅 连续" in o for o in ops)

    # Every message is in the outbox, with masked targets.
    lines = outbox.read(app.settings.alerts.outbox)
    assert len(lines) == counts["sent"] > 0
    assert not any("CITYKEY" in line["target"] or "OPSTOKEN" in line["target"] for line in lines)

    # Re-running the same night sends nothing twice.
    before = (len(smtp.messages), len(hook.requests))
    again = send_alerts(app, T)
    assert again.get("sent", 0) == 0 and again["already_sent"] == counts["sent"]
    assert (len(smtp.messages), len(hook.requests)) == before
    assert pending_alerts(app, T) == []


def test_reminder_tiers_and_resolution(sqlite_url, tmp_path, channels):
    smtp, hook = channels
    app = make_app(sqlite_url, tmp_path, alerts=alert_settings(smtp.url(), hook))
    ids = seed_night(app, tmp_path)
    send_alerts(app, T)
    T2 = T + timedelta(days=5)
    with app.session() as s:
        cc, tz_ = s.get(Account, ids["cc"]), s.get(Account, ids["tz"])
        # 崇川发布 posted two days later; tonight its crawl succeeded and no veto stands.
        s.add(Post(account_id=cc.id, platform_post_id="new1", published_at=T + timedelta(days=2), kind="original"))
        observe(s, cc, T2 + timedelta(minutes=5))
        observe(s, tz_, T2 + timedelta(minutes=5))
        # 通州教育 is still silent: 12.5 days since the same last post.
        s.add(Finding(account_id=tz_.id, rule="adv.update_reminder", at=T2, case_key="12d", state="auto",
                      facts={**silence(T, 7.5), "days_silent": 12.5, "tier_days": 12}))
    smtp.messages.clear()
    hook.requests.clear()

    send_alerts(app, T2)

    [recovered] = smtp.to(ZHANG)
    assert recovered.subject == "【已恢复】崇川发布：内容不更新"
    assert any(r.json["title"] == "【已恢复】崇川发布：内容不更新" for r in hook.at("/inspector/chongchuan"))
    [digest] = [r.json["message"] for r in hook.at("/inspector/chongchuan") if "每日摘要" in r.json["title"]]
    assert "二、已恢复（此前已提醒、本次已恢复）：1个" in digest and "崇川发布" in digest
    # The 12-day reminder is a new stage of the same silence: sent once; the 7-day one is not repeated.
    [twelve] = smtp.to(WANG)
    assert "已12天未更新" in twelve.subject
    # 已恢复 is sent once too.
    smtp.messages.clear()
    send_alerts(app, T2)
    assert smtp.messages == []


def test_a_reminder_that_ends_is_no_veto_resolved_and_the_digest_counts_it(sqlite_url, tmp_path, channels):
    """通州教育 got only the 7-day reminder, then posted: its manager hears 已恢复更新, never
    "内容不更新 已恢复" (no 内容不更新 was alerted); the digest's 已恢复 is the same one account."""
    smtp, hook = channels
    app = make_app(sqlite_url, tmp_path, alerts=alert_settings(smtp.url(), hook))
    ids = seed_night(app, tmp_path)
    send_alerts(app, T)
    T2 = T + timedelta(days=1)
    with app.session() as s:
        tz_ = s.get(Account, ids["tz"])
        s.add(Post(account_id=tz_.id, platform_post_id="back", published_at=T + timedelta(hours=12), kind="original"))
        observe(s, tz_, T2 + timedelta(minutes=5))
        # 崇川发布 is still silent and still vetoed: not resolved.
        s.add(Finding(account_id=ids["cc"], rule="veto.no_update_2w", at=T2, case_key="", state="auto",
                      facts=silence(T, 20)))
        observe(s, s.get(Account, ids["cc"]), T2 + timedelta(minutes=5))
    smtp.messages.clear()
    hook.requests.clear()

    send_alerts(app, T2)

    [back] = smtp.to(WANG)
    assert back.subject == "【已恢复更新】通州教育"
    assert "内容不更新" not in back.subject + back.text and "提醒解除" in back.text
    assert smtp.to(ZHANG) == []
    city = [r.json["text"]["content"] for r in hook.at("/cgi-bin/webhook/send")]
    [digest] = [c for c in city if "每日摘要" in c]
    assert "已恢复1个" in digest and "二、已恢复（此前已提醒、本次已恢复）：1个" in digest
    assert "通州教育" in digest.split("二、已恢复")[1].split("三、")[0]
    assert "崇川发布" not in digest.split("二、已恢复")[1].split("三、")[0]


def test_failed_crawl_never_counts_as_recovery(sqlite_url, tmp_path, channels):
    smtp, hook = channels
    app = make_app(sqlite_url, tmp_path, alerts=alert_settings(smtp.url(), hook))
    ids = seed_night(app, tmp_path)
    send_alerts(app, T)
    T2 = T + timedelta(days=1)
    with app.session() as s:
        observe(s, s.get(Account, ids["cc"]), T2 + timedelta(minutes=5), "blocked", "HTTP 432")
    smtp.messages.clear()
    send_alerts(app, T2)
    assert smtp.to(ZHANG) == []


def test_failing_channels_are_retried_recorded_and_never_raise(sqlite_url, tmp_path, webhook_server):
    hook = webhook_server
    dead_smtp = f"mailto://127.0.0.1:{free_port()}?from=monitor@example.gov.cn&to={{email}}"
    app = make_app(sqlite_url, tmp_path, alerts=alert_settings(dead_smtp, hook))
    seed_night(app, tmp_path)
    hook.fail_always(500)

    counts = send_alerts(app, T)  # must not raise

    assert counts["failed"] == counts["due"] > 0 and counts.get("sent", 0) == 0
    with app.session() as s:
        rows = list(s.scalars(select(Alert)))
    assert rows and all(r.status == "failed" and r.attempts == 3 and r.last_error for r in rows)
    mail_rows = [r for r in rows if r.target.startswith("管理员")]
    assert mail_rows and all("127.0.0.1" in r.last_error or "SMTP" in r.last_error.upper() for r in mail_rows), \
        [r.last_error for r in mail_rows]
    hook_rows = [r for r in rows if not r.target.startswith("管理员")]
    assert len(hook.requests) == 3 * len(hook_rows)  # every webhook message tried 1 + 2 retries
    assert all(json.loads(line)["status"] == "failed"
               for line in open(app.settings.alerts.outbox, encoding="utf-8"))

    # The receiver recovers: the next run delivers what failed, once.
    hook._failures.clear()
    hook.requests.clear()
    again = send_alerts(app, T)
    assert again["sent"] == len(hook_rows) and len(hook.requests) == len(hook_rows)


def test_a_transient_error_is_retried_within_the_run(sqlite_url, tmp_path, channels):
    smtp, hook = channels
    app = make_app(sqlite_url, tmp_path, alerts={**alert_settings(smtp.url(), hook), "inspectors": {
        "崇川区": [hook.url("json", "/inspector/chongchuan")]}, "operator": []})
    seed_night(app, tmp_path)
    hook.fail_next(1, 503)

    send_alerts(app, T)

    with app.session() as s:
        first = s.scalars(select(Alert).where(Alert.target.like("崇川区检查人员%")).order_by(Alert.id)).first()
    assert first.status == "sent" and first.attempts == 2
    assert [r.status for r in hook.requests[:2]] == [503, 200]


def test_without_channels_everything_goes_to_the_outbox(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path)
    seed_night(app, tmp_path)
    counts = send_alerts(app, T)
    lines = outbox.read(app.settings.alerts.outbox)
    assert counts["outbox"] == len(lines) > 0 and counts.get("sent", 0) == 0
    stages = {line["stage"] for line in lines}
    assert {"veto", "reminder7", "digest", "blocked", "unverifiable"} <= stages
    assert any(ZHANG in line["target"] and line["stage"] == "veto" for line in lines)
    assert send_alerts(app, T).get("outbox", 0) == 0
