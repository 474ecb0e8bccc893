"""/login and /logout."""
from __future__ import annotations

import math

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from monitor.web.audit import record
from monitor.web.auth import address, csrf_token, sign_in
from monitor.web.pages import render
from monitor.web.users import authenticate

router = APIRouter()


def _safe_next(target: str | None) -> str:
    # Only a path on this site: never an open redirect to another host.
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/"):
    csrf_token(request)
    return render(request, "login.html", next=_safe_next(next), error=None, username="")


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/")):
    app = request.app.state.monitor
    result = authenticate(app, username, password, request.app.state.clock())
    if result.ok:
        sign_in(request, result.user)
        record(app, result.user.name, address(request), "login")
        return RedirectResponse(_safe_next(next), status_code=303)
    seconds = math.ceil(result.wait.total_seconds())
    if result.refused:
        error, status = f"连续登录失败次数过多，请于 {seconds} 秒后再试。", 429
    else:
        error, status = "用户名或密码错误。" + (f"连续失败次数过多，请于 {seconds} 秒后再试。" if seconds else ""), 401
    return render(request, "login.html", status_code=status, next=_safe_next(next), error=error, username=username)


@router.get("/logout")
def logout_form(request: Request):
    csrf_token(request)
    return render(request, "logout.html")


@router.post("/logout")
def logout(request: Request):
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
