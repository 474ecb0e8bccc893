"""关于公众号 (``/mp/aboutbiz``) as WeChat answers in 2025–2026: only WeChat clients get the
page. Without client credentials the crawl gets the 参数错误 error page, which is unknown —
never "not verified", never ded.irregular_verification; the registry's 认证信息 then speaks,
and the finding says so. With credentials the page is read, and the credentials appear
nowhere: not in the WARC records, not in the crawl log, not in ``monitor config show``."""
from __future__ import annotations

import gzip
import json
from datetime import timedelta

from sqlalchemy import select

from monitor.config import masked_dump
from monitor.crawl import run_crawl
from monitor.detectors import run_detection
from monitor.sandbox import Scenario
from monitor.sandbox.registry import feed_url
from storage.models import Account, Finding, Observation
from tests.fixtures.core import T, make_app

CRAWL = {"delay": 0, "autothrottle": False, "retries": 1}
KEY = "x-key-0123456789abcdef-SECRET"
POSTS = [{"every_days": 2, "from_days": 0.5, "to_days": 40, "kind": "original"}]
# biz, name, host unit, scenario extras, registry 认证信息
ACCOUNTS = [
    ("MzA5NDAwMDAwMQ==", "认证相符号", "南通市甲局", {"subject": "南通市甲局"}, None),
    ("MzA5NDAwMDAwMg==", "认证不符号", "南通市乙局", {"subject": "南通某某文化传媒有限公司"}, None),
    ("MzA5NDAwMDAwMw==", "未认证号", "南通市丙局", {"verified": False, "subject": "南通市丙局"}, None),
    ("MzA5NDAwMDAwNA==", "登记相符号", "南通市丁局", {"subject": "南通市丁局"}, "南通市丁局"),
    ("MzA5NDAwMDAwNQ==", "登记不符号", "南通市戊局", {"subject": "南通市戊局"}, "南通某某广告有限公司"),
]


def make(srv, db_url, tmp_path, credentials: bool):
    overrides = srv.config_overrides()
    if credentials:
        overrides["platforms"]["wechat"]["client_key"] = KEY
    else:
        for k in ("client_uin", "client_key"):
            overrides["platforms"]["wechat"].pop(k)
    app = make_app(db_url, tmp_path, **overrides, crawl=CRAWL)
    with app.session() as s:
        for biz, name, unit, _, registered in ACCOUNTS:
            s.add(Account(name=name, platform="wechat", wechat_kind="订阅号", host_unit=unit, platform_id=biz,
                          feed_url=feed_url(srv.url, biz), registered_verification=registered,
                          opened_on=(T - timedelta(days=900)).date()))
    return app


def crawl_and_detect(app):
    result = run_crawl(app, T, ["wechat"])
    assert result.ok, result.log_path.read_text(encoding="utf-8")[-4000:]
    run_detection(app, T)
    with app.session() as s:
        accounts = {a.name: a for a in s.scalars(select(Account))}
        findings = {accounts_name: [] for accounts_name in accounts}
        by_id = {a.id: a.name for a in accounts.values()}
        for f in s.scalars(select(Finding).where(Finding.rule == "ded.irregular_verification")):
            findings[by_id[f.account_id]].append(f.facts)
        notes = {by_id[o.account_id]: o.details.get("aboutbiz") for o in s.scalars(select(Observation))}
        s.expunge_all()
    return result, accounts, findings, notes


def scenario():
    return Scenario([{"platform": "wechat", "id": biz, "name": name, **extra, "posts": POSTS}
                     for biz, name, _, extra, _ in ACCOUNTS], at=T)


def test_without_client_credentials_the_error_page_is_unknown_and_the_registry_speaks(sandbox_factory, db_url,
                                                                                     tmp_path):
    srv = sandbox_factory(scenario())
    app = make(srv, db_url, tmp_path, credentials=False)
    _, accounts, findings, notes = crawl_and_detect(app)
    assert set(notes.values()) == {"aboutbiz: error page (参数错误)"}
    for name in ("认证相符号", "认证不符号", "未认证号"):
        # The page was not there: nothing about verification is known or accused.
        assert "认证主体" not in accounts[name].profile_facts
        assert accounts[name].observed_verified is None
        assert findings[name] == []
    assert findings["登记相符号"] == []
    [facts] = findings["登记不符号"]
    assert facts["认证主体"] == "南通某某广告有限公司"
    assert facts["认证信息来源"] == "登记表「认证信息」（人工登记）"
    assert facts["problem"] == "认证信息未标明主办单位名称"


def test_with_client_credentials_the_page_is_read_and_the_key_is_kept_secret(sandbox_factory, db_url, tmp_path):
    srv = sandbox_factory(scenario())
    app = make(srv, db_url, tmp_path, credentials=True)
    result, accounts, findings, notes = crawl_and_detect(app)
    assert accounts["认证相符号"].profile_facts["认证主体"] == "南通市甲局" and findings["认证相符号"] == []
    [wrong] = findings["认证不符号"]
    assert wrong["认证主体"] == "南通某某文化传媒有限公司" and wrong["认证信息来源"] == "关于公众号页面（抓取）"
    # A page that is there and shows no 认证主体 (账号主体 only): not verified.
    assert accounts["未认证号"].profile_facts["认证主体"] == ""
    assert [f["problem"] for f in findings["未认证号"]] == ["未认证"]
    # The page beats the registry when both are there.
    assert findings["登记不符号"] == []

    warc = b"".join(gzip.open(p).read() for p in (tmp_path / "warc").rglob("*.warc.gz"))
    assert b"/mp/aboutbiz" in warc and b"x-wechat-key: redacted" in warc.lower()
    assert KEY.encode() not in warc
    assert KEY not in result.log_path.read_text(encoding="utf-8")
    assert KEY not in json.dumps(masked_dump(app.settings), ensure_ascii=False)
