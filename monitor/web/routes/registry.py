"""/registry: upload an Annex 1 xlsx/csv (the CLI's reading, checks and per-row errors;
nothing is written while any row is invalid unless 跳过无效行 is ticked) and download it."""
from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from monitor.registry import RegistryFileError, UrlBases, export_accounts, list_accounts, read_registry, upsert_accounts
from monitor.web import audit, limits
from monitor.web.auth import Viewer, address, reviewer
from monitor.web.pages import remove_temp, render, temp_path
from monitor.web.routes.downloads import XLSX

router = APIRouter()
MAX_UPLOAD = 20 << 20  # an Annex 1 registry of 10,000 accounts is about 2 MB
limits.register(r"/registry", lambda settings: MAX_UPLOAD)


@router.get("/registry")
def registry(request: Request, viewer: Viewer = Depends(reviewer)):
    with request.app.state.monitor.session() as s:
        count = len(list_accounts(s))
    return render(request, "registry.html", count=count, result=None)


@router.post("/registry")
async def upload(request: Request, file: UploadFile = File(...), skip_invalid: bool = Form(False),
                 viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    name = Path(file.filename or "registry").name
    suffix = Path(name).suffix.lower()
    result = {"file": name, "errors": [], "warnings": [], "invalid": [], "imported": None}
    data = await file.read(MAX_UPLOAD + 1)
    if suffix not in (".xlsx", ".csv"):
        result["errors"].append(f"{name}：请上传 .xlsx 或 .csv 文件")
    elif len(data) > MAX_UPLOAD:
        result["errors"].append(f"{name}：文件超过 {MAX_UPLOAD >> 20} MB")
    else:
        with tempfile.TemporaryDirectory(prefix="monitor-web-") as tmp:
            path = Path(tmp) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                parsed = read_registry(path, UrlBases.from_settings(app.settings))
            except RegistryFileError as exc:
                result["errors"].append(str(exc).replace(str(path), name))
                parsed = None
        if parsed is not None:
            result["warnings"] = parsed.warnings
            result["invalid"] = [f"{name} {p}" for p in parsed.invalid]
            if parsed.invalid and not skip_invalid:
                result["errors"].append(f"{len(parsed.invalid)} 行无效：未导入任何数据（请修正，或勾选“跳过无效行”导入其余 "
                                        f"{len(parsed.records)} 行）")
            else:
                with app.session() as s:
                    done = upsert_accounts(s, parsed.records)
                result["imported"] = done
                audit.record(app, viewer.name, address(request), "registry_import", note=name,
                             changes={"created": len(done.created), "updated": len(done.updated),
                                      "unchanged": len(done.unchanged), "invalid_skipped": len(parsed.invalid)})
    with app.session() as s:
        count = len(list_accounts(s))
    status = 400 if result["errors"] else 200
    return render(request, "registry.html", status_code=status, count=count, result=result)


@router.get("/registry/download.xlsx")
def download(request: Request, viewer: Viewer = Depends(reviewer)):
    app = request.app.state.monitor
    tmp = temp_path("registry.xlsx")
    with app.session() as s:
        export_accounts(list_accounts(s), tmp)
    return FileResponse(tmp, media_type=XLSX, filename="政务新媒体登记表.xlsx", background=BackgroundTask(remove_temp, tmp))
