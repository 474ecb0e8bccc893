"""``monitor report --out DIR`` as an inspector runs it."""
from __future__ import annotations

from openpyxl import load_workbook

from tests.fixtures.core import T
from tests.test_reports import seeded  # noqa: F401  (the same five accounts)


def test_report_command_writes_three_files(app, seeded, tmp_path, run_cli):
    out = tmp_path / "q4"
    r = run_cli("report", "--at", T.isoformat(), "--out", out, env={"MONITOR_DATABASE_URL": app.settings.database_url,
                                                                  "MONITOR_EVIDENCE_DIR": app.settings.evidence_dir})
    assert r.exit_code == 0, r.stderr
    assert {p.name for p in out.iterdir()} == {"report.html", "report.xlsx", "tongbao.html"}
    assert str(out / "report.html") in r.stdout
    assert load_workbook(out / "report.xlsx")["评分表"].max_row == 3 + 5
    assert "出现单项否决情形的名单" in (out / "tongbao.html").read_text(encoding="utf-8")
