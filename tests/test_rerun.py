"""Re-running detect / score for a T after a night whose findings were packaged and alerted:
a re-crawl that fails, or that no longer sees the case, must not crash on the evidence
packages and alerts that point at the night's findings (issue 26 item 7)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from monitor.alerts import send_alerts
from monitor.detectors import run_detection
from monitor.scoring import score_all
from storage.models import Alert, EvidencePackage, Finding
from tests.fixtures.core import T, make_app


def _vetoed_night(app, history):
    """崇川公安 silent for 20 days: the night finds the veto, packages it and alerts it."""
    aid = history.account("崇川公安", manager_email="zhang@chongchuan.gov.cn", district="崇川区")
    history.post(aid, T - timedelta(days=20))
    run_detection(app, T)
    with app.session() as s:
        veto = s.scalars(select(Finding).where(Finding.account_id == aid, Finding.rule == "veto.no_update_2w")).one()
        s.add(EvidencePackage(id="ab" * 32, finding_id=veto.id, path=str(app.settings.evidence_dir) + "/ab"))
        veto.evidence_id = "ab" * 32
    send_alerts(app, T)
    with app.session() as s:
        assert s.scalars(select(Alert.finding_id).where(Alert.stage == "veto")).all(), "the veto was alerted"
    return aid


def test_rerun_after_failed_recrawl_keeps_packages_and_alerts(db_url, tmp_path, history_factory):
    app = make_app(db_url, tmp_path)
    history = history_factory(app)
    aid = _vetoed_night(app, history)
    # The second run's crawl of the same night fails (418, captcha, 500…).
    history.observe(aid, outcome="blocked", observed_at=T - timedelta(minutes=10), reason="HTTP 418")

    counts = run_detection(app, T)

    assert counts["unverifiable"] == 1 and counts["removed"] >= 1
    cards = {c.account.name: c for c in score_all(app, T)}
    assert cards["崇川公安"].verdict == "未能核验"
    with app.session() as s:
        package = s.get(EvidencePackage, "ab" * 32)
        alerts = s.scalars(select(Alert).where(Alert.account_id == aid, Alert.stage == "veto")).all()
        assert package is not None and package.finding_id is None
        assert alerts and all(a.finding_id is None for a in alerts)
        assert "崇川公安" in alerts[0].body  # the alert still says what was sent, and about whom
    # And the stage runs again cleanly.
    assert run_detection(app, T)["removed"] == 0


def test_rerun_that_finds_the_case_again_links_a_fresh_finding(db_url, tmp_path, history_factory):
    app = make_app(db_url, tmp_path)
    history = history_factory(app)
    aid = _vetoed_night(app, history)
    history.observe(aid, outcome="blocked", observed_at=T - timedelta(minutes=10), reason="HTTP 418")
    run_detection(app, T)
    history.observe(aid, observed_at=T - timedelta(minutes=5), covered_from=T - timedelta(days=60))

    run_detection(app, T)

    cards = {c.account.name: c for c in score_all(app, T)}
    assert cards["崇川公安"].verdict == "不合格" and cards["崇川公安"].vetoes == ["veto.no_update_2w"]
    # The same episode: no second veto alert to the same people.
    before = _alert_count(app)
    send_alerts(app, T)
    assert _alert_count(app) == before


def _alert_count(app) -> int:
    with app.session() as s:
        return len(s.scalars(select(Alert.id).where(Alert.stage == "veto")).all())
