"""/interaction: inspectors' interaction tests (互动测试) — record a test sent to an account
(私信/留言/评论) and the reply; the same monitor.interaction calls as ``monitor interaction``."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from monitor.interaction import InteractionError, add_test, find_account, record_reply, state_of
from monitor.interaction.workdays import WorkCalendar
from monitor.reports.wording import INTERACTION_SOURCE_ZH, INTERACTION_STATE_ZH
from monitor.web import audit
from monitor.web.auth import Viewer, address, current_user, reviewer
from monitor.web.pages import render
from storage.models import INTERACTION_CHANNELS, Account, InteractionTest

router = APIRouter()


def _page(request: Request, viewer: Viewer, error: str | None = None, status: int = 200):
    app = request.app.state.monitor
    today = app.at(None).date()
    with app.session() as s:
        q = (select(InteractionTest, Account).join(Account, Account.id == InteractionTest.account_id)
             .order_by(InteractionTest.sent_at.desc(), InteractionTest.id.desc()))
        if viewer.role == "unit":
            q = q.where(Account.host_unit == viewer.unit)
        rows = [{"test": t, "account": a, "state": INTERACTION_STATE_ZH[state_of(t, today, app.tz)],
                 "source": INTERACTION_SOURCE_ZH.get(t.reply_source or "", "")} for t, a in s.execute(q)]
        accounts = [a for a in s.scalars(select(Account).where(Account.lifecycle != "注销").order_by(Account.name))]
        return render(request, "interaction.html", status_code=status, rows=rows, accounts=accounts,
                      channels=INTERACTION_CHANNELS, error=error, can_edit=viewer.can_review,
                      working_days=app.settings.interaction.reply_working_days)


@router.get("/interaction")
def interaction(request: Request, viewer: Viewer = Depends(current_user)):
    return _page(request, viewer)


@router.post("/interaction")
def add(request: Request, account_id: str = Form(...), channel: str = Form(...), sent: str = Form(...),
        text: str = Form(""), comment_id: str = Form(""), viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    try:
        with app.session() as s:
            t = add_test(s, find_account(s, account_id), channel=channel, sent=sent, text=text, tz=app.tz,
                         working_days=app.settings.interaction.reply_working_days,
                         calendar=WorkCalendar.from_settings(app.settings), recorded_by=viewer.name,
                         comment_id=comment_id or None)
            test_id, aid = t.id, t.account_id
    except InteractionError as exc:
        return _page(request, viewer, error=str(exc), status=400)
    audit.record(app, viewer.name, address(request), "interaction_test_add", account_id=aid,
                 changes={"interaction_test": [None, test_id], "channel": [None, channel]})
    return RedirectResponse("/interaction", status_code=303)


@router.post("/interaction/{test_id}/reply")
def reply(request: Request, test_id: int, replied: str = Form(...), text: str = Form(""),
          viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    try:
        with app.session() as s:
            t = record_reply(s, test_id, replied=replied, text=text, tz=app.tz)
            aid = t.account_id
    except InteractionError as exc:
        return _page(request, viewer, error=str(exc), status=400)
    audit.record(app, viewer.name, address(request), "interaction_test_reply", account_id=aid,
                 changes={"interaction_test": [test_id, test_id], "replied": [None, replied]})
    return RedirectResponse("/interaction", status_code=303)
