"""/downloads: the xlsx workbook and the 通报 draft of T, and evidence packages (screenshot,
ZIP) — each behind the login; a unit user gets only its own accounts' evidence."""
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
from monitor.reports.workbook import write_workbook
from monitor.web.auth import Viewer, current_user, reviewer
from monitor.web.pages import page_at, remove_temp, render, scored_at, temp_path
from storage.models import EvidencePackage, Finding

router = APIRouter()
PACKAGE_ID = re.compile(r"^[0-9a-f]{64}$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/downloads")
def downloads(request: Request, at: str | None = None, viewer: Viewer = Depends(current_user)):
    return render(request, "downloads.html", at=page_at(request, at))


@router.get("/downloads/report.xlsx")
def workbook(request: Request, at: str | None = None, viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    t = scored_at(request, at)
    tmp = temp_path("report.xlsx")
    write_workbook(load(app, t), tmp)
    return FileResponse(tmp, media_type=XLSX, filename=f"政务新媒体检查评分表_{t.astimezone(app.tz):%Y%m%d}.xlsx",
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
