"""`POST /api/ingest`: editors upload an agency's file; the answer is the ingest report. Plus the reports.

The upload is a multipart form with the file (a zipped shapefile, a GeoPackage, an XLSX, ...;
a shapefile may also come as its separate parts) and the CLI's options as fields. Uploads
must state their size (Content-Length) and stay under ``[server] max_upload_bytes`` of liuyu.toml
(checked by :mod:`liuyu.api.limits` before a byte of the body is read; 413 otherwise).

Who may upload is decided by the app-wide access dependency (``api/security.py``); an editor of
one jurisdiction writes that jurisdiction's features only (``policy.may_ingest``).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.datastructures import UploadFile

from liuyu.access import AccessDenied
from liuyu.access.policy import may_ingest
from liuyu.api import deps
from liuyu.api.security import current_principal, may_see
from liuyu.errors import IngestError
from liuyu.ingest import report as reports
from liuyu.ingest.headers import parse_field_map

router = APIRouter(prefix="/api/ingest", tags=["Ingest"])

MAX_FILES = 12
_MAIN_SUFFIXES = (
    ".zip",
    ".shp",
    ".gpkg",
    ".geojson",
    ".json",
    ".kml",
    ".kmz",
    ".dxf",
    ".csv",
    ".xlsx",
    ".tif",
    ".tiff",
)
_TEXT_FIELDS = (
    "category",
    "crs",
    "towgs84",
    "encoding",
    "agency",
    "jurisdiction",
    "layer",
    "scope",
    "area",
    "licence",
    "note",
)
_ID = re.compile(r"^\d{8}T\d{6}Z-[a-z0-9_]+-[0-9a-f]{6}$")


def require_editor(request: Request) -> str:
    """The author to record for a writing route: the principal's label, ``user (role@jurisdiction)``.

    Whether the caller may write at all was decided before the route ran, by the app-wide
    dependency (``api/security.py``, rules in ``access/routes.toml``); this only names them.
    """
    return current_principal(request).label


def _upload_body() -> dict[str, Any]:
    props: dict[str, Any] = {"file": {"type": "array", "items": {"type": "string", "format": "binary"}}}
    props.update({name: {"type": "string"} for name in _TEXT_FIELDS})
    props["dry_run"] = {"type": "boolean", "default": False}
    props["map"] = {"type": "array", "items": {"type": "string"}, "description": "SOURCE=FIELD"}
    props["category"]["description"] = "Category code (see /api/catalog)"
    schema = {"type": "object", "required": ["file", "category"], "properties": props}
    return {"required": True, "content": {"multipart/form-data": {"schema": schema}}}


@router.post(
    "",
    summary="Ingest an uploaded file",
    description="Upload an agency's file (multipart form: `file` plus the options of `liuyu ingest layer`). "
    "Returns the ingest report; status 201 when a version was written.",
    openapi_extra={"requestBody": _upload_body()},
    responses={
        201: {"description": "Ingested: the report"},
        400: {"description": "Not ingestible"},
        413: {"description": "Too large"},
    },
)
async def ingest(request: Request, user: Annotated[str, Depends(require_editor)]) -> JSONResponse:
    """Save the upload to a private folder, ingest it in a worker thread, answer with the report."""
    _check_size(request)
    form = await request.form(max_files=MAX_FILES, max_fields=40)
    try:
        files = [v for v in form.getlist("file") if isinstance(v, UploadFile)]
        options = _options(form, user)
        if not may_see(options["category"]):
            raise HTTPException(404, f"no collection {options['category']!r}")
        try:
            options["jurisdiction"], scope = may_ingest(
                current_principal(request), options.get("jurisdiction")
            )
        except AccessDenied as exc:
            raise HTTPException(403, f"{exc.message} ({exc.hint})") from exc
        if scope is not None:
            options["scope"] = scope
        with tempfile.TemporaryDirectory(prefix="liuyu-upload-") as tmp:
            main = await _save(files, Path(tmp))
            report = await run_in_threadpool(_run, request, main, options)
    finally:
        await form.close()
    return JSONResponse(report, status_code=201 if report["status"] == "written" else 200)


def _check_size(request: Request) -> None:
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():  # (the size limit itself: liuyu.api.limits)
        raise HTTPException(411, "send the upload with a Content-Length header")


def _options(form: Any, user: str) -> dict[str, Any]:
    options: dict[str, Any] = {k: str(form[k]) for k in _TEXT_FIELDS if form.get(k) not in (None, "")}
    if "category" not in options:
        raise IngestError("the form has no `category` field", hint="add category=CODE (see /api/catalog)")
    options["dry_run"] = str(form.get("dry_run", "")).lower() in ("1", "true", "yes", "on")
    options["user"] = user
    options["field_map"] = parse_field_map([str(v) for v in form.getlist("map")])
    return options


async def _save(files: list[UploadFile], folder: Path) -> Path:
    """Write the uploaded parts under their own (base) names; return the one to open."""
    if not files:
        raise IngestError("the form has no `file` part", hint="send the file as multipart field `file`")
    saved = []
    for part in files:
        name = Path(part.filename or "upload").name
        if not name or name in (".", ".."):
            raise IngestError(f"upload has an unusable file name {part.filename!r}")
        path = folder / name
        with path.open("wb") as out:
            while chunk := await part.read(1 << 20):
                out.write(chunk)
        saved.append(path)
    if len(saved) == 1:
        return saved[0]
    mains = [p for p in saved if p.suffix.lower() in _MAIN_SUFFIXES and p.suffix.lower() != ".json"]
    if len(mains) != 1:
        raise IngestError(
            f"{len(saved)} files uploaded and {len(mains)} of them could be the layer: "
            f"{', '.join(p.name for p in saved)}",
            hint="upload one file (zip a shapefile's parts), or one .shp with its .dbf/.shx/.prj/.cpg",
        )
    return mains[0]


def _run(request: Request, path: Path, options: dict[str, Any]) -> dict[str, Any]:
    ws = deps.workspace(request)
    category = options.pop("category")
    result = ws.ingest_layer(path, category, **options)
    return result.report


@router.get("/reports/{name}", summary="A stored ingest report (JSON, or HTML with .html)")
def get_report(request: Request, name: str) -> Any:
    """``{ingest_id}`` gives the JSON report, ``{ingest_id}.html`` the self-contained HTML page."""
    ingest_id, html = (name[:-5], True) if name.endswith(".html") else (name, False)
    root: Path = request.app.state.root
    if not _ID.match(ingest_id) or not may_see(ingest_id.split("-")[1]):  # a hidden layer's report: absent
        raise HTTPException(404, f"no ingest report {name!r}")
    path = root / reports.paths(ingest_id)["html" if html else "json"]
    if not path.exists():
        raise HTTPException(404, f"no ingest report {name!r}")
    if html:
        return HTMLResponse(path.read_text(encoding="utf-8"))
    return JSONResponse(reports.load(root, ingest_id))
