"""Routes of the problem ledger: list, map layer, detail, create, move, photos, overdue, stats, XLSX, page.

Who is calling comes from the app-wide access dependency (:mod:`liuyu.api.security`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pandas as pd
import shapely
from fastapi import APIRouter, Body, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from liuyu.access import AccessDenied
from liuyu.api import security
from liuyu.api.app import ogc_exception
from liuyu.api.deps import workspace
from liuyu.errors import LiuyuError
from liuyu.manage import ledger_ops
from liuyu.manage.ledger import (
    STAT_KEYS,
    MoveNotAllowed,
    is_overdue,
    load_codes,
    load_machine,
    overdue,
    stats,
)
from liuyu.manage.ledger_photos import PhotoTooLarge

router = APIRouter(tags=["Ledger 问题台账"])
MULTIPART_OVERHEAD = 64 * 1024


#: Who makes the request: the principal the app-wide access dependency identified (api/security.py).
Actor = security.Actor


def error_response(exc: LiuyuError) -> JSONResponse:
    """403 for access, 404 for something missing, 400 otherwise (OGC exception body)."""
    if isinstance(exc, AccessDenied):
        body = {"code": "Forbidden", "description": f"{exc.message} ({exc.hint})"}
        return JSONResponse(body, status_code=403)
    return ogc_exception(404 if isinstance(exc, LookupError) else 400, exc.message, exc.hint)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    frame = frame.drop(columns=[c for c in ("geometry", "fid") if c in frame.columns])
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _problem_json(rec: dict[str, Any], today: dt.date) -> dict[str, Any]:
    geom = rec.get("geometry")
    out = {k: v for k, v in rec.items() if k not in ("geometry", "fid")}
    out["geometry"] = shapely.geometry.mapping(geom) if geom is not None else None
    out["overdue"] = bool(is_overdue(pd.DataFrame([rec]), today)[0])
    return out


@router.get("/ledger", include_in_schema=False)
def ledger_page() -> Response:
    """The ledger's web page."""
    from liuyu.api.web import STATIC_DIR, front_end_installed

    if not front_end_installed():
        return ogc_exception(404, "the web front end is not installed", "run `npm ci --prefix src/liuyu/web`")
    return FileResponse(STATIC_DIR / "ledger.html", media_type="text/html; charset=utf-8")


@router.get("/api/ledger/codes", summary="States, moves, sources and categories of the ledger")
def codes() -> Any:
    m = load_machine()
    c = load_codes()
    return {
        "initial": m.initial,
        "states": [vars(s) for s in m.states.values()],
        "transitions": [
            {
                "from": t.source,
                "to": t.target,
                "name_zh": t.name_zh,
                "name_en": t.name_en,
                "roles": list(t.roles),
            }
            for t in m.transitions
        ],
        "sources": [vars(x) for x in c["sources"].values()],
        "categories": [vars(x) for x in c["categories"].values()],
    }


def _filtered(request: Request, **filters: Any) -> pd.DataFrame:
    return ledger_ops.problems(workspace(request), **filters)


StateQ = Annotated[
    str | None, Query(description="found, assigned, being_fixed, fix_submitted, verified, closed, reopened")
]
CategoryQ = Annotated[str | None, Query(description="Category code (see /api/ledger/codes)")]
JurQ = Annotated[str | None, Query(description="beijing, hebei, ...")]
SourceQ = Annotated[str | None, Query(description="inspection, enforcement, river_chief, complaint")]


@router.get("/api/ledger/problems", summary="Problems of the ledger, filtered")
def list_problems(
    request: Request,
    state: StateQ = None,
    category: CategoryQ = None,
    jurisdiction: JurQ = None,
    source: SourceQ = None,
    overdue_only: Annotated[bool, Query(alias="overdue", description="Only overdue problems")] = False,
) -> Any:
    try:
        rows = _filtered(request, state=state, category=category, jurisdiction=jurisdiction, source=source)
    except LiuyuError as exc:
        return error_response(exc)
    late = is_overdue(rows, dt.date.today())
    rows = rows.assign(overdue=late)
    if overdue_only:
        rows = rows[late]
    return {"problems": records(rows), "number": len(rows)}


@router.get("/api/ledger/problems.geojson", summary="Problems as GeoJSON, for the map layer")
def problems_geojson(
    request: Request, state: StateQ = None, category: CategoryQ = None, jurisdiction: JurQ = None
) -> Any:
    try:
        rows = _filtered(request, state=state, category=category, jurisdiction=jurisdiction)
    except LiuyuError as exc:
        return error_response(exc)
    late = is_overdue(rows, dt.date.today())
    keep = ["code", "title", "state", "category", "source", "jurisdiction", "deadline", "responsible_unit"]
    props = rows[keep].astype(object).where(rows[keep].notna(), None).to_dict("records")
    features = [
        {
            "type": "Feature",
            "id": p["code"],
            "geometry": shapely.geometry.mapping(g),
            "properties": {**p, "overdue": bool(o)},
        }
        for p, g, o in zip(props, rows["geometry"], late, strict=True)
    ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features}, media_type="application/geo+json"
    )


class NewProblemBody(BaseModel):
    title: str = Field(description="What was found 问题描述（简）")
    source: str = Field(description="inspection, enforcement, river_chief or complaint")
    category: str = Field(description="Category code, e.g. illegal_dumping")
    geometry: dict[str, Any] | None = Field(default=None, description="GeoJSON Point or Polygon, EPSG:4490")
    longitude: float | None = None
    latitude: float | None = None
    responsible_unit: str | None = None
    deadline: dt.date | None = None
    found_at: dt.datetime | None = None
    description: str | None = None
    location: str | None = None
    jurisdiction: str | None = None
    facility_code: str | None = None


@router.post("/api/ledger/problems", status_code=201, summary="Record a new problem")
def create_problem(request: Request, actor: Actor, body: Annotated[NewProblemBody, Body()]) -> Any:
    if body.geometry is not None:
        try:
            geom = shapely.geometry.shape(body.geometry)
        except (AttributeError, KeyError, TypeError, ValueError, IndexError, shapely.errors.ShapelyError):
            return ogc_exception(
                400,
                "geometry is not a GeoJSON geometry 位置无效",
                'e.g. {"type": "Point", "coordinates": [x, y]}',
            )
    elif body.longitude is not None and body.latitude is not None:
        geom = shapely.Point(body.longitude, body.latitude)
    else:
        return ogc_exception(
            400, "a problem needs a location", "give geometry (GeoJSON) or longitude and latitude"
        )
    fields = body.model_dump(exclude={"geometry", "longitude", "latitude"})
    try:
        rec = ledger_ops.add_problem(
            workspace(request), actor, ledger_ops.NewProblem(geometry=geom, **fields)
        )
    except LiuyuError as exc:
        return error_response(exc)
    return JSONResponse(_problem_json(rec, dt.date.today()), status_code=201)


@router.get("/api/ledger/problems/{code}", summary="One problem with its history, photos and next moves")
def get_problem(request: Request, code: str) -> Any:
    ws = workspace(request)
    try:
        rec = ledger_ops.problem(ws, code)
    except LiuyuError as exc:
        return error_response(exc)
    out = _problem_json(rec, dt.date.today())
    out["history"] = records(ledger_ops.history(ws, code))
    out["photos"] = records(ledger_ops.photos(ws, code).drop(columns=["path"]))
    out["next"] = [
        {"to": t.target, "name_zh": t.name_zh, "name_en": t.name_en}
        for t in load_machine().moves_from(rec["state"])
    ]
    return out


class MoveBody(BaseModel):
    to: str = Field(description="The state to move to (see `next` of the problem)")
    note: str | None = Field(default=None, description="What was done or decided 办理情况")
    deadline: dt.date | None = Field(
        default=None, description="New deadline 整改时限 (e.g. when re-assigning)"
    )
    responsible_unit: str | None = Field(
        default=None, description="Responsible unit 责任单位 (when assigning)"
    )


@router.post("/api/ledger/problems/{code}/transitions", summary="Move a problem to its next state")
def transition(request: Request, code: str, actor: Actor, body: Annotated[MoveBody, Body()]) -> Any:
    try:
        rec = ledger_ops.move(
            workspace(request),
            actor,
            code,
            body.to,
            body.note,
            deadline=body.deadline,
            unit=body.responsible_unit,
        )
    except LiuyuError as exc:
        if isinstance(exc, MoveNotAllowed):
            return JSONResponse({"code": "Conflict", "description": f"{exc.message} ({exc.hint})"}, 409)
        return error_response(exc)
    return _problem_json(rec, dt.date.today())


@router.post(
    "/api/ledger/problems/{code}/photos",
    status_code=201,
    summary="Attach a photo (JPEG, PNG or WebP; multipart field `file`)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                }
            },
        }
    },
)
async def upload_photo(request: Request, code: str, actor: Actor) -> Any:
    ws = workspace(request)
    limit = int(ws.config.ledger.photo_max_bytes)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        return ogc_exception(413, f"the upload is larger than {limit:,} bytes", "send a smaller photo")
    form = await request.form(max_files=1)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        return ogc_exception(400, "no file in the form", "send the photo as the multipart field `file`")
    data = await upload.read(limit + 1)
    try:
        row = await run_in_threadpool(ledger_ops.add_photo, ws, actor, code, data, upload.filename)
    except LiuyuError as exc:
        if isinstance(exc, PhotoTooLarge):
            return ogc_exception(413, exc.message, exc.hint)
        return error_response(exc)
    row.pop("path", None)
    return JSONResponse({k: (int(v) if k in ("id", "size") else v) for k, v in row.items()}, status_code=201)


@router.get("/api/ledger/problems/{code}/photos/{photo_id}", summary="One photo's file")
def photo(request: Request, code: str, photo_id: int) -> Any:
    try:
        path, media = ledger_ops.photo_file(workspace(request), code, photo_id)
    except LiuyuError as exc:
        return error_response(exc)
    return FileResponse(path, media_type=media, headers={"X-Content-Type-Options": "nosniff"})


@router.get("/api/ledger/overdue", summary="Problems past their deadline, most overdue first")
def overdue_list(
    request: Request, today: Annotated[dt.date | None, Query(description="Judge as of this day")] = None
) -> Any:
    rows = overdue(ledger_ops.problems(workspace(request)), today or dt.date.today())
    return {"problems": records(rows), "number": len(rows)}


@router.get("/api/ledger/stats", summary="Counts by category, jurisdiction, month, source or state")
def ledger_stats(
    request: Request,
    by: Annotated[str, Query(description=", ".join(STAT_KEYS))] = "category",
    today: Annotated[dt.date | None, Query(description="Overdue as of this day")] = None,
) -> Any:
    try:
        table = stats(ledger_ops.problems(workspace(request)), by, today or dt.date.today())
    except LiuyuError as exc:
        return error_response(exc)
    return {"by": by, "rows": records(table)}


@router.get(
    "/api/ledger/export.xlsx",
    summary="The ledger as an XLSX workbook (问题台账)",
    response_class=Response,
    responses={200: {"content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}},
)
def export_xlsx(
    request: Request, state: StateQ = None, category: CategoryQ = None, jurisdiction: JurQ = None
) -> Any:
    from liuyu.manage.ledger_export import export_ledger

    ws = workspace(request)
    try:
        rows = _filtered(request, state=state, category=category, jurisdiction=jurisdiction)
    except LiuyuError as exc:
        return error_response(exc)
    data = export_ledger(ws, rows)
    name = f"ledger-{dt.date.today().isoformat()}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
