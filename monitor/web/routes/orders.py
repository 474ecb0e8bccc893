"""/orders (the orders and the 下发通报 form), /orders/{id} (what was cited, the unit's reply
form, the inspector's 复核 and 关闭), attachments, /api/orders — through monitor.orders, as
the CLI. A unit user sees and answers only its own accounts' orders (others answer 404)."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from monitor.orders import IssueError, OrderError, close_order, effective_state, issue_tongbao, order_json
from monitor.orders.attachments import AttachmentError, blob_path
from monitor.orders.issue import docx_name, tongbao_content
from monitor.orders.queries import all_orders, get_order
from monitor.orders.recheck import recheck_account
from monitor.orders.replies import add_reply
from monitor.reports.period import PeriodError, parse_period
from monitor.reports.tongbao_docx import write_tongbao_docx
from monitor.reports.wording import ORDER_ACTION_ZH, ORDER_STATE_ZH, RECHECK_ZH
from monitor.rules import load_ruleset
from monitor.web import audit, limits
from monitor.web.auth import Viewer, address, current_user, reviewer
from monitor.web.pages import remove_temp, render, temp_path
from storage.models import RectificationOrder, Tongbao

router = APIRouter()
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A reply carries at most attachments_per_reply files of attachment_max_mb each.
limits.register(r"/orders/\d+/reply", lambda settings: int(settings.orders.attachment_max_mb * 2**20)
                * settings.orders.attachments_per_reply)


def _now(request: Request):
    return request.app.state.clock().astimezone(request.app.state.monitor.tz)


def _list(request: Request, viewer: Viewer, error: str | None = None, status: int = 200, period: str = ""):
    app = request.app.state.monitor
    now = _now(request)
    with app.session() as s:
        orders = all_orders(s, viewer.unit if viewer.is_unit else None)
        states = {o.id: effective_state(o, now.date()) for o in orders}
        issued = [] if viewer.is_unit else list(s.query(Tongbao).order_by(Tongbao.id.desc()))
    return render(request, "orders.html", status_code=status, orders=orders, states=states, issued=issued,
                  order_state_zh=ORDER_STATE_ZH, error=error, period=period, today=now.date(),
                  deadline_days=app.settings.orders.deadline_days)


@router.get("/orders")
def orders(request: Request, viewer: Viewer = Depends(current_user)):
    return _list(request, viewer)


@router.post("/tongbao/issue")
def issue(request: Request, period: str = Form(""), issued_on: str = Form(""), viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    now = _now(request)
    try:
        p = parse_period(period)
        on = date.fromisoformat(issued_on) if issued_on.strip() else now.date()
    except PeriodError as exc:
        return _list(request, viewer, f"统计期无法识别：{exc}", 400, period)
    except ValueError:
        return _list(request, viewer, f"下发日期无法识别：{issued_on!r}（应为 YYYY-MM-DD）", 400, period)
    try:
        with app.session() as s:
            tb = issue_tongbao(s, p, load_ruleset(app.settings), app.tz, issued_on=on, issued_by=viewer.name,
                               deadline_days=app.settings.orders.deadline_days, now=now)
            tid, accounts = tb.id, tb.content["totals"]["accounts"]
    except IssueError as exc:
        return _list(request, viewer, f"未能下发通报：{exc}", 400, period)
    audit.record(app, viewer.name, address(request), "tongbao_issue", changes={"tongbao": [None, tid]},
                 note=f"{p.text}：{accounts}个账号")
    return RedirectResponse("/orders", status_code=303)


def _visible(s, viewer: Viewer, order_id: int) -> RectificationOrder:
    o = get_order(s, order_id)
    if o is None or not viewer.sees(o.account):
        raise HTTPException(404, "没有这份整改单。")
    return o


def _page(request: Request, viewer: Viewer, order_id: int, error: str | None = None, notice: str | None = None,
          status: int = 200):
    app = request.app.state.monitor
    jobs = request.app.state.recheck_jobs
    # The re-check's state is read before the order: a re-check that ends in between is then
    # still shown as running (the page refreshes), never as done with the order it changed
    # read before it did.
    with app.session() as s:
        account_id = _visible(s, viewer, order_id).account_id
    running, last = jobs.running(account_id), jobs.last(account_id)
    with app.session() as s:
        o = _visible(s, viewer, order_id)
        state = effective_state(o, _now(request).date())
    if error is None and last is not None and last.error and not running:
        error = last.error
    return render(request, "order.html", status_code=status, o=o, state=state, order_state_zh=ORDER_STATE_ZH,
                  action_zh=ORDER_ACTION_ZH, recheck_zh=RECHECK_ZH, error=error, notice=notice, running=running,
                  can_reply=viewer.is_unit and o.state != "passed", max_mb=app.settings.orders.attachment_max_mb)


@router.get("/orders/{order_id}")
def order(request: Request, order_id: int, viewer: Viewer = Depends(current_user)):
    return _page(request, viewer, order_id)


@router.post("/orders/{order_id}/reply")
async def reply(request: Request, order_id: int, viewer: Viewer = Depends(current_user)):
    if not viewer.is_unit:
        raise HTTPException(403, "整改情况由账号的主办单位回复。")
    app = request.app.state.monitor
    limit = int(app.settings.orders.attachment_max_mb * 2**20)
    form = await request.form()
    files = []
    for f in form.getlist("files"):
        if isinstance(f, UploadFile) and f.filename:
            data = await f.read(limit + 1)  # never more than the limit (+1 to tell it was over) in memory
            files.append((f.filename, data))
    text = str(form.get("text") or "")
    try:
        with app.session() as s:
            o = _visible(s, viewer, order_id)
            add_reply(o, viewer.name, text, files, app.settings, _now(request))
    except (OrderError, AttachmentError) as exc:
        return _page(request, viewer, order_id, error=str(exc), status=400)
    return RedirectResponse(f"/orders/{order_id}", status_code=303)


@router.post("/orders/{order_id}/recheck")
def recheck(request: Request, order_id: int, viewer: Viewer = Depends(reviewer)):
    """Starts the re-check in the background and shows the order, which follows it."""
    app = request.app.state.monitor
    with app.session() as s:
        account_id = _visible(s, viewer, order_id).account_id
    at, who = _now(request), viewer.name
    job = request.app.state.recheck_jobs.start(account_id, at, who,
                                               lambda: recheck_account(app, account_id, at, who))
    if job is None:
        return _page(request, viewer, order_id, error="该账号的复核正在进行中，请稍候。", status=409)
    return RedirectResponse(f"/orders/{order_id}", status_code=303)


@router.post("/orders/{order_id}/close")
def close(request: Request, order_id: int, note: str = Form(""), viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    try:
        with app.session() as s:
            close_order(_visible(s, viewer, order_id), _now(request), viewer.name, note.strip())
    except OrderError as exc:
        return _page(request, viewer, order_id, error=str(exc), status=400)
    return RedirectResponse(f"/orders/{order_id}", status_code=303)


@router.get("/orders/{order_id}/attachments/{sha256}")
def attachment(request: Request, order_id: int, sha256: str, viewer: Viewer = Depends(current_user)):
    app = request.app.state.monitor
    with app.session() as s:
        o = _visible(s, viewer, order_id)
        meta = next((a for r in o.replies for a in r.attachments if a["sha256"] == sha256), None)
    if meta is None:
        raise HTTPException(404, "没有这个附件。")
    try:
        path = blob_path(app.settings.orders.attachments_dir, sha256)
    except AttachmentError:
        raise HTTPException(404, "没有这个附件。") from None
    if not path.is_file():
        raise HTTPException(404, "附件文件已不在存储目录中。")
    # Served as a download of the type its bytes were checked to be, never sniffed into HTML.
    return FileResponse(path, media_type=meta["type"], filename=meta["name"],
                        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"})


@router.get("/tongbao/{tongbao_id}.docx")
def tongbao_docx(request: Request, tongbao_id: int, viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    try:
        with app.session() as s:
            content = tongbao_content(s, tongbao_id)
    except IssueError:
        raise HTTPException(404, "没有这份通报。") from None
    tmp = write_tongbao_docx(content, temp_path("tongbao.docx"))
    return FileResponse(tmp, media_type=DOCX, filename=docx_name(content), background=BackgroundTask(remove_temp, tmp))


@router.get("/api/orders")
def api_orders(request: Request, viewer: Viewer = Depends(current_user)):
    app = request.app.state.monitor
    today = _now(request).date()
    with app.session() as s:
        return JSONResponse([order_json(o, today, app.tz) for o in all_orders(s, viewer.unit if viewer.is_unit else None)])
