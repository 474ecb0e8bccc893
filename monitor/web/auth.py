"""Who is asking: the signed session cookie, the signed-in user, roles and the CSRF token.

The session (Starlette's, signed with ``[web] secret_key``) holds only the user id and the
CSRF token; the user is re-read on every request so that ``monitor users disable`` ends
open sessions at once.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from storage.models import Account, User

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class LoginRequired(Exception):
    """No signed-in user: pages redirect to /login, the API answers 401."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in user as the pages need it (detached from any database session)."""

    id: int
    name: str
    role: str
    unit: str | None

    @property
    def is_unit(self) -> bool:
        return self.role == "unit"

    @property
    def can_review(self) -> bool:
        return self.role in ("admin", "inspector")

    def sees(self, account: Account) -> bool:
        return not self.is_unit or account.host_unit == self.unit

    def scope(self, query):
        """Restrict a query that involves Account to what this user may see."""
        return query.where(Account.host_unit == self.unit) if self.is_unit else query


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    """Every POST carries the session's token, as a form field or (htmx) a header."""
    if request.method != "POST":
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "请求缺少有效的 CSRF 令牌，请刷新页面后重试。")


def current_user(request: Request) -> Viewer:
    uid = request.session.get("uid")
    if uid is None:
        raise LoginRequired()
    with request.app.state.monitor.session() as s:
        user = s.get(User, uid)
        if user is None or user.disabled:
            request.session.pop("uid", None)
            raise LoginRequired()
        viewer = Viewer(user.id, user.name, user.role, user.unit)
    request.state.viewer = viewer
    return viewer


def reviewer(viewer: Viewer = Depends(current_user)) -> Viewer:
    if not viewer.can_review:
        raise HTTPException(403, "只有检查人员和管理员可以进行此操作。")
    return viewer


def admin(viewer: Viewer = Depends(current_user)) -> Viewer:
    if viewer.role != "admin":
        raise HTTPException(403, "只有管理员可以进行此操作。")
    return viewer


def visible_account(s, viewer: Viewer, account_id: int) -> Account:
    """The account, or 404 — also when it exists but belongs to another unit."""
    account = s.get(Account, account_id)
    if account is None or not viewer.sees(account):
        raise HTTPException(404, "没有这个账号。")
    return account


def sign_in(request: Request, user: User) -> None:
    request.session.clear()  # a fresh session (and CSRF token) at login: no fixation
    request.session["uid"] = user.id
    csrf_token(request)


def address(request: Request) -> str | None:
    return request.client.host if request.client else None
