"""The Annex 1 registry through the CLI, as an inspector uses it."""
from __future__ import annotations

import csv
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from monitor.registry.columns import COLUMNS, PLATFORM_LABELS
from tests.fixtures.core import T, demo_rows

DEMO = Path(__file__).resolve().parents[1] / "monitor" / "demo" / "registry.csv"
HEADERS = [c.header for c in COLUMNS]


@pytest.fixture
def cli(run_cli, db_url):
    """run_cli bound to an initialised database (SQLite and PostgreSQL)."""
    env = {"MONITOR_DATABASE_URL": db_url}

    def run(*args, **extra):
        return run_cli(*args, env={**env, **extra})

    assert run("init").exit_code == 0
    return run


@pytest.fixture
def sqlite_cli(run_cli, sqlite_url):
    def run(*args, **extra):
        return run_cli(*args, env={"MONITOR_DATABASE_URL": sqlite_url, **extra})
    return run


def accounts(cli) -> list[dict]:
    r = cli("accounts", "list", "--format", "json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def by_name(rows) -> dict[str, dict]:
    return {a["name"]: a for a in rows}


def write_csv(path: Path, rows: list[list], headers=HEADERS, encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(headers)
        w.writerows(rows)
    return path


def row(**kw) -> list:
    """A registry row by English alias; unspecified cells empty."""
    alias = {c.alias: i for i, c in enumerate(COLUMNS)}
    out = [""] * len(COLUMNS)
    for k, v in kw.items():
        out[alias[k]] = v
    return out


def test_demo_registry_imports_every_account_with_its_fields(cli):
    r = cli("accounts", "import", DEMO, MONITOR_PLATFORMS__WEIBO__BASE_URL="http://127.0.0.1:18765/",
            MONITOR_PLATFORMS__WECHAT__BASE_URL="http://127.0.0.1:18765")
    assert r.exit_code == 0, r.stderr
    assert f"{demo_rows()} created" in r.stdout
    rows = accounts(cli)
    assert len(rows) == demo_rows()
    assert sorted({(a["platform"], a["wechat_kind"]) for a in rows}) == [
        ("app", None), ("douyin", None), ("kuaishou", None), ("toutiao", None), ("wechat", "服务号"),
        ("wechat", "订阅号"), ("weibo", None)]
    a = by_name(rows)
    fabu = a["南通发布"]
    assert (fabu["platform_id"], fabu["host_unit"], fabu["district"]) == ("1000000001", "南通市人民政府新闻办公室", "市级")
    assert fabu["opened_on"] == "2015-06-01" and fabu["registered_verified"] is True
    # 访问链接 left empty: built from the configured base URL.
    assert fabu["profile_url"] == "http://127.0.0.1:18765/u/1000000001"
    assert a["南通教育"]["profile_url"] == "http://127.0.0.1:18765/mp/aboutbiz?__biz=MzA5MDAwMDAwMQ=="
    assert a["启东人社"]["registered_verified"] is False
    keji = a["南通科技"]
    assert (keji["lifecycle"], keji["stop_notice_on"]) == ("关停", "2026-10-20")
    assert a["海安健康"]["wechat_kind"] == "服务号"
    assert a["南通医保"]["feed_url"] == "http://127.0.0.1:18765/feeds/aggregator/MzA5MDAwMDAwMw==.json"
    baitong = a["南通百通"]
    assert baitong["store_ids"] == {"apple": "1660000015", "yyb": "cn.gov.nantong.baitong"}
    assert baitong["platform_id"] == "cn.gov.nantong.baitong"
    assert baitong["download_url"] == "http://127.0.0.1:18765/apps/download/baitong.apk"
    assert baitong["registered_verified"] is None and baitong["profile_url"] is None
    assert a["崇川政务"]["store_ids"] == {}
    assert a["通州湾服务"]["store_ids"] == {"apple": "1660000017"}
    assert all(x["manager_email"].endswith("@example.gov.cn") for x in rows)


def test_xlsx_with_title_row_real_date_cells_and_numeric_ids(sqlite_cli, tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["南通市政务新媒体备案登记表"])  # Annex 1 sheets carry a title above the headings
    ws.append(HEADERS)
    ws.append(row(name="如东发布", platform="新浪微博", host_unit="如东县人民政府办公室", district="如东县",
                  platform_id=1000000099, opened_on=datetime(2024, 3, 1), verified="是",
                  manager_phone=13800000099, stop_notice_on=date(2026, 1, 5), lifecycle="关停"))
    ws.append(row(name="启东健康", platform="微信服务号", host_unit="启东市卫生健康委员会",
                  platform_id="MzA5OTk5OTk5OQ==", opened_on="2024年3月1日", verified="否"))
    ws.append(row(name="海门通", platform="移动客户端APP", host_unit="海门区大数据局",
                  platform_id="cn.gov.haimen", opened_on="2024/3/1",
                  stores="apple:id1660000099；huawei:C10012345",
                  download_url="https://example.gov.cn/haimen.apk"))
    path = tmp_path / "registry.xlsx"
    wb.save(path)
    r = sqlite_cli("accounts", "import", path)
    assert r.exit_code == 0, r.stderr
    a = by_name(accounts(sqlite_cli))
    assert a["如东发布"]["platform_id"] == "1000000099"
    assert a["如东发布"]["manager_phone"] == "13800000099"
    assert a["如东发布"]["stop_notice_on"] == "2026-01-05"
    assert {x["opened_on"] for x in a.values()} == {"2024-03-01"}
    assert a["启东健康"]["registered_verified"] is False
    assert a["启东健康"]["profile_url"] == "https://mp.weixin.qq.com/mp/aboutbiz?__biz=MzA5OTk5OTk5OQ=="
    assert a["海门通"]["store_ids"] == {"apple": "1660000099", "huawei": "C10012345"}


def test_gbk_csv_with_english_aliases_and_unknown_column(sqlite_cli, tmp_path):
    headers = ["name", "platform", "host_unit", "platform_id", "opened_on", "负责科室电话"]
    path = write_csv(tmp_path / "gbk.csv", [["海安发布", "新浪微博", "海安市人民政府办公室", "1000000077",
                                             "2023-12-31", "0513-1234"]], headers, encoding="gbk")
    r = sqlite_cli("accounts", "import", path)
    assert r.exit_code == 0, r.stderr
    assert "负责科室电话" in r.stderr and "ignored" in r.stderr  # warned, not refused
    assert by_name(accounts(sqlite_cli))["海安发布"]["opened_on"] == "2023-12-31"


def test_undecodable_csv_gets_a_clear_error(sqlite_cli, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes("名称,平台\n".encode("utf-8") + b"\xff\xfe\xff\xff\n")
    r = sqlite_cli("init")
    r = sqlite_cli("accounts", "import", path)
    assert r.exit_code == 2
    assert "UTF-8 or GBK" in r.stderr and "Traceback" not in r.stderr + r.stdout


def _bad_registry(tmp_path: Path) -> Path:
    headers = HEADERS + ["类型"]
    good = dict(host_unit="南通市某局", platform="新浪微博")
    rows = [
        row(name="好账号一", platform_id="2000000001", **good),                        # row 2
        row(name="平台不明", platform="微博号X", host_unit="南通市某局", platform_id="2000000002"),  # 3
        row(platform_id="2000000003", **good),                                        # 4 no 名称
        row(name="无主办", platform="新浪微博", platform_id="2000000004"),              # 5 no 主办单位
        row(name="链接错", platform_id="2000000005", profile_url="ftp://x.gov.cn/a", **good),  # 6
        row(name="好账号二", platform_id="2000000006", **good),                        # 7
        row(name="重复", platform_id="2000000001", **good),                            # 8 duplicate of row 2
        row(name="日期错", platform_id="2000000008", opened_on="2024-13-45", **good),  # 9
        row(name="类型错", platform_id="2000000009", **good) + ["服务号"],              # 10
        row(name="商店错", platform="移动客户端APP", host_unit="南通市某局", platform_id="cn.gov.x",
            stores="apple=123"),                                                        # 11
        row(name="邮箱错", platform_id="2000000011", manager_email="admin-at-example", **good),  # 12
    ]
    return write_csv(tmp_path / "bad.csv", [r + [""] * (len(headers) - len(r)) for r in rows], headers)


def test_bad_rows_are_refused_one_message_each_and_nothing_written(cli, tmp_path):
    assert cli("accounts", "import", DEMO).exit_code == 0
    before = accounts(cli)
    r = cli("accounts", "import", _bad_registry(tmp_path))
    assert r.exit_code != 0
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("invalid:")]
    expected = {
        3: ("平台", "unknown 平台 '微博号X'"),
        4: ("名称", "missing"),
        5: ("主办单位", "missing"),
        6: ("访问链接", "not an http/https URL"),
        8: ("账号ID", "duplicate '2000000001'"),
        9: ("开设时间", "not a date"),
        10: ("类型", "服务号 given for a non-WeChat platform"),
        11: ("应用商店", "'apple=123' is not store:id"),
        12: ("管理员邮箱", "not an e-mail address"),
    }
    assert len(lines) == len(expected), r.stderr
    for line, (rownum, (field, reason)) in zip(lines, sorted(expected.items())):
        assert f"row {rownum}: {field}: {reason}" in line
    assert "row 2" in lines[4] and "nothing imported" in r.stderr
    assert accounts(cli) == before


def test_skip_invalid_imports_only_the_good_rows(sqlite_cli, tmp_path):
    sqlite_cli("init")
    r = sqlite_cli("accounts", "import", _bad_registry(tmp_path), "--skip-invalid")
    assert r.exit_code == 0, r.stderr
    assert "9 invalid row(s) skipped" in r.stdout
    assert sorted(a["name"] for a in accounts(sqlite_cli)) == ["好账号一", "好账号二"]


def test_reimport_updates_by_platform_and_id_never_duplicates(cli, tmp_path):
    assert cli("accounts", "import", DEMO).exit_code == 0
    first = by_name(accounts(cli))
    text = DEMO.read_text(encoding="utf-8").replace("胡晓东", "钱多多").replace(",启东人社,", ",启东人社局,")
    changed = tmp_path / "changed.csv"
    changed.write_text(text, encoding="utf-8-sig")  # Excel's UTF-8 with BOM
    r = cli("accounts", "import", changed)
    assert r.exit_code == 0, r.stderr
    assert f"0 created, 1 updated, {demo_rows() - 1} unchanged" in r.stdout
    after = accounts(cli)
    assert len(after) == demo_rows()
    assert by_name(after)["南通发布"]["manager"] == "钱多多"
    assert by_name(after)["南通发布"]["id"] == first["南通发布"]["id"]


def test_export_then_import_gives_identical_accounts(cli, run_cli, tmp_path, sqlite_url):
    assert cli("accounts", "import", DEMO).exit_code == 0
    out = tmp_path / "export.xlsx"
    assert cli("accounts", "export", out).exit_code == 0
    ws = load_workbook(out).worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS
    assert isinstance(ws["J2"].value, datetime)  # 开设时间 written as a real date cell
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert run_cli("init", env={"MONITOR_DATABASE_URL": fresh}).exit_code == 0
    r = run_cli("accounts", "import", out, env={"MONITOR_DATABASE_URL": fresh})
    assert r.exit_code == 0, r.stderr
    listed = run_cli("accounts", "list", "--format", "json", env={"MONITOR_DATABASE_URL": fresh})
    assert json.loads(listed.stdout) == accounts(cli)


def test_template_has_platform_dropdown_and_column_help(sqlite_cli, tmp_path):
    out = tmp_path / "template.xlsx"
    r = sqlite_cli("accounts", "template", out)
    assert r.exit_code == 0, r.stderr
    wb = load_workbook(out)
    ws, helps = wb.worksheets
    assert [c.value for c in ws[1]] == HEADERS
    platform_col = ws.cell(row=1, column=HEADERS.index("平台") + 1).column_letter
    dropdowns = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    formula = dropdowns[f"{platform_col}2:{platform_col}1001"]
    assert formula.strip('"').split(",") == list(PLATFORM_LABELS)
    assert [helps.cell(row=i + 2, column=1).value for i in range(len(HEADERS))] == HEADERS
    sqlite_cli("init")
    assert "0 created" in sqlite_cli("accounts", "import", out).stdout  # a blank template imports cleanly


def test_app_without_package_name_is_keyed_by_download_url(sqlite_cli, tmp_path):
    sqlite_cli("init")
    path = write_csv(tmp_path / "apps.csv", [row(name="如皋通", platform="移动客户端APP", host_unit="如皋市大数据局",
                                                  download_url="https://example.gov.cn/rugao.apk")])
    for _ in range(2):
        r = sqlite_cli("accounts", "import", path)
        assert r.exit_code == 0 and "下载地址" in r.stderr
    [app] = accounts(sqlite_cli)
    assert app["platform_id"] == "https://example.gov.cn/rugao.apk"


def test_import_before_init_says_what_to_do(run_cli, tmp_path):
    path = write_csv(tmp_path / "r.csv", [])
    r = run_cli("accounts", "import", path, env={"MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"})
    assert r.exit_code != 0 and "monitor init" in r.stderr


def test_merged_cells_are_filled_down_and_total_rows_skipped(sqlite_cli, tmp_path):
    """Offices merge one 主办单位 cell over a unit's accounts and end the sheet with 合计."""
    wb = Workbook()
    ws = wb.active
    ws.append(["序号", *HEADERS])
    ws.append([1, *row(name="南通发布", platform="新浪微博", host_unit="南通市人民政府新闻办公室", district="市级",
                       platform_id="1000000001")])
    ws.append([2, *row(name="南通发布服务号", platform="微信服务号", district="市级", platform_id="MzA5MDAwMDAwOQ==")])
    host = HEADERS.index("主办单位") + 2  # 1-based, after 序号
    ws.merge_cells(start_row=2, start_column=host, end_row=3, end_column=host)
    ws.append([3, *row(name="崇川公安", platform="新浪微博", host_unit="南通市公安局崇川分局", district="崇川区",
                       platform_id="1000000002")])
    ws.append(["合计", "3个账号"])
    ws.append(["小 计：", None])
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    r = sqlite_cli("accounts", "import", path)
    assert r.exit_code == 0, r.stdout + r.stderr
    a = by_name(accounts(sqlite_cli))
    assert set(a) == {"南通发布", "南通发布服务号", "崇川公安"}
    assert a["南通发布服务号"]["host_unit"] == "南通市人民政府新闻办公室"
    said = r.stdout + r.stderr
    assert "rows 2–3 主办单位: merged cell" in said
    assert "row 5: a 合计 row, not an account; ignored" in said and "row 6: a 小计 row" in said


def test_reports_list_districts_in_registry_or_configured_order(app, history):
    from monitor.scoring import aggregates, score_all

    for name, district in (("南通发布", "市级"), ("崇川公安", "崇川区"), ("通州文明", "通州区"), ("启东人社", "启东市")):
        history.account(name, district=district)
    score_all(app, T)
    assert [r["district"] for r in aggregates(app, T)["by_district"]] == ["市级", "崇川区", "通州区", "启东市"]
    app.settings.districts = ["启东市", "崇川区"]
    assert [r["district"] for r in aggregates(app, T)["by_district"]] == ["启东市", "崇川区", "市级", "通州区"]
