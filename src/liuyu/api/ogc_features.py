"""OGC API - Features: collections, their items (paged, filtered, in any offered CRS), queryables.

Read-only, current version by default; ``version=N`` (a Liuyu extension) reads a layer as it was
at version N. Endpoints are sync functions: FastAPI runs them in its thread pool and
``deps.workspace`` gives each thread its own SQLite connection.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.convertors import Convertor, register_url_convertor

from liuyu.api import deps, oas
from liuyu.api.collection_docs import (
    GEOJSON,
    SCHEMA_JSON,
    collection_doc,
    queryables_doc,
    vector_categories,
    vector_category,
)
from liuyu.api.cql import cql_filter
from liuyu.api.filters import datetime_filter, property_filters, queryable_types
from liuyu.api.geojson import feature, feature_collection, feature_properties
from liuyu.api.html_views import column_titles, svg_sketch
from liuyu.api.ogc_common import FormatParam
from liuyu.api.params import (
    ITEM_PARAMS,
    ITEMS_PARAMS,
    MAX_LIMIT,
    FeatureNotFound,
    OutputCRS,
    bbox_param,
    check_known,
    crs_param,
    limit_value,
    supported_crs,
    wants_html,
)
from liuyu.api.routing import (
    HTML,
    JSON,
    OgcRoute,
    base_url,
    check_param_error,
    format_links,
    html_response,
    json_response,
    link,
)
from liuyu.api.security import may_see
from liuyu.catalog import Category
from liuyu.errors import VersionError
from liuyu.store.query import FeatureQuery, FeatureRows, all_of
from liuyu.workspace import Workspace

router = APIRouter(route_class=OgcRoute, tags=["OGC API - Features"])


class _AnyText(Convertor[str]):
    """A path segment that may hold anything a feature key holds ('/', newlines): the rest of the path."""

    regex = r"[\s\S]*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("featurekey", _AnyText())

WorkspaceDep = Annotated[Workspace, Depends(deps.workspace)]
CollectionId = Annotated[
    str,
    Path(
        description="Collection id: a vector category code, e.g. `land_use`, `townships`, `stations`.",
        json_schema_extra={"enum": sorted(c.code for c in vector_categories())},
    ),
]
CrsParam = Annotated[
    str | None,
    Query(
        description="CRS of the returned coordinates, an OGC URI from the collection's `crs` list "
        "(default CRS84, lon/lat). Coordinates follow the CRS's axis order: EPSG:4490 and EPSG:4326 "
        "are lat/lon, EPSG:4548 northing/easting (OGC API Features Part 2).",
    ),
]
VersionParam = Annotated[
    int | None,
    Query(ge=1, description="Liuyu extension: read the layer as it was at this version (default: current)."),
]


def _vector(collection_id: str) -> Category:
    return vector_category(collection_id)


@router.get(
    "/collections",
    summary="Feature collections 数据集合",
    response_class=Response,
    responses=oas.responses(oas.COLLECTIONS),
    operation_id="getCollections",
)
def collections(request: Request, ws: WorkspaceDep, f: FormatParam = None) -> Response:
    """Every vector category as a collection, with extent, CRSs and links to items and tiles."""
    html = wants_html(f, request.headers.get("accept"))
    base = base_url(request)
    doc = {
        "links": format_links(request, html),
        "collections": [collection_doc(ws, cat, base) for cat in vector_categories() if may_see(cat.code)],
    }
    if html:
        return html_response("collections.html", doc=doc, base=base)
    return json_response(doc)


@router.get(
    "/collections/{collectionId}",
    summary="One feature collection 数据集合",
    response_class=Response,
    responses=oas.responses(oas.COLLECTION, not_found=True),
    operation_id="describeCollection",
)
def collection(
    request: Request, ws: WorkspaceDep, collectionId: CollectionId, f: FormatParam = None
) -> Response:
    """A collection's metadata: title, description, extent, CRSs and links."""
    cat = _vector(collectionId)
    html = wants_html(f, request.headers.get("accept"))
    base = base_url(request)
    doc = collection_doc(ws, cat, base)
    doc["links"] = format_links(request, html) + doc["links"][2:]
    if html:
        return html_response("collection.html", doc=doc, base=base, queryables=queryables_doc(cat, base))
    return json_response(doc)


@router.get(
    "/collections/{collectionId}/queryables",
    summary="Queryable properties 可查询属性",
    response_class=Response,
    responses=oas.responses(oas.QUERYABLES, SCHEMA_JSON, not_found=True),
    operation_id="getQueryables",
)
def queryables(request: Request, collectionId: CollectionId, f: FormatParam = None) -> Response:
    """The properties filters may name (`filter`, or `name=value` parameters), as a JSON Schema."""
    cat = _vector(collectionId)
    base = base_url(request)
    doc = queryables_doc(cat, base)
    if wants_html(f, request.headers.get("accept")):
        return html_response("queryables.html", doc=doc, base=base, collection=cat)
    return json_response(doc, SCHEMA_JSON)


@router.get(
    "/collections/{collectionId}/items",
    summary="Features 要素",
    response_class=Response,
    responses=oas.responses(oas.FEATURE_COLLECTION, GEOJSON, crs_header=True, not_found=True),
    operation_id="getFeatures",
)
def items(
    request: Request,
    ws: WorkspaceDep,
    collectionId: CollectionId,
    f: FormatParam = None,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            description=f"Features per page (default 10; more than {MAX_LIMIT} is served as {MAX_LIMIT}).",
            json_schema_extra={"maximum": MAX_LIMIT, "default": 10},
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0, description="Features to skip; `next`/`prev` links set it.")] = 0,
    bbox: Annotated[
        str | None,
        Query(
            description="minx,miny,maxx,maxy (6 numbers with heights also accepted), in CRS84 lon/lat "
            "or in `bbox-crs` and its axis order. Selects features whose geometry intersects it.",
        ),
    ] = None,
    bbox_crs: Annotated[
        str | None, Query(alias="bbox-crs", description="CRS of `bbox`, an OGC URI (default CRS84).")
    ] = None,
    crs: CrsParam = None,
    datetime: Annotated[
        str | None,
        Query(
            description="Instant or interval (`2021-06-01`, `2021-01-01/2021-12-31`, `../2021-12-31`) "
            "on the collection's time property; a 400 for collections without one.",
        ),
    ] = None,
    filter: Annotated[
        str | None,
        Query(
            description="CQL2 filter on the queryables, e.g. `class_code = '0101' AND area_m2 > 500` or "
            "`S_INTERSECTS(geometry, POLYGON((...)))`. Other query parameters named after a queryable "
            "are equality filters (`?county_code=110118`); any other unknown parameter is a 400.",
        ),
    ] = None,
    filter_lang: Annotated[
        str | None,
        Query(
            alias="filter-lang",
            description="`cql2-text` (default) or `cql2-json`.",
            json_schema_extra={"enum": ["cql2-text", "cql2-json"]},
        ),
    ] = None,
    filter_crs: Annotated[
        str | None,
        Query(alias="filter-crs", description="CRS of geometry literals in `filter` (default CRS84)."),
    ] = None,
    version: VersionParam = None,
) -> Response:
    """A page of a collection's features as GeoJSON (or HTML), with paging links and counts."""
    cat = _vector(collectionId)
    names = list(request.query_params.keys())
    check_known(names, ITEMS_PARAMS | set(queryable_types(cat)), f"/collections/{cat.code}/items")
    html = wants_html(f, request.headers.get("accept"))
    supported = supported_crs(ws.config.crs.analysis)
    out_crs = crs_param(crs, supported)
    where = all_of(
        bbox_param(bbox, crs_param(bbox_crs, supported, "bbox-crs")),
        datetime_filter(cat, datetime),
        property_filters(
            cat, [(k, v) for k, v in request.query_params.multi_items() if k not in ITEMS_PARAMS]
        ),
        cql_filter(filter, filter_lang, cat, crs_param(filter_crs, supported, "filter-crs")),
    )
    query = FeatureQuery(where=where, limit=limit_value(limit), offset=offset, version=version)
    try:
        rows = ws.store.query_features(cat, query, count=True)
    except VersionError as exc:
        raise check_param_error("version", exc) from exc
    matched = rows.number_matched if rows.number_matched is not None else len(rows)
    links = _page_links(request, cat, query, len(rows), matched, html)
    if html:
        return _items_html(request, cat, rows, links, matched, query)
    body = feature_collection(rows, out_crs, links=links, number_matched=matched)
    return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{out_crs.uri}>"})


def _page_links(
    request: Request, cat: Category, query: FeatureQuery, returned: int, matched: int, html: bool
) -> list[dict[str, Any]]:
    """self/alternate, next/prev (offset paging, other parameters kept) and the collection."""
    links = format_links(request, html, GEOJSON)
    page_type, fmt = (HTML, "html") if html else (GEOJSON, "json")

    def at(offset: int) -> str:
        return str(request.url.include_query_params(offset=offset, limit=query.limit, f=fmt))

    if query.offset + returned < matched:
        links.append(link(at(query.offset + returned), "next", page_type, "下一页 / next page"))
    if query.offset > 0:
        links.append(
            link(at(max(0, query.offset - query.limit)), "prev", page_type, "上一页 / previous page")
        )
    links.append(link(f"{base_url(request)}/collections/{cat.code}", "collection", JSON, cat.name_en))
    return links


def _items_html(
    request: Request,
    cat: Category,
    rows: FeatureRows,
    links: list[dict[str, Any]],
    matched: int,
    query: FeatureQuery,
) -> Response:
    base = base_url(request)
    return html_response(
        "items.html",
        collection=cat,
        base=base,
        links=links,
        titles=column_titles(cat),
        features=[(key, quote(key, safe=""), row) for key, row in zip(rows.keys, rows.rows, strict=True)],
        matched=matched,
        offset=query.offset,
        sketch=svg_sketch(rows.geometry),
    )


@router.get(
    "/collections/{collectionId}/items/{featureId:featurekey}",
    summary="One feature 要素",
    response_class=Response,
    responses=oas.responses(oas.FEATURE, GEOJSON, crs_header=True, not_found=True),
    operation_id="getFeature",
)
def item(
    request: Request,
    ws: WorkspaceDep,
    collectionId: CollectionId,
    featureId: Annotated[
        str, Path(description="The feature's key (stable across versions, e.g. a parcel id), URL-encoded.")
    ],
    f: FormatParam = None,
    crs: CrsParam = None,
    version: VersionParam = None,
) -> Response:
    """One feature by its key, with all its properties and the attributes delivered beyond them."""
    cat = _vector(collectionId)
    check_known(
        list(request.query_params.keys()), ITEM_PARAMS, f"/collections/{cat.code}/items/{{featureId}}"
    )
    html = wants_html(f, request.headers.get("accept"))
    out_crs: OutputCRS = crs_param(crs, supported_crs(ws.config.crs.analysis))
    try:
        rows = ws.store.get_feature(cat, featureId, version=version)
    except VersionError as exc:
        raise check_param_error("version", exc) from exc
    if rows is None:
        raise FeatureNotFound(
            f"collection {cat.code!r} has no feature {featureId!r}"
            + ("" if version is None else f" at version {version}"),
            hint=f"list its features at /collections/{cat.code}/items",
        )
    base = base_url(request)
    links = [
        *format_links(request, html, GEOJSON),
        link(f"{base}/collections/{cat.code}", "collection", JSON, cat.name_en),
    ]
    if html:
        props = feature_properties(rows)
        return html_response(
            "item.html",
            collection=cat,
            base=base,
            key=rows.keys[0],
            links=links,
            titles=column_titles(cat),
            props=props,
            extra=props.get("extra"),
            sketch=svg_sketch(rows.geometry),
        )
    body = feature(rows, out_crs, links=links)
    return Response(body, media_type=GEOJSON, headers={"Content-Crs": f"<{out_crs.uri}>"})
