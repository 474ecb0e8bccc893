"""/downloads: the xlsx workbook and the 通报 draft of T, the periodic report of a month or a
quarter (docx, xlsx, html), and evidence packages (screenshot, ZIP) — each behind the login;
a unit user gets only its own accounts' evidence."""
from __future__ import annotations

import re
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, StreamingResponse
from starlette.background import BackgroundTask

from monitor.reports.data import load
from monitor.reports.html import render_tongbao
from monitor.reports.period import parse_period
from monitor.reports.workbook import write_workbook
from monitor.web.auth import Viewer, current_user, reviewer
from monitor.web.pages import page_at, remove_temp, render, scored_at, temp_path
from storage.models import EvidencePackage, Finding

router = APIRouter()
PACKAGE_ID = re.compile(r"^[0-9a-f]{64}$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/downloads")
def downloads(request: Request, at: str | None = None, viewer: Viewer = Depends(current_user)):
    t = page_at(request, at)
    app = request.app.state.monitor
    return render(request, "downloads.html", at=t, periods=[parse_period(p) for p in periods_of(t, app.tz)])


@router.get("/downloads/report.xlsx")
def workbook(request: Request, at: str | None = None, viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    t = scored_at(request, at)
    tmp = temp_path("report.xlsx")
    write_workbook(load(app, t), tmp)
    return FileResponse(tmp, media_type=XLSX, filename=f"政务新媒体检查评分表_{t.astimezone(app.tz):%Y%m%d}.xlsx",
                        background=BackgroundTask(remove_temp, tmp))


PERIODIC = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "xlsx": XLSX,
            "html": "text/html; charset=utf-8"}


def periods_of(at, tz) -> list[str]:
    """The quarter and the month T falls in, as --period spells them."""
    local = at.astimezone(tz)
    return [f"{local.year}Q{(local.month - 1) // 3 + 1}", f"{local.year}-{local.month:02d}"]


@router.get("/downloads/periodic.{fmt}")
def periodic(request: Request, fmt: str, period: str, viewer: Viewer = Depends(reviewer)):
    """The same files as ``monitor report --period``, built on request."""
    from monitor.reports import write_periodic_report
    from monitor.reports.period import PeriodError, parse_period

    if fmt not in PERIODIC:
        raise HTTPException(404, "没有这种格式的报告。")
    try:
        p = parse_period(period)
    except PeriodError as exc:
        raise HTTPException(400, str(exc)) from None
    app = request.app.state.monitor
    tmp = temp_path(f"periodic.{fmt}")
    try:
        write_periodic_report(app, p, tmp.parent, formats=(fmt,))
    except LookupError:
        remove_temp(tmp)
        raise HTTPException(404, f"{p.title_zh}没有运行过监测，无报告可下载。") from None
    return FileResponse(tmp, media_type=PERIODIC[fmt], filename=f"政务新媒体检查情况报告_{p.text.replace('..', '_')}.{fmt}",
                        background=BackgroundTask(remove_temp, tmp))


@router.get("/downloads/tongbao.html")
def tongbao(request: Request, at: str | None = None, viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    return HTMLResponse(render_tongbao(load(app, scored_at(request, at))))


def _package(request: Request, viewer: Viewer, package_id: str) -> Path:
    if not PACKAGE_ID.match(package_id):
        raise HTTPException(404, "没有这个证据包。")
    app = request.app.state.monitor
    with app.session() as s:
        pkg = s.get(EvidencePackage, package_id)
        if pkg is None:
            raise HTTPException(404, "没有这个证据包。")
        finding = s.get(Finding, pkg.finding_id) if pkg.finding_id else None
        if viewer.is_unit and (finding is None or not viewer.sees(finding.account)):
            raise HTTPException(404, "没有这个证据包。")
        folder = Path(pkg.path)
    if not folder.is_dir():
        raise HTTPException(404, f"证据包 {package_id[:12]} 的文件夹不存在。")
    return folder


@router.get("/evidence/{package_id}/screenshot.png")
def screenshot(request: Request, package_id: str, viewer: Viewer = Depends(current_user)):
    shot = _package(request, viewer, package_id) / "screenshot.png"
    if not shot.is_file():
        raise HTTPException(404, "证据包中没有截图。")
    return FileResponse(shot, media_type="image/png")


@router.get("/evidence/{package_id}.zip")
def package_zip(request: Request, package_id: str, viewer: Viewer = Depends(current_user)):
    folder = _package(request, viewer, package_id)
    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink():
                zf.write(path, f"{package_id}/{path.relative_to(folder).as_posix()}")
    spool.seek(0)

    def chunks():
        try:
            while block := spool.read(1 << 16):
                yield block
        finally:
            spool.close()

    return StreamingResponse(chunks(), media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="evidence-{package_id[:12]}.zip"'})
