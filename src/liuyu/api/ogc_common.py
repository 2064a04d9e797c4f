"""OGC API - Common: the landing page and the conformance declaration."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from liuyu.api import deps, oas
from liuyu.api.params import wants_html
from liuyu.api.routing import HTML, JSON, OgcRoute, base_url, format_links, html_response, json_response, link
from liuyu.workspace import Workspace

router = APIRouter(route_class=OgcRoute, tags=["OGC API - Common"])

_FEATURES = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf"
_FILTER = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf"
_CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf"
#: The conformance classes Liuyu implements and tests (tests/api); nothing is claimed on faith.
CONFORMANCE = [
    f"{_FEATURES}/core",
    f"{_FEATURES}/geojson",
    f"{_FEATURES}/html",
    f"{_FEATURES}/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    f"{_FILTER}/queryables",
    f"{_FILTER}/queryables-query-parameters",
    f"{_FILTER}/filter",
    f"{_FILTER}/features-filter",
    f"{_CQL2}/cql2-text",
    f"{_CQL2}/cql2-json",
    f"{_CQL2}/basic-cql2",
    f"{_CQL2}/advanced-comparison-operators",
    f"{_CQL2}/basic-spatial-functions",
    f"{_CQL2}/basic-spatial-functions-plus",
    f"{_CQL2}/spatial-functions",
]

FormatParam = Annotated[
    str | None,
    Query(
        description="Output format: `json` or `html`; without it the Accept header decides (default JSON).",
        json_schema_extra={"enum": ["json", "html"]},
    ),
]


@router.get(
    "/",
    summary="Landing page 首页",
    response_class=Response,
    responses=oas.responses(oas.LANDING),
    operation_id="getLandingPage",
)
def landing(
    request: Request,
    ws: Annotated[Workspace, Depends(deps.workspace)],
    f: FormatParam = None,
) -> Response:
    """The entry point: links to the API definition, conformance, collections and the web map."""
    html = wants_html(f, request.headers.get("accept"))
    base = base_url(request)
    basin = ws.config.basin
    doc = {
        "title": f"{basin.name} {basin.name_en} — 流域 Liuyu".strip(),
        "description": "一张图：流域的空间数据 (OGC API - Features)。"
        " One map of the basin's geodata, served as OGC API - Features.",
        "links": [
            *format_links(request, html),
            link(
                f"{base}/openapi.json",
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.0",
                "API 定义 / API definition (OpenAPI 3.0)",
            ),
            link(f"{base}/api.html", "service-doc", HTML, "API 文档 / API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "符合性 / conformance classes"),
            link(f"{base}/collections", "data", JSON, "数据集合 / collections"),
            link(f"{base}/map", "related", HTML, "地图 / web map"),
        ],
    }
    if html:
        return html_response("landing.html", doc=doc, base=base)
    return json_response(doc)


@router.get(
    "/conformance",
    summary="Conformance classes 符合性",
    response_class=Response,
    responses=oas.responses(oas.CONFORMANCE),
    operation_id="getConformanceDeclaration",
)
def conformance(request: Request, f: FormatParam = None) -> Response:
    """The OGC conformance classes this server implements (Features Parts 1-3, CQL2)."""
    html = wants_html(f, request.headers.get("accept"))
    doc = {"links": format_links(request, html), "conformsTo": CONFORMANCE}
    if html:
        return html_response("conformance.html", doc=doc, base=base_url(request))
    return json_response(doc)
