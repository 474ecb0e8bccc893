"""Annex 2 scoring: caps, the veto override, pending suspected findings, advisory rules,
未能核验, and the JSON shape DESIGN.md fixes."""
from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from monitor.config import Settings
from monitor.detectors import run_detection
from monitor.detectors.coverage import AccountStatus
from monitor.rules import load_ruleset
from monitor.scoring import aggregates, score_all, score_findings, score_json
from tests.fixtures.core import T

RULES = load_ruleset(Settings())
OK = AccountStatus(True)


def f(rule, state="auto", i=[0]):
    i[0] += 1
    return SimpleNamespace(id=i[0], rule=rule, state=state)


CARD_CASES = [
    # (id, findings, verdict, score, deductions)
    ("clean", [], "合格", 100, {}),
    ("3 empty weeks cap at 10, not 15", [f("ded.untimely_update")] * 3, "合格", 90,
     {"ded.untimely_update": 10}),
    ("1 empty week is 5", [f("ded.untimely_update")], "合格", 95, {"ded.untimely_update": 5}),
    ("broken functions capped", [f("ded.broken_function")] * 4, "合格", 90, {"ded.broken_function": 10}),
    ("two 10-point ads are still 10", [f("ded.commercial_ads", "confirmed")] * 2, "合格", 90,
     {"ded.commercial_ads": 10}),
    ("five items: 50 → 不合格",
     [f(r, "confirmed") for r in ("ded.irregular_opening", "ded.irregular_name", "ded.irregular_verification",
                                  "ded.improper_content", "ded.excess_data")], "不合格", 50, None),
    ("exactly 60 passes",
     [f(r, "confirmed") for r in ("ded.irregular_opening", "ded.irregular_name", "ded.improper_content",
                                  "ded.excess_data")], "合格", 60, None),
    ("suspected does not count yet", [f("ded.commercial_ads", "suspected")], "合格", 100, {}),
    ("dismissed never counts", [f("ded.untimely_update", "dismissed")], "合格", 100, {}),
    ("advisory never counts", [f("adv.no_original_2w"), f("adv.long_dormant")], "合格", 100, {}),
]


@pytest.mark.parametrize("case", CARD_CASES, ids=[c[0] for c in CARD_CASES])
def test_annex2_arithmetic(case):
    _, findings, verdict, score, deductions = case
    card = score_findings(findings, OK, RULES)
    assert (card.verdict, card.score) == (verdict, score)
    if deductions is not None:
        assert card.deductions == deductions


def test_veto_overrides_points():
    card = score_findings([f("veto.no_update_2w"), f("ded.untimely_update"), f("ded.untimely_update")], OK, RULES)
    assert card.verdict == "不合格" and card.score is None
    assert card.vetoes == ["veto.no_update_2w"] and card.deductions == {}


def test_suspected_veto_is_pending_until_confirmed():
    pending = score_findings([f("veto.no_interaction", "suspected")], OK, RULES)
    assert (pending.verdict, pending.score, pending.pending) == ("合格", 100, ["veto.no_interaction"])
    confirmed = score_findings([f("veto.no_interaction", "confirmed")], OK, RULES)
    assert (confirmed.verdict, confirmed.score, confirmed.vetoes) == ("不合格", None, ["veto.no_interaction"])


def test_unverifiable_has_no_score_unless_a_person_confirmed_a_veto():
    blocked = AccountStatus(False, "最近一次抓取失败：blocked")
    card = score_findings([], blocked, RULES)
    assert (card.verdict, card.score, card.reason) == ("未能核验", None, "最近一次抓取失败：blocked")
    manual = score_findings([f("veto.security", "confirmed")], blocked, RULES)
    assert (manual.verdict, manual.vetoes) == ("不合格", ["veto.security"])


def test_score_cards_from_stored_history(app, history):
    silent = history.account(name="南通发布")
    history.post(silent, T - timedelta(days=30))
    lazy = history.account(name="南通交通", host_unit="南通市交通运输局")
    history.post(lazy, T - timedelta(days=2))  # weeks 10-26, 11-02, 11-09, 11-16 all empty
    busy = history.account(name="南通教育", host_unit="南通市教育局")
    history.daily_posts(busy)
    blocked = history.account(name="南通卫健", host_unit="南通市卫生健康委员会", observe=False)
    history.observe(blocked, outcome="blocked", reason="HTTP 432 visitor wall")
    run_detection(app, T)
    cards = {c["account_name"]: c for c in score_json(app, T)}
    assert cards["南通发布"]["verdict"] == "不合格" and cards["南通发布"]["score"] is None
    assert cards["南通发布"]["vetoes"] == ["veto.no_update_2w"]
    assert (cards["南通交通"]["verdict"], cards["南通交通"]["score"]) == ("合格", 90)
    assert cards["南通交通"]["deductions"] == {"ded.untimely_update": 10}
    assert (cards["南通教育"]["verdict"], cards["南通教育"]["score"]) == ("合格", 100)
    assert cards["南通卫健"]["verdict"] == "未能核验" and cards["南通卫健"]["score"] is None
    assert "blocked" in cards["南通卫健"]["reason"]


def test_score_json_shape(app, history):
    aid = history.account(name="南通发布", platform_id="2803301701")
    history.daily_posts(aid)
    run_detection(app, T)
    [card] = score_json(app, T)
    required = {"account_name": str, "platform": str, "platform_id": str, "verdict": str,
                "score": int, "vetoes": list, "deductions": dict, "pending": list}
    for key, typ in required.items():
        assert isinstance(card[key], typ), key
    assert card["platform_id"] == "2803301701" and card["verdict"] in ("合格", "不合格", "未能核验")
    assert datetime.fromisoformat(card["at"]) == T


def test_score_cards_upserted_not_duplicated(db_url, tmp_path, history_factory):
    from sqlalchemy import func, select

    from storage.models import ScoreCard
    from tests.fixtures.core import make_app

    app = make_app(db_url, tmp_path)
    h = history_factory(app)
    for i in range(3):
        h.account(name=f"南通{i}")
    run_detection(app, T)
    first = score_all(app, T)
    second = score_all(app, T)
    assert [c.id for c in first] == [c.id for c in second]
    with app.session() as s:
        assert s.scalar(select(func.count()).select_from(ScoreCard)) == 3


def test_aggregates_per_host_unit_and_district(app, history):
    a = history.account(name="崇川发布", host_unit="南通市崇川区人民政府", district="崇川区")
    history.daily_posts(a)
    b = history.account(name="崇川教育", host_unit="南通市崇川区教育体育局", district="崇川区")
    c = history.account(name="海门发布", host_unit="南通市海门区人民政府", district="海门区", observe=False)
    history.observe(c, outcome="error", reason="timeout")
    run_detection(app, T)
    score_all(app, T)
    agg = aggregates(app, T)
    districts = {r["district"]: r for r in agg["by_district"]}
    assert districts["崇川区"]["accounts"] == 2 and districts["崇川区"]["checked"] == 2
    assert districts["崇川区"]["合格"] == 1 and districts["崇川区"]["vetoes"] == 1
    assert districts["崇川区"]["合格率"] == 0.5
    assert districts["海门区"]["checked"] == 0 and districts["海门区"]["合格率"] is None
    assert agg["total"]["accounts"] == 3 and agg["total"]["未能核验"] == 1
    hosts = {r["host_unit"]: r for r in agg["by_host_unit"]}
    assert hosts["南通市崇川区教育体育局"]["不合格"] == 1
