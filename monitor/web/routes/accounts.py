"""/accounts (filters, sorting, server-side paging) and /accounts/{id}."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request

from monitor.registry.columns import COLUMNS, platform_label
from monitor.reports.data import load
from monitor.reports.view import account_view
from monitor.reports.wording import account_platform
from monitor.rules import load_ruleset
from monitor.web import queries
from monitor.web.auth import Viewer, current_user, visible_account
from monitor.web.pages import page_at, render
from storage.models import PLATFORMS, VERDICTS

router = APIRouter()
# 平台 filter: the platform codes with their Annex 1 names (WeChat's three kinds are one platform).
PLATFORM_CHOICES = [(p, "微信公众号/小程序" if p == "wechat" else platform_label(p, None)) for p in PLATFORMS]


@router.get("/accounts")
def accounts(request: Request, at: str | None = None, district: str = "", host_unit: str = "",
             platform: str = "", verdict: str = "", q: str = "", sort: str = "name", desc: bool = False,
             page: int = 1, viewer: Viewer = Depends(current_user)):
    app = request.app.state.monitor
    t = page_at(request, at)
    f = queries.AccountFilter(district, host_unit.strip(), platform, verdict, q.strip(), sort, desc, page)
    with app.session() as s:
        result = queries.accounts_page(s, viewer, t, f)
        options = queries.districts(s, viewer)
    template = "accounts_table.html" if request.headers.get("HX-Request") else "accounts.html"
    return render(request, template, at=t, f=f, result=result, districts=options, platforms=PLATFORM_CHOICES,
                  verdicts=VERDICTS, sorts=list(queries.SORTS))


@router.get("/accounts/{account_id}")
def account(request: Request, account_id: int, at: str | None = None, viewer: Viewer = Depends(current_user)):
    app = request.app.state.monitor
    t = page_at(request, at)
    with app.session() as s:
        acct = visible_account(s, viewer, account_id)
        observations = queries.observations(s, account_id, t)
        findings = queries.account_findings(s, account_id)
        cards = queries.account_cards(s, account_id)
    data = load(app, t, {account_id})
    view = None
    if data.accounts:
        view = account_view(data, data.accounts[0], Path(app.settings.evidence_dir).resolve(), thumbnails=False)
        for row in view.findings + view.advisories:
            row.evidence_link = None  # the finding page shows the evidence (served behind the login)
    registry = [(c.header, _cell(acct, c)) for c in COLUMNS]
    rules = load_ruleset(app.settings)
    return render(request, "account.html", at=t, account=acct, platform=account_platform(acct), view=view,
                  observations=observations, findings=findings, cards=cards, registry=registry,
                  rule_names={r.id: r.name_zh for r in rules}, veto_days=rules.params.veto_days,
                  finding_href=lambda row: f"/findings/{row.finding_id}")


def _cell(acct, column) -> str:
    value = getattr(acct, column.attr)
    if column.kind == "stores":
        return "; ".join(f"{k}:{v}" for k, v in (value or {}).items())
    if column.kind == "platform":
        return account_platform(acct)
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else str(value.isoformat() if hasattr(value, "isoformat") else value)
