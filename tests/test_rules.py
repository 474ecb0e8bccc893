"""The rule set as data: the built-in file mirrors Annex 2; other files load; bad ones are
refused with a message naming the rule and field."""
from __future__ import annotations

import re

import pytest

from monitor.config import ConfigError, Settings
from monitor.rules import BUILTIN_RULES_FILE, RuleSetError, load_ruleset
from tests.fixtures.core import SHARED

DESIGN_IDS = {
    "veto.no_update_2w", "veto.app_unavailable", "veto.no_interaction", "veto.security", "veto.fake_fans",
    "ded.irregular_opening", "ded.irregular_name", "ded.irregular_verification", "ded.untimely_update",
    "ded.commercial_ads", "ded.broken_function", "ded.improper_content", "ded.comment_moderation",
    "ded.improper_response", "ded.excess_data", "adv.no_original_2w", "adv.update_reminder",
    "adv.long_dormant",
}
REGULATION = SHARED / "regulation" / "000_d887a2ce90568c12.txt"


def annex2_rows() -> dict[str, tuple[str, str]]:
    """二级指标 → (评分细则, 分值) as printed in the regulation's Annex 2 table."""
    text = REGULATION.read_text(encoding="utf-8")
    table = text[text.index("政务新媒体检查指标"):text.index("附件3")]
    rows = {}
    for line in table.splitlines():
        cells = line.split("\t")
        if len(cells) == 4 and cells[1] and cells[1] != "二级指标":
            rows[cells[1]] = (cells[2], cells[3])
    return rows


def test_builtin_rule_set_mirrors_annex2():
    rs = load_ruleset(Settings())
    assert {r.id for r in rs} == DESIGN_IDS
    rows = annex2_rows()
    for rule in rs:
        if rule.group == "advisory":
            continue
        assert rule.name_zh in rows, rule.id
        detail, value = rows[rule.name_zh]
        # Each rule's wording is taken from its line of Annex 2 word for word.
        for part in re.split(r"\s*\d\.\s*", rule.detail_zh):
            assert part.strip() in detail, (rule.id, part)
        if rule.group == "deduction":
            assert rule.cap == int(value), rule.id
            expected_points = 5 if "扣5分" in detail else 10
            assert rule.points == expected_points, rule.id
    assert rs.get("ded.untimely_update").decided_by == "detector"
    assert rs.get("ded.commercial_ads").initial_state == "suspected"
    assert rs.scoring.full_score == 100 and rs.scoring.pass_mark == 60


def test_parameters_come_from_file_and_config():
    rs = load_ruleset(Settings(rules={"app_confirm_checks": 3, "app_confirm_interval": "2h"}))
    p = rs.params
    assert (p.veto_days, p.check_period_weeks, p.original_window_days) == (14, 4, 14)
    assert (p.reminder_days, p.dormant_days) == ([7, 12], [60, 90, 365])
    assert (p.app_confirm_checks, p.app_confirm_interval) == (3, "2h")


def _city_file(tmp_path, body: str) -> Settings:
    f = tmp_path / "city.toml"
    f.write_text(body, encoding="utf-8")
    return Settings(rules={"file": str(f)})


def test_another_city_file_loads_and_inherits_defaults(tmp_path):
    settings = _city_file(tmp_path, '''
name = "某市检查指标"
[parameters]
check_period_weeks = 2
[[rules]]
id = "veto.no_update_2w"
group = "veto"
name_zh = "内容不更新"
detail_zh = "监测时间点前2周内无更新。"
decided_by = "detector"
[[rules]]
id = "ded.untimely_update"
group = "deduction"
name_zh = "内容更新不及时"
detail_zh = "每周更新少于1次，每发现一起，扣2分。"
points = 2
cap = 6
decided_by = "detector"
''')
    rs = load_ruleset(settings)
    assert rs.name == "某市检查指标" and len(rs) == 2
    assert rs.params.check_period_weeks == 2 and rs.params.veto_days == 14
    assert rs.get("ded.untimely_update").cap == 6
    with pytest.raises(KeyError, match="ded.commercial_ads"):
        rs.get("ded.commercial_ads")


RULE = '''
[[rules]]
id = "ded.untimely_update"
group = "deduction"
name_zh = "内容更新不及时"
detail_zh = "x"
decided_by = "detector"
'''


@pytest.mark.parametrize("body,message", [
    (RULE + "points = 5\ncap = 2\n", r"rules\[0\] \(ded.untimely_update\): Value error, cap 2 is below points 5"),
    (RULE + "points = 5\ncap = 10\ncolour = 'red'\n", r"rules\[0\] \(ded.untimely_update\).colour: unknown field"),
    (RULE.replace('"detector"', '"robot"') + "points = 5\ncap = 10\n", r"rules\[0\] \(ded.untimely_update\).decided_by"),
    (RULE + "points = 5\ncap = 10\n" + RULE + "points = 5\ncap = 10\n", r"rules\[1\] \(ded.untimely_update\): duplicate id"),
    ("[parameters]\nveto_days = 0\n" + RULE + "points = 5\ncap = 10\n", r"parameters.veto_days"),
    ("[parameters]\napp_confirm_interval = 'soon'\n" + RULE + "points = 5\ncap = 10\n", r"parameters.app_confirm_interval"),
    ("name = 'x'\n", r"rules: Field required"),
    ("[[rules]\n", r"not valid TOML"),
])
def test_malformed_rule_file_is_refused_clearly(tmp_path, body, message):
    settings = _city_file(tmp_path, body)
    with pytest.raises(RuleSetError, match=message) as exc:
        load_ruleset(settings)
    assert "city.toml" in str(exc.value)
    assert isinstance(exc.value, ConfigError)  # the CLI prints it and exits 2


def test_missing_rule_file(tmp_path):
    with pytest.raises(RuleSetError, match="does not exist"):
        load_ruleset(Settings(rules={"file": str(tmp_path / "nope.toml")}))


def test_detect_cli_reports_a_bad_rule_file(run_cli, tmp_path):
    (tmp_path / "bad.toml").write_text(RULE + "points = 5\ncap = 1\n", encoding="utf-8")
    env = {"MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
           "MONITOR_RULES__FILE": str(tmp_path / "bad.toml")}
    r = run_cli("detect", "--at", "2026-11-25T02:00+08:00", env=env)
    assert r.exit_code != 0
    assert "cap 1 is below points 5" in r.stderr


def test_builtin_file_ships_with_the_package():
    assert BUILTIN_RULES_FILE.name == "annex2_nantong.toml" and BUILTIN_RULES_FILE.is_file()
