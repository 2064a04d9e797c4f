"""GeoJSON bodies built for speed: one vectorized reprojection, one orjson call per response.

A page whose geometries share one type (the store keeps one type per category) goes through
``shapely.to_ragged_array``: the coordinates are one float array, reprojected in one PROJ call,
and orjson writes its slices directly (shortest round-trip floats), so no coordinate ever
becomes a Python float. Mixed, missing or empty geometries fall back to GEOS's
``shapely.to_geojson``, embedded as pre-encoded fragments.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import numpy as np
import orjson
import shapely

from liuyu.api.params import STORAGE_CRS_URI, OutputCRS, is_identity
from liuyu.geo import transformer
from liuyu.store.query import FeatureRows

GEOJSON = "application/geo+json"


_GEOJSON_TYPES = {
    shapely.GeometryType.POINT: "Point",
    shapely.GeometryType.LINESTRING: "LineString",
    shapely.GeometryType.POLYGON: "Polygon",
    shapely.GeometryType.MULTIPOINT: "MultiPoint",
    shapely.GeometryType.MULTILINESTRING: "MultiLineString",
    shapely.GeometryType.MULTIPOLYGON: "MultiPolygon",
}


def output_coordinates(xy: np.ndarray, crs: OutputCRS) -> np.ndarray:
    """An (n, 2) array of storage-CRS x/y in ``crs``, in that CRS's axis order, C-contiguous.

    EPSG:4490, 4326 and 4548 put latitude/northing first (OGC API Features Part 2 follows the
    CRS definition); CRS84 keeps lon/lat. PROJ is skipped when it would not change the numbers.
    """
    if not is_identity(STORAGE_CRS_URI, crs.uri):
        x, y = transformer(STORAGE_CRS_URI, crs.uri).transform(xy[:, 0], xy[:, 1])
        xy = np.column_stack([x, y])
    return np.ascontiguousarray(xy[:, ::-1] if crs.lat_first else xy)


def output_geometries(geoms: np.ndarray, crs: OutputCRS) -> np.ndarray:
    """Geometries from the storage CRS into ``crs``, coordinates in that CRS's axis order.

    One ``shapely.transform`` call does the projection (when PROJ changes the numbers at all)
    and the swap to lat/lon or northing/easting order that EPSG:4490, 4326 and 4548 define.
    """
    swap = crs.lat_first
    identity = is_identity(STORAGE_CRS_URI, crs.uri)
    if identity and not swap:
        return geoms
    tr = None if identity else transformer(STORAGE_CRS_URI, crs.uri)

    def on_coords(xy: np.ndarray) -> np.ndarray:
        if tr is not None:
            x, y = tr.transform(xy[:, 0], xy[:, 1])
            xy = np.column_stack([x, y])
        return xy[:, ::-1] if swap else xy

    out: np.ndarray = shapely.transform(geoms, on_coords)
    return out


def _fragments(geoms: np.ndarray, crs: OutputCRS) -> list[Any]:
    """One GeoJSON geometry value per feature (a dict with numpy coordinates, a fragment, or None)."""
    if len(geoms) == 0:
        return []
    types = shapely.get_type_id(geoms)
    kind = int(types[0])
    if kind in _GEOJSON_TYPES and (types == kind).all() and not shapely.is_empty(geoms).any():
        _, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
        nested = _nest(output_coordinates(coords, crs), offsets)
        name = _GEOJSON_TYPES[kind]
        return [{"type": name, "coordinates": c} for c in nested]
    encoded = shapely.to_geojson(output_geometries(geoms, crs))
    return [None if g is None else orjson.Fragment(g) for g in encoded.tolist()]


def _nest(coords: np.ndarray, offsets: tuple[np.ndarray, ...]) -> list[Any]:
    """Per-geometry coordinate nests (rings in polygons in multipolygons ...) as array views."""
    if not offsets:  # points: one coordinate pair each
        return list(coords)
    parts: list[Any] = np.split(coords, offsets[0][1:-1])
    for level in offsets[1:]:
        bounds = level.tolist()
        parts = [parts[a:b] for a, b in itertools.pairwise(bounds)]
    return parts


def timestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feature_collection(
    rows: FeatureRows, crs: OutputCRS, *, links: list[dict[str, Any]], number_matched: int | None
) -> bytes:
    """A GeoJSON FeatureCollection with the OGC API members (numberMatched/Returned, timeStamp, links)."""
    columns = rows.columns
    features = [
        {
            "type": "Feature",
            "id": key,
            "geometry": geom,
            "properties": dict(zip(columns, values, strict=True)),
        }
        for key, geom, values in zip(rows.keys, _fragments(rows.geometry, crs), rows.rows, strict=True)
    ]
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if number_matched is not None:
        doc["numberMatched"] = number_matched
    doc["numberReturned"] = len(features)
    doc["timeStamp"] = timestamp()
    doc["links"] = links
    return orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY)


def feature_properties(rows: FeatureRows, i: int = 0) -> dict[str, Any]:
    """The properties of feature ``i``, with the delivered extra attributes when they were read."""
    props = dict(zip(rows.columns, rows.rows[i], strict=True))
    extra = None if rows.extra is None else rows.extra[i]
    if extra:
        try:
            props["extra"] = orjson.loads(extra)
        except orjson.JSONDecodeError:  # edited by hand in QGIS: show it as it is
            props["extra"] = extra
    return props


def feature(rows: FeatureRows, crs: OutputCRS, *, links: list[dict[str, Any]]) -> bytes:
    """The first feature of ``rows`` as a GeoJSON Feature with its links."""
    doc = {
        "type": "Feature",
        "id": rows.keys[0],
        "geometry": _fragments(rows.geometry[:1], crs)[0],
        "properties": feature_properties(rows),
        "links": links,
    }
    return orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY)
