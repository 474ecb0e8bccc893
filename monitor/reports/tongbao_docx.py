"""An issued 通报 as a .docx government document, rendered only from its frozen content
(``monitor.orders.issue.tongbao_content``: title, addressee, issuer, doc_number, period_text,
vetoed/deducted lists, deadline, rectify_days, issued_on), so the document says exactly what
was notified however the findings change later.

Layout: 发文字号, 标题, 主送, 正文 (what was checked, the lists in 附件, 整改要求 with the
deadline), 落款 and 成文日期, then 附件1 出现单项否决情形的名单 and 附件2 出现扣分情形的名单.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from monitor.reports.govdoc import GovDoc
from monitor.reports.wording import TONGBAO_ADDRESSEE, TONGBAO_ISSUER, fmt_date, tongbao_title

REGULATION = "南通市政务新媒体管理办法（试行）"
HEADERS = ["序号", "主办单位", "账号名称", "平台", "问题", "证据编号"]
WIDTHS = [8, 34, 26, 18, 92, 24]


def tongbao_rows(listed: list[dict]) -> list[list[str]]:
    """附件 rows from the frozen lists (vetoed / deducted); evidence ids shortened to 12
    characters, as inspectors quote them (the full id is in the order and the package name)."""
    return [[str(i), r.get("host_unit", ""), r.get("name", ""), r.get("platform", ""), "；".join(r.get("problems", [])),
             "、".join(e[:12] for e in r.get("evidence_ids", []))] for i, r in enumerate(listed, 1)]


def write_tongbao_docx(content: dict, path: str | Path, *, regulation: str = REGULATION) -> Path:
    vetoed, deducted = tongbao_rows(content.get("vetoed", [])), tongbao_rows(content.get("deducted", []))
    title = content.get("title") or tongbao_title(content.get("period_title_zh", ""))
    days = content.get("rectify_days")
    deadline = content.get("deadline_zh") or (fmt_date(date.fromisoformat(content["deadline"]))
                                              if content.get("deadline") else "")
    issued = content.get("issued_on_zh") or (fmt_date(date.fromisoformat(content["issued_on"]))
                                             if content.get("issued_on") else "")
    span = f"（{content['period_text']}）" if content.get("period_text") else ""
    g = GovDoc(title)
    if content.get("doc_number"):
        g.doc_number(content["doc_number"])
    addressee = content.get("addressee") or TONGBAO_ADDRESSEE
    # The wording table names the addressees ("县（市、区）人民政府，…"); a 主送 line says 各….
    g.title(title).addressee(addressee if addressee.startswith("各") else f"各{addressee}")
    g.body(f"根据《{regulation}》，对{content.get('period_title_zh', '')}{span}全市政务新媒体运行情况进行了检查。"
           f"检查中发现{len(vetoed) + len(deducted)}个政务新媒体账号存在问题，"
           f"其中{len(vetoed)}个出现单项否决情形，{len(deducted)}个出现扣分情形。现将有关情况通报如下：")
    g.heading("一、存在的问题")
    g.body(f"出现单项否决情形的账号{len(vetoed)}个，名单见附件1；出现扣分情形的账号{len(deducted)}个，名单见附件2。"
           "所列问题均基于成功采集的页面，证据编号对应系统保存的证据包，可供核验。")
    g.heading("二、整改要求")
    g.body(f"请上述账号的主办单位对照问题认真整改，于{deadline}前"
           + (f"（自通报之日起{days}日内）" if days else "")
           + "完成整改，并将整改情况报送市政务公开办。逾期未整改或整改不到位的，"
           "将按照年度考核指标（附件3“通报整改”）予以扣分。已停止维护的账号，请按规定发布停更公告并办理关停注销手续。")
    g.attachment_list(["出现单项否决情形的名单", "出现扣分情形的名单"])
    g.signature(content.get("issuer") or TONGBAO_ISSUER, issued)
    for number, name, rows in ((1, "出现单项否决情形的名单", vetoed), (2, "出现扣分情形的名单", deducted)):
        g.attachment(number, name, HEADERS, rows or [["", "", "无", "", "", ""]], WIDTHS, landscape=True)
    return g.save(path)
