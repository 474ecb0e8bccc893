"""What every page handler shares: T from ``?at=`` (default: the newest T detection ran for)
and rendering a template with the signed-in user."""
from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from fastapi import HTTPException, Request

from monitor.scoring.selection import shown_at


def page_at(request: Request, at: str | None) -> datetime:
    try:
        return shown_at(request.app.state.monitor, at or None)
    except ValueError as exc:
        raise HTTPException(400, f"监测时间点 at 无法识别：{exc}") from None


def render(request: Request, template: str, status_code: int = 200, **context):
    context.setdefault("viewer", getattr(request.state, "viewer", None))
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def temp_path(name: str) -> Path:
    """A fresh file path in its own temporary folder, for a download built on request."""
    return Path(tempfile.mkdtemp(prefix="monitor-web-")) / name


def remove_temp(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.parent.rmdir()
