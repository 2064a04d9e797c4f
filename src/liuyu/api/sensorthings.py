"""OGC SensorThings API 1.1 (read) under ``/sta/v1.1/``, and ``/api/latest`` for the map."""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import PlainTextResponse

from liuyu.api.deps import workspace
from liuyu.api.params import FeatureNotFound
from liuyu.api.routing import base_url, json_response
from liuyu.api.sta_entities import ENTITY_SETS
from liuyu.api.sta_errors import StaRoute
from liuyu.api.sta_options import Options, parse_options
from liuyu.api.sta_paths import fetch_refs, property_of, raw_value, resolve
from liuyu.api.sta_query import fetch_collection, fetch_one, next_query, render, sta_sql
from liuyu.errors import StoreError
from liuyu.store.sqlconn import dialect

PREFIX = "/sta/v1.1"
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
]

router = APIRouter(tags=["SensorThings"], route_class=StaRoute)


@router.get(PREFIX, summary="SensorThings service root: the entity sets and the conformance classes")
def service_root(request: Request) -> Response:
    root = f"{base_url(request)}{PREFIX}"
    return json_response(
        {
            "value": [{"name": name, "url": f"{root}/{name}"} for name in ENTITY_SETS],
            "serverSettings": {"conformance": CONFORMANCE},
        }
    )


@router.get(
    PREFIX + "/{path:path}",
    summary="SensorThings resource path, e.g. Things, Things(1)/Datastreams, Datastreams(5)/Observations",
    description="Also a property (Things(1)/name), its raw value (Things(1)/name/$value, text/plain) and "
    "association links (Datastreams(1)/Observations/$ref). Query options: $top (default 100, at most "
    "10000), $skip, $count, $orderby, $select, $filter, $expand (nested options separated by ';'). "
    "Collections page with @iot.nextLink. Errors: 400 for a bad request, 404 for a missing entity, "
    "with code, description and message.",
)
def resource(request: Request, path: str) -> Response:
    if not path.strip("/"):
        return service_root(request)
    conn = _connection(request)
    opts = parse_options({k: v for k, v in request.query_params.items() if k.startswith("$")})
    rp = resolve(conn, path)
    root = f"{base_url(request)}{PREFIX}"
    if rp.ref:
        return _page_response(request, fetch_refs(conn, root, rp.target, opts), opts)
    if not rp.target.single:
        return _page_response(request, fetch_collection(conn, root, rp.target, opts), opts)
    row = fetch_one(conn, rp.target)
    if row is None:
        raise FeatureNotFound(
            f"{path}: no such entity", hint=f"list them at {PREFIX}/{rp.target.entity_set.name}"
        )
    if not rp.prop:
        return json_response(render(conn, root, rp.target.entity_set, row, opts))
    name, value = property_of(conn, root, rp, row)
    if not rp.value:
        return json_response({name: value})
    text = raw_value(value)
    return Response(status_code=204) if text is None else PlainTextResponse(text)


def _page_response(request: Request, body: dict[str, Any], opts: Options) -> Response:
    """A collection page, its next link the request's own URL with the next page's cursor or ``$skip``."""
    if "@iot.nextLink" in body:
        query = next_query(dict(request.query_params), opts, body["@iot.nextLink"])
        body["@iot.nextLink"] = str(request.url.replace_query_params(**query))
    return json_response(body)


def _connection(request: Request) -> Any:
    """The calling thread's connection of the store: SQLite (GeoPackage) or PostgreSQL (PostGIS)."""
    conn = getattr(workspace(request).store, "conn", None)
    if not isinstance(conn, sqlite3.Connection) and dialect(conn) != "postgresql":
        raise StoreError(
            "SensorThings needs a GeoPackage or PostGIS store", hint="serve a workspace on one of them"
        )
    return conn


@router.get(
    "/api/latest",
    tags=["Liuyu"],
    summary="Latest observation of every series (for the map); a Liuyu extension to SensorThings",
    description="One row per series: its last observation's time (ISO 8601 UTC), value (null when "
    "missing), censor and qc_flag, with the current revision of that time. Each series is one index "
    "descent, so the cost follows the number of series, not of observations.",
)
def latest(
    request: Request,
    station: Annotated[str | None, Query(description="Only the series of this station code")] = None,
) -> Response:
    conn = _connection(request)
    rows = sta_sql(conn).latest_values(conn, station)
    root = f"{base_url(request)}{PREFIX}"
    for row in rows:
        row["datastream"] = f"{root}/Datastreams({row['series_id']})"
    return json_response({"numberReturned": len(rows), "series": rows})
