"""The application factory: ``create_app(app)`` → a FastAPI app on the product's App."""
from __future__ import annotations

import importlib
import pkgutil
import secrets
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

from fastapi import Depends, FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from monitor.app import App
from monitor.web import routes
from monitor.web.auth import LoginRequired, check_csrf
from monitor.web.limits import BodyLimit
from monitor.web.pages import render
from monitor.web.recheck_jobs import RecheckJobs
from monitor.web.templating import make_templates
from storage.types import utcnow

COOKIE = "monitor_session"


def page_routers() -> list:
    """Every page group's router (one module each in monitor.web.routes), in name order."""
    return [importlib.import_module(f"{routes.__name__}.{mod.name}").router
            for mod in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name)]


def create_app(app: App, clock: Callable[[], datetime] = utcnow) -> FastAPI:
    """``clock`` is what the login slow-down measures waits with (tests pass a fixed one)."""
    web = app.settings.web
    secret = web.secret_key.get_secret_value() if web.secret_key else secrets.token_urlsafe(32)
    api = FastAPI(title="政务新媒体监测工作台", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(check_csrf)])
    # Inside the session middleware, so a refusal renders like any other error page.
    api.add_middleware(BodyLimit, settings=app.settings, refuse=lambda request, exc: _http(request, exc))
    api.add_middleware(SessionMiddleware, secret_key=secret, session_cookie=COOKIE,
                       max_age=int(web.session_hours * 3600), same_site="lax",
                       https_only=web.public_url.startswith("https://"))
    api.state.monitor = app
    api.state.clock = clock
    api.state.recheck_jobs = RecheckJobs()
    api.state.templates = make_templates(app)
    report_css = Path(__file__).parents[1] / "reports" / "templates" / "base.css"

    @api.get("/static/report.css", include_in_schema=False)
    def _report_css():  # the report's own stylesheet: pages and report look alike
        return FileResponse(report_css, media_type="text/css")

    api.mount("/static", StaticFiles(packages=[("monitor.web", "static")]), name="static")
    for router in page_routers():
        api.include_router(router)

    @api.middleware("http")
    async def _server_timing(request: Request, call_next):
        # How long the server spent on the page (read by bench/web.py, shown by browser dev tools).
        t0 = time.perf_counter()
        response = await call_next(request)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - t0) * 1000:.1f}"
        return response

    @api.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired):
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": "login required"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @api.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/") or request.headers.get("HX-Request"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        message = "页面不存在。" if exc.detail == "Not Found" else exc.detail
        response = render(request, "error.html", status_code=exc.status_code, status=exc.status_code, message=message)
        response.headers.update(exc.headers or {})
        return response

    return api
