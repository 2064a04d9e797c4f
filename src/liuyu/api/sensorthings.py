"""OGC SensorThings API 1.1 (read) under ``/sta/v1.1/``, and ``/api/latest`` for the map."""

from __future__ import annotations

import re
import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from liuyu.api.deps import workspace
from liuyu.api.params import FeatureNotFound, ParameterError
from liuyu.api.routing import OgcRoute, base_url, json_response
from liuyu.api.sta_entities import ENTITY_SETS
from liuyu.api.sta_options import parse_options
from liuyu.api.sta_query import Target, fetch_collection, fetch_one, render
from liuyu.errors import StoreError
from liuyu.store import gpkg_sta

PREFIX = "/sta/v1.1"
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
]
_SEGMENT = re.compile(r"^([A-Za-z]+)(?:\((?:'((?:[^']|'')*)'|(\d+))\))?$")

router = APIRouter(tags=["SensorThings"], route_class=OgcRoute)


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
    description="Query options: $top (default 100, at most 10000), $skip, $count, $orderby, $select, "
    "$filter, $expand (nested options separated by ';'). Collections page with @iot.nextLink.",
)
def resource(request: Request, path: str) -> Response:
    if not path.strip("/"):
        return service_root(request)
    conn = _connection(request)
    opts = parse_options({k: v for k, v in request.query_params.items() if k.startswith("$")})
    target = _resolve(conn, path)
    root = f"{base_url(request)}{PREFIX}"
    if target.single:
        row = fetch_one(conn, target)
        if row is None:
            raise FeatureNotFound(
                f"{path}: no such entity", hint=f"list them at {PREFIX}/{target.entity_set.name}"
            )
        return json_response(render(conn, root, target.entity_set, row, opts))
    body = fetch_collection(conn, root, target, opts)
    if "@iot.nextLink" in body:
        skip = opts.skip + opts.top
        body["@iot.nextLink"] = str(request.url.include_query_params(**{"$skip": skip, "$top": opts.top}))
    return json_response(body)


def _connection(request: Request) -> sqlite3.Connection:
    """The calling thread's SQLite connection of the embedded store (SensorThings reads are SQL)."""
    conn = getattr(workspace(request).store, "conn", None)
    if not isinstance(conn, sqlite3.Connection):
        raise StoreError(
            "SensorThings needs the embedded GeoPackage store", hint="serve a GeoPackage workspace"
        )
    return conn


def _resolve(conn: sqlite3.Connection, path: str) -> Target:
    """The entity set and conditions a resource path selects; 404 for an unknown id on the way."""
    segments = [s for s in path.strip("/").split("/") if s]
    target: Target | None = None
    for seg in segments:
        m = _SEGMENT.match(seg)
        if m is None:
            raise FeatureNotFound(f"{seg}: not a SensorThings resource path segment")
        name, key = m.group(1), m.group(2).replace("''", "'") if m.group(2) is not None else m.group(3)
        if target is None:
            if name not in ENTITY_SETS:
                raise FeatureNotFound(f"{name}: no such entity set", hint=f"one of {', '.join(ENTITY_SETS)}")
            target = Target(ENTITY_SETS[name])
        else:
            target = _navigate(conn, target, name, seg)
        if key is not None:
            value: Any = key if target.entity_set.string_ids or m.group(2) is not None else int(key)
            target = target.with_condition("e.id = ?", value, single=True)
    assert target is not None  # the path is not empty
    return target


def _navigate(conn: sqlite3.Connection, parent: Target, name: str, seg: str) -> Target:
    relation = parent.entity_set.relations.get(name)
    if relation is None:
        raise FeatureNotFound(f"{seg}: {parent.entity_set.name} has no navigation property {name!r}")
    if not parent.single:
        raise ParameterError(f"{seg}: navigate from one entity, e.g. {parent.entity_set.name}(1)/{name}")
    row = fetch_one(conn, parent)
    if row is None:
        raise FeatureNotFound(f"{parent.entity_set.name}: no such entity")
    return Target(ENTITY_SETS[relation.target]).with_condition(
        relation.condition, row[relation.parent_field], single=not relation.many
    )


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
    rows = gpkg_sta.latest_values(_connection(request), station)
    root = f"{base_url(request)}{PREFIX}"
    for row in rows:
        row["datastream"] = f"{root}/Datastreams({row['series_id']})"
    return json_response({"numberReturned": len(rows), "series": rows})
