"""Cell-level rules of the registry: what a filled-in sheet may contain."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from monitor.registry import UrlBases, validate_table
from monitor.registry.cells import CellError, parse_bool, parse_date, parse_email, parse_stores, parse_url
from monitor.registry.reader import RawTable


@pytest.mark.parametrize("cell", ["2024-03-01", "2024/3/1", "2024年3月1日", "2024.03.01",
                                  datetime(2024, 3, 1), date(2024, 3, 1), "2024-03-01 00:00:00"])
def test_date_forms(cell):
    assert parse_date(cell) == date(2024, 3, 1)


@pytest.mark.parametrize("cell", ["2024-02-30", "03/01/2024", "去年", "45352"])
def test_bad_dates_are_named(cell):
    with pytest.raises(CellError, match="not a date"):
        parse_date(cell)


def test_verified_yes_no():
    assert (parse_bool("是"), parse_bool("否"), parse_bool(None)) == (True, False, None)
    with pytest.raises(CellError, match="是 or 否"):
        parse_bool("也许")


def test_store_cell():
    assert parse_stores("apple:1660000005; yyb:cn.gov.x; huawei:C10012345; vivo:123; xiaomi:cn.gov.x") == {
        "apple": "1660000005", "yyb": "cn.gov.x", "huawei": "C10012345", "vivo": "123", "xiaomi": "cn.gov.x"}
    for bad, reason in [("appstore:1", "unknown store"), ("apple:abc", "App Store number"),
                        ("apple:1; apple:2", "twice"), ("yyb:", "store:id")]:
        with pytest.raises(CellError, match=reason):
            parse_stores(bad)


def test_urls_and_emails():
    assert parse_url(" https://m.weibo.cn/u/1 ") == "https://m.weibo.cn/u/1"
    for bad in ("javascript:alert(1)", "m.weibo.cn/u/1", "http://"):
        with pytest.raises(CellError):
            parse_url(bad)
    assert parse_email("a.b@example.gov.cn") == "a.b@example.gov.cn"
    with pytest.raises(CellError):
        parse_email("a@b")


def _table(headers, *rows):
    return RawTable(headers, 1, [(i + 2, list(r)) for i, r in enumerate(rows)])


def test_wechat_kind_from_type_column_and_conflicts():
    parsed = validate_table(_table(
        ["名称", "平台", "主办单位", "账号ID", "类型"],
        ["甲", "微信公众号", "某局", "gh_1", "服务号"],
        ["乙", "微信订阅号", "某局", "gh_2", "服务号"],
        ["丙", "微信公众号", "某局", "gh_3", ""],
    ))
    assert [(r.values["platform"], r.values["wechat_kind"]) for r in parsed.records] == [("wechat", "服务号")]
    assert [str(p) for p in parsed.invalid] == [
        "row 3: 类型: 服务号 conflicts with 平台 '微信订阅号'",
        "row 4: 平台: '微信公众号' does not say which WeChat kind: use 微信服务号 / 微信订阅号 / 微信小程序 or fill 类型",
    ]


def test_missing_id_is_recovered_from_the_link_and_bases_come_from_config():
    parsed = validate_table(_table(
        ["名称", "平台", "主办单位", "账号ID", "访问链接"],
        ["甲", "新浪微博", "某局", "", "https://m.weibo.cn/u/1234567"],
        ["乙", "微信订阅号", "某局", "", "https://mp.weixin.qq.com/mp/aboutbiz?__biz=MzI0NTY3OA=="],
        ["丙", "微信订阅号", "某局", "MzkxMjM0NTY3OA==", ""],
        ["丁", "新浪微博", "某局", "", ""],
    ), UrlBases(weibo="http://127.0.0.1:1", wechat="http://127.0.0.1:2"))
    ids = [(r.values["platform_id"], r.values["profile_url"]) for r in parsed.records]
    assert ids == [("1234567", "https://m.weibo.cn/u/1234567"),
                   ("MzI0NTY3OA==", "https://mp.weixin.qq.com/mp/aboutbiz?__biz=MzI0NTY3OA=="),
                   ("MzkxMjM0NTY3OA==", "http://127.0.0.1:2/mp/aboutbiz?__biz=MzkxMjM0NTY3OA==")]
    assert [str(p) for p in parsed.invalid] == ["row 5: 账号ID: missing (the Weibo uid)"]


def test_header_variants_are_recognised():
    parsed = validate_table(_table(["*名称", "平台\n(必填)", "主办单位（全称）", "Platform_ID", "序号"],
                                   ["甲", "抖音", "某局", "MS4wLjABAAAAdy1dy1dy1dy1dy1dy1", "1"]))
    assert parsed.ok and parsed.records[0].values["platform"] == "douyin"
    assert parsed.warnings == []  # 序号 is a known bookkeeping column
