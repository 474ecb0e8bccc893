"""App availability, verification, naming, ads and interaction detectors."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from monitor.config import Settings
from monitor.detectors import run_detection
from monitor.detectors.commercial_ads import ad_signals_in
from monitor.detectors.naming import internal_unit_hits, shares_term
from monitor.detectors.textnorm import names_unit
from monitor.rules import load_ruleset
from storage.models import Finding
from tests.fixtures.core import T

LEX = load_ruleset(Settings()).lexicon
H = timedelta(hours=1)


def found(app, account_id):
    with app.session() as s:
        return sorted((f.rule, f.case_key, f.state) for f in s.scalars(
            select(Finding).where(Finding.account_id == account_id, Finding.at == T)))


D = timedelta(days=1)
REASON = {"fail": "not_found", "not_listed": "not_in_store", "ok": None, "unknown": "rate_limited"}
APP_CASES = [
    # (id, [(channel, outcome, reason or None for the usual one, time before T)], expected findings)
    ("all fail on two nights 24 h apart → veto", [("download", "fail", None, D), ("yyb", "not_listed", None, D),
                                                   ("download", "fail", None, 0 * D), ("yyb", "not_listed", None, 0 * D)],
     [("veto.app_unavailable", "", "auto")]),
    ("one failed check is not confirmed", [("download", "fail", None, 0 * D)], []),
    ("two failures 2 h apart are one outage window, not confirmed",
     [("download", "fail", None, 2 * H), ("download", "fail", None, 0 * H)], []),
    ("unknown is neither pass nor fail", [("download", "fail", None, 2 * D), ("download", "unknown", None, D),
                                          ("download", "unknown", None, 0 * D)], []),
    ("failure before a recovery does not count", [("download", "fail", None, 3 * D), ("download", "ok", None, 2 * D),
                                                  ("download", "fail", None, 0 * D)], []),
    ("download fails while store works → broken function",
     [("download", "fail", None, D), ("apple", "ok", None, D), ("download", "fail", None, 0 * D), ("apple", "ok", None, 0 * D)],
     [("ded.broken_function", "channel:download", "auto")]),
    ("download fails while the store could not be read → no veto (未能核验)",
     [("download", "fail", None, D), ("apple", "unknown", "captcha", D),
      ("download", "fail", None, 0 * D), ("apple", "unknown", "store_unexpected", 0 * D)], []),
    ("a store without adapter does not hold the veto back",
     [("download", "fail", None, D), ("oppo", "unknown", "no_adapter", D),
      ("download", "fail", None, 0 * D), ("oppo", "unknown", "no_adapter", 0 * D)], [("veto.app_unavailable", "", "auto")]),
    ("a renamed store answer with a working download costs nothing",
     [("download", "ok", None, 0 * D), ("apple", "unknown", "store_unexpected", 0 * D)], []),
    ("all ok", [("download", "ok", None, 0 * D), ("apple", "ok", None, 0 * D)], []),
]


@pytest.mark.parametrize("case", APP_CASES, ids=[c[0] for c in APP_CASES])
def test_app_availability(app, history, case):
    _, checks, expected = case
    aid = history.account(name="南通百通", platform="app", host_unit="南通市大数据管理局")
    for channel, outcome, reason, before in checks:
        history.app_check(aid, channel, outcome, T - before, reason=reason or REASON[outcome])
    run_detection(app, T)
    assert found(app, aid) == expected


def test_app_with_only_unknown_checks_is_unverifiable(app, history):
    aid = history.account(name="南通百通", platform="app", host_unit="南通市大数据管理局")
    history.app_check(aid, "download", "unknown", T - H)
    counts = run_detection(app, T)
    assert counts["unverifiable"] == 1 and found(app, aid) == []


def _night_of_others(history, nights, outcome="ok", reason=None, n=4):
    """``n`` other app accounts fetched on each night (how healthy our network was)."""
    for i in range(n):
        other = history.account(name=f"其他应用{i}", platform="app", host_unit="某单位")
        for night in nights:
            history.app_check(other, "download", outcome, night, reason=reason)


@pytest.mark.parametrize("reason", ["http_5xx", "timeout", "connection_refused"])
def test_host_down_counts_on_healthy_nights_24h_apart(app, history, reason):
    nights = [T - D, T]
    aid = history.account(name="南通百通", platform="app", host_unit="南通市大数据管理局")
    for night in nights:
        history.app_check(aid, "download", "unknown", night, reason=reason)
    _night_of_others(history, nights)
    run_detection(app, T)
    assert found(app, aid) == [("veto.app_unavailable", "", "auto")]


def test_host_down_on_our_outage_nights_is_never_evidence(app, history):
    nights = [T - D, T]
    aid = history.account(name="南通百通", platform="app", host_unit="南通市大数据管理局")
    for night in nights:
        history.app_check(aid, "download", "unknown", night, reason="http_5xx")
    _night_of_others(history, nights, "unknown", "timeout", n=3)  # most of the night failed: our outage
    _night_of_others(history, nights, n=1)
    counts = run_detection(app, T)
    assert found(app, aid) == [] and counts["unverifiable"] >= 1


def test_host_down_within_one_outage_window_is_not_confirmed(app, history):
    nights = [T - 2 * H, T]
    aid = history.account(name="南通百通", platform="app", host_unit="南通市大数据管理局")
    for night in nights:
        history.app_check(aid, "download", "unknown", night, reason="timeout")
    _night_of_others(history, nights)
    run_detection(app, T)
    assert found(app, aid) == []


@pytest.mark.parametrize("reason", ["rate_limited", "captcha", "short_body", "http_4xx", "store_unexpected"])
def test_we_were_turned_away_never_counts_even_on_healthy_nights(app, history, reason):
    nights = [T - 2 * D, T - D, T]
    aid = history.account(name="南通百通", platform="app", host_unit="南通市大数据管理局")
    for night in nights:
        history.app_check(aid, "download", "unknown", night, reason=reason)
    _night_of_others(history, nights)
    counts = run_detection(app, T)
    assert found(app, aid) == [] and counts["unverifiable"] == 1


def test_host_down_download_beside_a_working_store_needs_confirmations(app, history):
    aid = history.account(name="南通百通", platform="app", host_unit="南通市大数据管理局")
    history.app_check(aid, "download", "unknown", T, reason="http_5xx")
    history.app_check(aid, "apple", "ok", T)
    _night_of_others(history, [T - D, T])
    run_detection(app, T)
    assert found(app, aid) == []  # one night down: re-checked before it costs points
    history.app_check(aid, "download", "unknown", T - D, reason="http_5xx")
    history.app_check(aid, "apple", "ok", T - D)
    run_detection(app, T)
    assert found(app, aid) == [("ded.broken_function", "channel:download", "auto")]


def test_app_confirmation_parameters_from_config(tmp_path, sqlite_url, history_factory):
    from tests.fixtures.core import make_app

    app = make_app(sqlite_url, tmp_path, rules={"app_confirm_checks": 3, "app_confirm_interval": "30m"})
    h = history_factory(app)
    aid = h.account(name="南通百通", platform="app", host_unit="南通市大数据管理局")
    for hours in (3, 2):
        h.app_check(aid, "download", "fail", T - hours * H)
    run_detection(app, T)
    assert found(app, aid) == []
    h.app_check(aid, "download", "fail", T - H)
    run_detection(app, T)
    assert found(app, aid) == [("veto.app_unavailable", "", "auto")]


@pytest.mark.parametrize("text,host,ok", [
    ("南通市人民政府办公室官方微博", "南通市人民政府办公室", True),
    ("南通市政府办官方微博", "南通市人民政府办公室", True),
    ("南通市人民政府办公室", "南通市政府办", True),
    ("南通市 公安局", "南通市公安局", True),
    ("ＮＴ南通市公安局官方账号", "南通市公安局", True),
    ("南通市公安局交通警察支队", "南通市交通运输局", False),
    ("知名美食博主", "南通市文化广电和旅游局", False),
])
def test_verification_names_host_unit(text, host, ok):
    assert names_unit(text, host, LEX) is ok


def test_verification_detector(app, history):
    wrong = history.account(name="南通交通", host_unit="南通市交通运输局", observed_verified=True,
                            observed_verified_reason="南通市公安局交通警察支队官方微博")
    right = history.account(name="南通发布", host_unit="南通市人民政府新闻办公室", observed_verified=True,
                            observed_verified_reason="南通市人民政府新闻办公室官方微博")
    unverified = history.account(name="南通文旅", host_unit="南通市文化广电和旅游局", observed_verified=False)
    unknown = history.account(name="南通体育", host_unit="南通市体育局")
    wx = history.account(name="南通税务", platform="wechat", wechat_kind="订阅号",
                         host_unit="国家税务总局南通市税务局", profile_facts={"认证主体": "国家税务总局南通市税务局"})
    wx_bad = history.account(name="南通住建", platform="wechat", wechat_kind="订阅号",
                             host_unit="南通市住房和城乡建设局", profile_facts={"认证主体": "南通某某传媒有限公司"})
    for aid in (wrong, right, unverified, unknown, wx, wx_bad):
        history.daily_posts(aid)
    run_detection(app, T)
    rule = "ded.irregular_verification"
    assert [r for r in found(app, wrong) if r[0] == rule] == [(rule, "", "auto")]
    assert [r for r in found(app, unverified) if r[0] == rule] == [(rule, "", "auto")]
    assert [r for r in found(app, wx_bad) if r[0] == rule] == [(rule, "", "auto")]
    for aid in (right, unknown, wx):
        assert [r for r in found(app, aid) if r[0] == rule] == []


@pytest.mark.parametrize("title,text,signals,is_ad", [
    (None, "【广告】春季新品上市", [], True),
    (None, "#推广# 本店特惠", [], True),
    (None, "赞助：某某饮料\n感谢支持", [], True),
    (None, "好物推荐 https://item.taobao.com/item.htm?id=1", [], True),
    (None, "京东自营 https://u.jd.com/AbCd 抢购", [], True),
    (None, "今日秒杀，领券立减", [], True),
    (None, "小程序商城卡片", ["miniprogram_shop"], True),
    (None, "市政府召开常务会议，推广新能源汽车应用", [], False),   # 推广 as a verb, not a label
    ("南通发放第二批消费券", "领券入口：云闪付APP，限时抢购 下单立减", [], False),
    ("家电以旧换新补贴来了", "在京东 https://u.jd.com/xyz 下单可享国家补贴", [], False),
    (None, "网上办事大厅可在线下单办理营业执照", [], False),       # one cue alone
    ("消费券", "【广告】某品牌", [], True),                          # an explicit label still counts
])
def test_ad_signals_and_government_whitelist(title, text, signals, is_ad):
    assert bool(ad_signals_in(title, text, None, signals, LEX)) is is_ad


def test_commercial_ads_detector_is_suspected_per_post(app, history):
    aid = history.account(name="南通商务", host_unit="南通市商务局")
    history.daily_posts(aid)
    history.post(aid, T - timedelta(days=2), text="【广告】爆款 https://item.taobao.com/1", ppid="ad1")
    history.post(aid, T - timedelta(days=3), text="南通发放消费券，领券下单立减", ppid="gov1")
    history.post(aid, T - timedelta(days=60), text="【广告】太早了，不在检查期", ppid="old")
    history.post(aid, T - timedelta(days=4), title="【广告】双十二好物推荐", ppid="ad2",
                 text="【广告】双十二好物推荐，点击领券下单 网页链接")
    run_detection(app, T)
    assert [r for r in found(app, aid) if r[0] == "ded.commercial_ads"] == [
        ("ded.commercial_ads", "post:ad1", "suspected"), ("ded.commercial_ads", "post:ad2", "suspected")]
    with app.session() as s:
        f = s.scalars(select(Finding).where(Finding.case_key == "post:ad2")).one()
    # The title is the text's opening: quoted once, not "【广告】双十二… 【广告】双十二…".
    assert f.facts["excerpt"] == "【广告】双十二好物推荐，点击领券下单 网页链接"
    assert f.facts["signals"]["label"] == ["【广告】"]


@pytest.mark.parametrize("name,hit", [
    ("南通市公安局宣传处", True),
    ("南通市教育局办公室", True),
    ("南通市卫健委疾控科", True),
    ("南通市创文指挥部", True),
    ("南通发改规划科", True),          # abbreviated agency name, internal-unit ending
    ("海门税务一股", True),
    ("南通科技", False),               # 科 inside a word, not an ending
    ("南通市疫情防控工作专班", True),
    ("南通市人民政府办公室", False),
    ("中共南通市委办公室", False),
    ("南通发布", False),
    ("平安南通", False),
])
def test_internal_unit_names(name, hit):
    assert bool(internal_unit_hits(name, LEX)) is hit


@pytest.mark.parametrize("name,host,shares", [
    ("南通发布", "中共南通市委宣传部", True),
    ("平安南通", "南通市公安局", True),
    ("南通公安", "南通市公安局", True),
    ("小美说事", "南通市崇川区人民政府", False),
    ("快乐星球", "南通市教育局", False),
    ("NT", "南通市教育局", None),
])
def test_name_shares_a_term_with_host_unit(name, host, shares):
    assert shares_term(name, host, LEX) is shares


def test_naming_and_interaction_detectors(app, history):
    unit = history.account(name="南通市公安局宣传处", host_unit="南通市公安局")
    cute = history.account(name="小美说事", host_unit="南通市崇川区人民政府")
    closed = history.account(name="南通发布", interaction_closed=True)
    for aid in (unit, cute, closed):
        history.daily_posts(aid)
    run_detection(app, T)
    assert found(app, unit) == [("ded.irregular_opening", "", "suspected")]
    assert found(app, cute) == [("ded.irregular_name", "", "suspected")]
    assert found(app, closed) == [("veto.no_interaction", "", "suspected")]
