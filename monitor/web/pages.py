"""What every page handler shares: T from ``?at=`` (default: the newest T detection ran for)
and rendering a template with the signed-in user."""
from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from fastapi import HTTPException, Request

from monitor.reports.wording import no_cycle_text, not_scored_text
from monitor.scoring.scorer import has_cards
from monitor.scoring.selection import cycle_ran, shown_at


def page_at(request: Request, at: str | None, cycle_required: bool = False) -> datetime:
    """T of the page. A T no cycle ran for is refused (404) when asked for by ``?at=`` or when
    the page shows only what a cycle found (``cycle_required``: the API, downloads) — the same
    check as the CLI's ``monitor score``/``report``; a page never scores a night itself."""
    app = request.app.state.monitor
    try:
        t = shown_at(app, at or None)
    except ValueError as exc:
        raise HTTPException(400, f"监测时间点 at 无法识别：{exc}") from None
    if at or cycle_required:
        with app.session() as s:
            if not cycle_ran(s, t):
                raise HTTPException(404, no_cycle_text(t, app.tz))
    return t


def scored_at(request: Request, at: str | None) -> datetime:
    """T of a page built from the night's score cards (the API's scores, the downloads):
    404 if no cycle ran for it, 409 if its cards were not stored yet."""
    app = request.app.state.monitor
    t = page_at(request, at, cycle_required=True)
    with app.session() as s:
        if not has_cards(s, t):
            raise HTTPException(409, not_scored_text(t, app.tz))
    return t


def render(request: Request, template: str, status_code: int = 200, **context):
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def temp_path(name: str) -> Path:
    """A fresh file path in its own temporary folder, for a download built on request."""
    return Path(tempfile.mkdtemp(prefix="monitor-web-")) / name


def remove_temp(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.parent.rmdir()
