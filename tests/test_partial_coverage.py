"""Partial coverage as a first-class result: only what successful observations saw is
judged, the 服务号 average waits for the whole period, and the score card says how much of
the check period was observed ("监测覆盖 13/28 天")."""
from __future__ import annotations

from datetime import timedelta

from monitor.detectors import run_detection
from monitor.detectors.coverage import account_status, period_coverage
from monitor.detectors.context import check_period
from monitor.rules import load_ruleset
from monitor.scoring import score_json
from monitor.timeutil import complete_weeks_before
from tests.fixtures.core import T
from tests.test_detect_updates import WEEKS, rules_of


def test_coverage_counts_whole_days_and_weeks_of_the_check_period(app, history):
    params = load_ruleset(app.settings).params
    weeks = complete_weeks_before(T, params.check_period_weeks, app.tz)
    assert check_period(T, params, app.tz) == (WEEKS[0], WEEKS[0] + timedelta(weeks=4))
    partial = history.account(observe=False)
    history.observe(partial, covered_from=WEEKS[2] + timedelta(days=1, hours=6))  # Tue 11-10 06:00
    full = history.account()
    failed = history.account(observe=False)
    history.observe(failed, outcome="blocked", reason="HTTP 432")
    cov = {aid: period_coverage(account_status(app, aid, T), weeks) for aid in (partial, full, failed)}
    # 11-11 … 11-22 are whole days seen; 11-10 only from 06:00.
    assert (cov[partial].days, cov[partial].total_days, cov[partial].weeks_judged) == (12, 28, 1)
    assert cov[partial].text == "监测覆盖 12/28 天" and not cov[partial].complete
    assert cov[partial].observed_from == WEEKS[2] + timedelta(days=1, hours=6)
    assert (cov[full].days, cov[full].weeks_judged, cov[full].complete) == (28, 4, True)
    assert (cov[failed].days, cov[failed].weeks_judged, cov[failed].observed_from) == (0, 0, None)

    history.post(partial, T - timedelta(days=1))
    run_detection(app, T)
    cards = {c["account_id"]: c for c in score_json(app, T)}
    assert cards[partial]["coverage"] == {"days": 12, "total_days": 28, "weeks_judged": 1, "total_weeks": 4,
                                          "text": "监测覆盖 12/28 天"}
    assert cards[full]["coverage"]["text"] == "监测覆盖 28/28 天"
    # Only the one covered week (11-16, no post) is a case; the three unseen weeks are not.
    assert rules_of(app, partial, "ded") == [("ded.untimely_update", "2026-11-16")]


def test_service_account_average_waits_for_the_whole_period(app, history):
    seen_late = history.account(platform="wechat", wechat_kind="服务号", name="南通税务",
                                host_unit="国家税务总局南通市税务局", observe=False)
    history.observe(seen_late, covered_from=WEEKS[3])
    # Four sends in the first week: a fine month, though the one week seen is empty.
    for i in range(4):
        history.post(seen_late, WEEKS[0] + timedelta(days=1, hours=i))
    seen_all = history.account(platform="wechat", wechat_kind="服务号", name="海安健康",
                               host_unit="海安市卫生健康委员会")
    history.post(seen_all, WEEKS[0] + timedelta(days=1))
    run_detection(app, T)
    assert rules_of(app, seen_late, "ded.untimely") == []
    assert rules_of(app, seen_all, "ded.untimely") == [("ded.untimely_update", "period")]


def test_page_one_decides_the_veto_and_nights_accumulate(app, history):
    """Page 1 of each night reaches back 10 days; five nights join up into 14 days and more."""
    active = history.account(observe=False)
    silent = history.account(observe=False)
    for night in range(5):
        at = T - timedelta(days=night, hours=1)
        history.observe(active, observed_at=at, covered_from=at - timedelta(days=10))
        history.observe(silent, observed_at=at, covered_from=at - timedelta(days=25))  # page 1: old posts only
    for d in range(0, 15, 1):
        history.post(active, T - timedelta(days=d, hours=5))
    history.post(silent, T - timedelta(days=20))
    run_detection(app, T)
    assert rules_of(app, active) == []
    assert ("veto.no_update_2w", "") in rules_of(app, silent)
    weeks = complete_weeks_before(T, 4, app.tz)
    # [T−14 d 01:00, T] joined from five nights: 11-11 … 11-22 seen whole.
    assert period_coverage(account_status(app, active, T), weeks).days == 11


def test_report_states_coverage_and_measures_silence_only_where_observed(app, history, tmp_path):
    from monitor.reports import write_report

    aid = history.account(name="海安发布", host_unit="海安市人民政府新闻办公室", observe=False)
    history.observe(aid, covered_from=WEEKS[2] + timedelta(days=1, hours=6))
    for d in range(0, 15):  # daily posts over the observed stretch only
        history.post(aid, T - timedelta(days=d, hours=4))
    run_detection(app, T)
    score_json(app, T)
    html = write_report(app, T, tmp_path / "rep")["html"].read_text(encoding="utf-8")
    section = html.split('id="acc-%d"' % aid, 1)[1].split("</section>", 1)[0]
    assert "监测覆盖 12/28 天" in section
    # Before 11-10 nothing was observed: that is not a 2-week silence.
    assert "最长连续未更新 1 天" in section
