"""The FastAPI application: one app per workspace, its routers, and OGC exception bodies."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from liuyu.config import CONFIG_NAME, load_config
from liuyu.errors import CategoryError, LiuyuError, VersionError
from liuyu.workspace import find_workspace


def create_app(workspace: str | os.PathLike[str] | None = None) -> FastAPI:
    """The API for one workspace (found like the CLI finds it when ``workspace`` is None).

    The app holds only the workspace path; stores are opened per thread (see ``deps``), so
    uvicorn workers and FastAPI's thread pool never share an SQLite connection.
    """
    from liuyu.api import (
        alert_routes,
        analysis_routes,
        assess_routes,
        audit_routes,
        auth_routes,
        facility_routes,
        ingest_routes,
        ledger_routes,
        limits,
        liuyu_routes,
        manage_routes,
        ogc_common,
        ogc_features,
        ogc_tiles,
        openapi,
        report_routes,
        security,
        sensorthings,
        series_routes,
        web,
    )

    root = Path(find_workspace(workspace))
    app = FastAPI(
        title="Liuyu 流域",
        description="One map and one monitoring network of a river basin: OGC API Features and Tiles.",
        version="0.1.0",
        openapi_url="/openapi.json",
        docs_url="/api.html",
        redoc_url=None,
        dependencies=[Depends(security.authorize)],  # every route: who calls, and may they (liuyu.access)
    )
    app.state.root = root
    security.install(app)
    app.include_router(auth_routes.router)
    app.include_router(ogc_common.router)
    app.include_router(ogc_features.router)
    app.include_router(ogc_tiles.router)
    app.include_router(liuyu_routes.router)
    app.include_router(web.router)
    app.include_router(ingest_routes.router)
    app.include_router(sensorthings.router)
    app.include_router(assess_routes.router)
    app.include_router(alert_routes.router)
    app.include_router(report_routes.router)
    app.include_router(series_routes.router)
    app.include_router(analysis_routes.router)
    app.include_router(ledger_routes.router)
    app.include_router(facility_routes.router)
    app.include_router(manage_routes.router)
    app.include_router(audit_routes.router)
    openapi.install(app)  # OpenAPI 3.0 (OGC oas30), not FastAPI's default 3.1
    server = load_config(root / CONFIG_NAME).server
    limits.install(app, server.max_upload_bytes, server.max_body_bytes)  # 413 before a route reads

    @app.exception_handler(LiuyuError)
    async def _liuyu_error(request: Request, exc: LiuyuError) -> JSONResponse:
        from liuyu.access import AccessDenied

        if isinstance(exc, AccessDenied):  # a row the principal may not change (liuyu.access)
            return JSONResponse({"code": "Forbidden", "description": f"{exc.message} ({exc.hint})"}, 403)
        status = 404 if isinstance(exc, CategoryError | VersionError) else 400
        return ogc_exception(status, exc.message, exc.hint)

    return app


def ogc_exception(status: int, detail: str, hint: str | None = None) -> JSONResponse:
    """An OGC API exception body (code, description), as OGC API - Common prescribes."""
    code = {400: "InvalidParameterValue", 404: "NotFound"}.get(status, "ServerError")
    body = {"code": code, "description": detail if hint is None else f"{detail} ({hint})"}
    return JSONResponse(body, status_code=status)
