"""Route of the monthly bulletin: the same HTML page or PDF as `liuyu report monthly`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from liuyu.api.deps import workspace

router = APIRouter(prefix="/api", tags=["Reports"])


@router.get(
    "/reports/monthly",
    summary="The monthly water bulletin 水环境质量月报 (HTML or PDF)",
    response_class=Response,
    responses={
        200: {"content": {"text/html": {}, "application/pdf": {}}, "description": "The bulletin"},
        400: {"description": "Not a month, or an unknown language"},
    },
)
def monthly_report(
    request: Request,
    month: Annotated[str, Query(description="Month `2024-08`", pattern=r"^\d{4}-\d{2}$")],
    format: Annotated[Literal["html", "pdf"], Query(description="html (default) or pdf")] = "html",
    lang: Annotated[Literal["zh", "en"], Query(description="zh (default) or en")] = "zh",
) -> Response:
    from liuyu.report.monthly import build_monthly
    from liuyu.report.render import render_html, render_pdf

    bulletin = build_monthly(workspace(request), month)  # a bad month is a SchemaError: 400
    if format == "pdf":
        name = f"bulletin-{bulletin.month}-{lang}.pdf"
        return Response(
            render_pdf(bulletin, lang),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )
    return HTMLResponse(render_html(bulletin, lang))
