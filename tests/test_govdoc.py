"""The .docx documents (the periodic report and an issued 通报) as Word/WPS read them: read
back with python-docx, and rendered to PDF by Debian's LibreOffice (one conversion)."""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date

from docx import Document
from docx.oxml.ns import qn

from monitor.reports import write_periodic_report
from monitor.reports.period import parse_period
from monitor.reports.tongbao_docx import write_tongbao_docx
from tests.test_periodic_report import issue_q4, seed

def issued_content(app) -> dict:
    """The frozen content of a real 通报 over the seeded quarter (one registry name carries a
    control character, as a hostile spreadsheet can)."""
    from monitor.orders.issue import tongbao_content
    from storage.models import Account

    ids = seed(app)
    with app.session() as s:
        s.get(Account, ids["b"]).name = "崇川\x07教育"
    tongbao_id = issue_q4(app)
    with app.session() as s:
        return tongbao_content(s, tongbao_id)


def _text(path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_tongbao_docx_says_what_was_frozen(app, tmp_path):
    content = issued_content(app)
    path = write_tongbao_docx(content, tmp_path / "tongbao.docx")
    doc = Document(str(path))
    paragraphs = [p.text for p in doc.paragraphs if p.text]
    assert paragraphs[:3] == ["〔2026〕第　　号", "关于2026年第四季度全市政务新媒体检查情况的通报",
                              "各县（市、区）人民政府，市各有关部门和单位："]
    body = "\n".join(paragraphs)
    assert "2026年第四季度（2026年10月1日至2026年12月31日）" in body
    assert "于2026年12月6日前（自通报之日起10日内）完成整改" in body
    assert "其中2个出现单项否决情形，1个出现扣分情形" in body and "2026年11月26日" in body
    vetoed, deducted = ([[c.text for c in row.cells] for row in t.rows] for t in doc.tables)
    assert vetoed[0] == ["序号", "主办单位", "账号名称", "平台", "问题", "证据编号"]
    assert [r[2] for r in vetoed[1:]] == ["崇川发布", "通州文旅"]
    assert vetoed[1][4].startswith("内容不更新") and "检查发现" in vetoed[1][4]
    assert len(deducted) == 2 and deducted[1][2] == "崇川教育"  # the control character is dropped, not fatal
    assert deducted[1][4].startswith("内容更新不及时")
    assert all(s.orientation == 1 for s in doc.sections[1:])  # 附件 pages are landscape
    fonts = {r._r.rPr.rFonts.get(qn("w:eastAsia")) for p in doc.paragraphs for r in p.runs if r.text}
    assert {"方正小标宋简体", "仿宋_GB2312", "黑体"} <= fonts


def test_docx_documents_render_in_libreoffice_with_chinese_text(app, tmp_path):
    """Both documents in one LibreOffice run (it is slow to start), then read the PDFs."""
    tongbao = write_tongbao_docx(issued_content(app), tmp_path / "tongbao.docx")
    periodic = write_periodic_report(app, parse_period("2026Q4"), tmp_path / "q4", dated=date(2026, 12, 3),
                                     formats=("docx",))["docx"]
    soffice = shutil.which("libreoffice") or shutil.which("soffice")
    assert soffice, "Debian's libreoffice-writer-nogui is missing (make system installs it)"
    proc = subprocess.run([soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(periodic), str(tongbao)],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    pages = {}
    for name in ("periodic", "tongbao"):
        pdf = tmp_path / "pdf" / f"{name}.pdf"
        assert pdf.is_file(), proc.stdout + proc.stderr
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        pages[name] = re.sub(r"\s+", "", text)  # lines wrap anywhere in Chinese text
    p = pages["periodic"]
    for words in ("关于2026年第四季度全市政务新媒体检查情况的报告", "市人民政府办公室：", "一、总体情况",
                  "图1", "附件1", "各属地政务新媒体检查情况统计表", "崇川区", "被平台限流", "—1—",
                  "南通市政务公开办", "2026年12月3日"):
        assert words in p, words
    t = pages["tongbao"]
    for words in ("关于2026年第四季度全市政务新媒体检查情况的通报", "出现单项否决情形的名单", "崇川发布",
                  "崇川教育", "内容不更新", "2026年12月6日前"):
        assert words in t, words
