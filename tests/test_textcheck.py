"""The text checker: each check finds the exact span with a suggestion, and leaves correct
terms and ordinary government prose alone."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.textcheck import check_text, get_checker
from monitor.textcheck.lists import ListError


def rules(text: str, **kw) -> list[tuple[str, str | None, str]]:
    return [(h.text, h.suggestion, h.rule) for h in check_text(text, **kw)]


def test_every_hit_is_the_exact_span_of_the_text():
    text = "近日，国务院办工厅印发通知。联系人：张三，电话13812345678。"
    hits = check_text(text)
    assert hits and all(text[h.start:h.end] == h.text for h in hits)


# ── near-misses of terms that must be written exactly ────────────────────────────

@pytest.mark.parametrize("wrong, right, note", [
    ("中华人民共合国", "中华人民共和国", "同音字"),
    ("国务院办工厅", "国务院办公厅", "同音字"),
    ("南通市人民攻府", "南通市人民政府", "形近字"),
    ("全国人民代表大会常委员会", "全国人民代表大会常务委员会", "漏字"),
    ("国务务院", "国务院", "重字"),
    ("习近评总书记", "习近平总书记", "同音字"),
    ("如皋是", None, None),  # a generic ending replaced: ordinary prose, not raised
])
def test_near_miss_of_a_protected_term(wrong, right, note):
    hits = check_text(f"会议传达了{wrong}的要求。")
    if right is None:
        assert hits == []
        return
    assert [(h.text, h.suggestion, h.note, h.kind, h.line) for h in hits] == \
        [(wrong, right, note, "严重表述错误", "veto.security")]


@pytest.mark.parametrize("text, raised", [
    ("完善生态环境补偿机制", False),  # 补偿 is a word: the 部 of 生态环境部 was not misspelt
    ("保持生态环境不恶化", False),
    ("南通事业单位公开招聘", False),
    ("交通运输补发布通知", True),
    ("国家统计具发布数据", True),
])
def test_a_short_names_ending_replaced_is_raised_only_where_it_is_not_an_ordinary_word(text, raised):
    assert bool(check_text(text)) is raised


@pytest.mark.parametrize("text", [
    "台州市第五届人民代表大会常务委员会",  # a real city, one homophone from 泰州市
    "浙江省人民政府发布",  # not 江苏省人民政府 with 苏 dropped
    "加快启动市场化改革",  # not 启东市
    "审查军人代表大会代表资格",
])
def test_place_names_and_prose_that_look_like_a_near_miss_are_not_raised(text):
    assert check_text(text) == []


def test_two_errors_in_neighbouring_terms_are_two_hits():
    assert [h.suggestion for h in check_text("中华人民共合国国务院办工厅")] == \
        ["中华人民共和国国务院", "国务院办公厅"]


@pytest.mark.parametrize("text", [
    "中华人民共和国国务院办公厅、全国人民代表大会常务委员会",
    "美国国务院发言人表示",  # 国国务院 is a doubled 国 only where no correct term covers it
    "南通是一座历史文化名城，如皋市、海安市、启东市、如东县、海门区、崇川区、通州区",
    "住房城乡建设部、人力资源社会保障部、国家发展改革委",  # official short forms drop 和
    "习近平总书记在党的二十大报告中指出；党的十大在1973年召开。",
    "市人民政府办公室、市人民法院、市人民检察院、人民代表大会制度",
])
def test_correct_terms_and_ordinary_prose_are_not_raised(text):
    assert check_text(text) == []


def test_extra_terms_from_the_registry_are_protected():
    assert rules("南通市崇川区城市管理局发布", extra_terms=["南通市崇川区城市管理局"]) == []
    assert rules("南通市崇川区城市管里局发布", extra_terms=["南通市崇川区城市管理局"]) == \
        [("南通市崇川区城市管里局", "南通市崇川区城市管理局", "terms.registry.南通市崇川区城市管理局")]


# ── pairs and patterns ──────────────────────────────────────────────────────────

@pytest.mark.parametrize("text, wrong, right, rule", [
    ("市卫计委提醒", "卫计委", "卫健委", "pairs.agency.卫计委"),
    ("到区工商局办理", "工商局", "市场监管局", "pairs.agency.工商局"),
    ("国家工商总局发布", "国家工商总局", "国家市场监督管理总局", "pairs.agency.国家工商总局"),
    ("海门市教育局", "海门市", "海门区", "pairs.agency.海门市"),
    ("推进一带一路战略", "一带一路战略", "“一带一路”倡议", "pairs.outdated.一带一路战略"),
    ("前苏联解体", "前苏联", "苏联", "pairs.outdated.前苏联"),
    ("台湾总统发表讲话", "台湾总统", "台湾地区领导人", "pairs.hmt.台湾总统"),
    ("两岸三地青年交流", "两岸三地", "海峡两岸和香港、澳门", "pairs.hmt.两岸三地"),
])
def test_wrong_to_right_pairs(text, wrong, right, rule):
    assert rules(text) == [(wrong, right, rule)]


def test_old_agency_names_carry_the_year_they_changed():
    (hit,) = check_text("市卫计委提醒")
    assert "2018" in hit.note and hit.line == "ded.improper_content" and hit.kind == "用语不规范"


@pytest.mark.parametrize("text", [
    "原国土资源局与规划局整合组建自然资源和规划局",  # says it is the old name
    "各级农业部门、文化部门",  # 农业部, 文化部 inside 部门
    "市文化广电和旅游局",
    "中华民国成立于1912年，孙中山就任临时大总统",  # history
    "海峡两岸和香港、澳门",
    "美国、日本、中国台湾等国家和地区的客商",
])
def test_pairs_leave_correct_and_historical_wording(text):
    assert check_text(text) == []


def test_a_name_that_changed_later_is_judged_as_of_the_publish_date():
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    assert check_text("市卫计委提醒", published=date(2017, 5, 1)) == []
    assert rules("市卫计委提醒", published=datetime(2019, 5, 1, tzinfo=ZoneInfo("Asia/Shanghai"))) == \
        [("卫计委", "卫健委", "pairs.agency.卫计委")]
    assert check_text("抗击新冠肺炎疫情", published=date(2022, 3, 5)) == []
    assert [h.rule for h in check_text("新冠肺炎疫苗接种", published=date(2023, 1, 10))] == ["pairs.outdated.新冠肺炎"]


def test_every_pair_entry_matches_its_examples():
    checker = get_checker()
    for pair in checker.pairs.pairs:
        for ex in pair.examples:
            assert pair.rule in {h.rule for h in checker.check(f"据悉，{ex}发布了通知。")}, (pair.rule, ex)


def test_an_old_name_dated_by_a_year_before_the_change_or_marked_old_is_not_raised():
    assert check_text("1998年3月12日原国家质量技术监督局令第51号公布") == []
    assert check_text("原国家税务局1991年发布的《规定》") == []  # nor as a near-miss of 国家税务总局
    assert rules("请到区地税局办理") == [("地税局", "税务局", "pairs.agency.国税地税")]


def test_taiwan_listed_with_countries():
    got = rules("来自美国、日本、台湾等国家的客商")
    assert got == [("台湾", "中国台湾", "pairs.hmt.台湾与国家并列"), ("国家", "国家和地区", "pairs.hmt.台湾与国家并列")]


# ── sensitive words ─────────────────────────────────────────────────────────────

def test_sensitive_word_is_raised_without_a_suggestion():
    (hit,) = check_text("本店提供色情服务，欢迎来电")
    assert (hit.text, hit.suggestion, hit.kind, hit.line) == ("色情服务", None, "敏感内容", "veto.security")


def test_reporting_against_a_word_counts_only_within_its_sentence():
    assert [h.start for h in check_text("严厉打击色情服务。本店提供色情服务")] == [13]


@pytest.mark.parametrize("text", [
    "公安机关严厉打击色情服务等违法犯罪活动",  # reported against
    "警方提醒：谨防裸聊诈骗",
    "这里是一块风水宝地",  # whitelist
    "公交线路改运营时间",
])
def test_sensitive_words_in_ordinary_government_prose_are_not_raised(text):
    assert check_text(text) == []


# ── personal data ───────────────────────────────────────────────────────────────

def test_personal_data_unmasked():
    text = "身份证号110101199003074514，手机138 1234 5678，银行卡6222 0212 3456 7890 128。"
    assert [(h.rule, h.suggestion) for h in check_text(text)] == [
        ("personal.id_card", "110101********4514"),
        ("personal.mobile", "138****5678"),
        ("personal.bank_card", "6222***********0128"),
    ]


@pytest.mark.parametrize("text", [
    "身份证号110101********4514，手机138****5678",  # masked
    "身份证号110101199003074515",  # checksum fails
    "编号6222021234567890129",  # Luhn fails
    "文号20191010900000000001，热线12345，座机0513-85098888",
    "订单号A13812345678B",  # inside a longer code
])
def test_masked_or_invalid_numbers_are_not_raised(text):
    assert [h for h in check_text(text) if h.kind == "个人信息泄露"] == []


# ── lists an operator extends ───────────────────────────────────────────────────

def test_operator_lists_extend_the_packaged_ones(tmp_path):
    (tmp_path / "terms_local_leaders.txt").write_text(
        "# source: 市委组织部\n# version: 2026.12.2\n# reviewed: 2026-12-01\n# group: ops\n## 人名\n张建国\n",
        encoding="utf-8")
    (tmp_path / "sensitive_extra.txt").write_text("# version: 1\n## 迷信\n做法事\n", encoding="utf-8")
    hits = check_text("张建过书记出席。请大师做法事。", extra_lists_dir=str(tmp_path))
    assert [(h.text, h.suggestion, h.rule, h.source) for h in hits] == [
        ("张建过", "张建国", "terms.ops.张建国", "terms_local_leaders.txt@2026.12.2"),
        ("做法事", None, "sensitive.迷信.做法事", "sensitive_extra.txt@1"),
    ]


def test_a_broken_operator_list_names_the_file(tmp_path):
    (tmp_path / "pairs_bad.toml").write_text('[[pair]]\nid = "x"\nwrong = "a"\npattern = "b"\n', encoding="utf-8")
    with pytest.raises(ListError, match=r"pairs_bad.toml.*exactly one of"):
        check_text("x", extra_lists_dir=str(tmp_path))


def test_every_packaged_list_has_its_header():
    from monitor.textcheck.lists import load_lists

    lists = load_lists(None)
    for prefix, wls in lists.by_prefix.items():
        for wl in wls:
            assert wl.get("source") and wl.get("version") and wl.get("date"), wl.path
    for wl in lists["terms"]:
        assert wl.get("reviewed"), wl.path


def test_a_pattern_must_match_its_examples(tmp_path):
    (tmp_path / "pairs_ops.toml").write_text(
        'version = "1"\n[[pair]]\nid = "x"\npattern = "甲乙"\nright = "丙"\nexamples = ["甲丙"]\n', encoding="utf-8")
    with pytest.raises(ListError, match=r"does not match its example '甲丙'"):
        check_text("x", extra_lists_dir=str(tmp_path))


# ── no false alarms on real text ────────────────────────────────────────────────

REPO = Path(__file__).resolve().parents[1]


def test_no_hits_on_the_regulation_or_the_committed_government_prose():
    from datetime import date

    regulation = sorted((REPO.parent / "shared" / "regulation").glob("*.txt"))
    prose = sorted((REPO / "bench" / "data" / "gov_prose_sample").glob("20*.txt"))
    assert regulation and len(prose) == 2
    for p in regulation + prose:
        published = date.fromisoformat(p.name[:10]) if p.name[:2] == "20" else None
        assert check_text(p.read_text(encoding="utf-8"), published=published) == [], p.name


def test_no_hits_on_the_demo_sandbox_posts():
    from monitor.sandbox.scenario import load_scenario

    texts = {t for acc in load_scenario("demo").accounts() for p in acc.posts
             if p.extra.get("text_check") != "expected" for t in (p.text, p.title) if t}
    assert texts
    assert [(t, h.text) for t in sorted(texts) for h in check_text(t)] == []


def test_checker_version_changes_with_an_operator_list(tmp_path):
    base = get_checker().version
    (tmp_path / "allow_ops.txt").write_text("# version: 1\n甲乙丙\n", encoding="utf-8")
    assert get_checker(extra_lists_dir=str(tmp_path)).version not in ("", base)
    assert get_checker().version == base


def test_checker_is_built_once_per_term_set():
    assert get_checker(["甲单位"]) is get_checker(["甲单位"])


# ── monitor text check ──────────────────────────────────────────────────────────

def test_cli_check_json(run_cli, tmp_path):
    draft = tmp_path / "draft.txt"
    draft.write_text("国务院办工厅发布通知。", encoding="utf-8")
    r = run_cli("text", "check", draft, "--format", "json")
    assert r.exit_code == 1, r.stderr
    (hit,) = json.loads(r.stdout)
    assert {k: hit[k] for k in ("start", "end", "text", "suggestion", "kind", "rule")} == {
        "start": 0, "end": 6, "text": "国务院办工厅", "suggestion": "国务院办公厅",
        "kind": "严重表述错误", "rule": "terms.state.国务院办公厅"}
    assert hit["source"].startswith("terms_state.txt@")


def test_cli_check_table_says_where_as_a_reader_counts_and_notes_once(run_cli):
    # Was "3–6" (0-based offsets into the whole text) and "…2018年机构改革…（2018年起）".
    r = run_cli("text", "check", "-", input="第一行。\n南通市卫计委发布通知。", env={"COLUMNS": "200"})
    assert r.exit_code == 1, r.stderr
    (row,) = [line for line in r.stdout.splitlines() if "卫计委" in line]
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[:4] == ["2", "第4–6字", "卫计委", "卫健委"]
    assert cells[5] == "2018年机构改革组建卫生健康委员会"


def test_cli_check_stdin_clean_text(run_cli):
    r = run_cli("text", "check", "-", input="南通市人民政府办公室发布通知。")
    assert r.exit_code == 0 and "未发现问题" in r.stdout


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.txt", "no file"),
    (lambda p: (p / "gbk.txt").write_bytes("国务院".encode("gbk")) and p / "gbk.txt", "not UTF-8"),
])
def test_cli_check_errors_are_one_line_exit_2(run_cli, tmp_path, make, message):
    r = run_cli("text", "check", make(tmp_path))
    assert r.exit_code == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_cli_check_names_a_missing_operator_lists_folder(run_cli, tmp_path):
    (tmp_path / "monitor.toml").write_text('[textcheck]\nextra_lists_dir = "nowhere"\n', encoding="utf-8")
    r = run_cli("--config", tmp_path / "monitor.toml", "text", "check", "-", input="国务院")
    assert r.exit_code == 2 and "extra_lists_dir 'nowhere' is not a folder" in r.stderr
