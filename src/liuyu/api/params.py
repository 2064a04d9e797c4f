"""Query parameters of the OGC API routes, parsed into neutral values with errors that name them.

Every problem raises :class:`ParameterError` (a 400 with an OGC exception body) saying which
parameter was wrong and what is accepted, so a client author can fix the request at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass

import pyproj

from liuyu.catalog import Category
from liuyu.errors import LiuyuError
from liuyu.geo import crs_uri, parse_crs, transformer
from liuyu.store.query import BBox, Expr, Or

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
STORAGE_CRS_URI = "http://www.opengis.net/def/crs/EPSG/0/4490"
DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
#: Parameters the items route understands besides the collection's queryables.
ITEMS_PARAMS = frozenset(
    {
        "f",
        "limit",
        "offset",
        "bbox",
        "bbox-crs",
        "crs",
        "datetime",
        "filter",
        "filter-lang",
        "filter-crs",
        "version",
    }
)
ITEM_PARAMS = frozenset({"f", "crs", "version"})


class ParameterError(LiuyuError, ValueError):
    """A query parameter the API cannot accept; the message names it and what is accepted."""


class FeatureNotFound(LiuyuError, LookupError):
    """No feature with the requested id in the collection (at the requested version)."""


def wants_html(f: str | None, accept: str | None) -> bool:
    """HTML or JSON: ``f`` decides when given, else the Accept header (JSON when undecided)."""
    if f is not None:
        value = f.strip().lower()
        if value in ("json", "geojson", "application/json", "application/geo+json"):
            return False
        if value in ("html", "text/html"):
            return True
        raise ParameterError(f"f: {f!r} is not a known format", hint="use f=json or f=html")
    weights = {"html": 0.0, "json": 0.0}
    for part in (accept or "").split(","):
        media, _, params = part.strip().partition(";")
        q = _quality(params)
        media = media.strip().lower()
        if media in ("text/html", "application/xhtml+xml"):
            weights["html"] = max(weights["html"], q)
        elif media.endswith("json") or media in ("*/*", "application/*"):
            weights["json"] = max(weights["json"], q)
    return weights["html"] > weights["json"]


def _quality(params: str) -> float:
    for p in params.split(";"):
        key, _, value = p.strip().partition("=")
        if key == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def check_known(names: list[str], allowed: frozenset[str] | set[str], route: str) -> None:
    """Unknown parameters are a 400 (OGC API Features Part 1, /req/core/query-param-unknown).

    A misspelt filter that was silently ignored would return the wrong features.
    """
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise ParameterError(
            f"unknown query parameter {', '.join(map(repr, unknown))} for {route}",
            hint=f"accepted: {', '.join(sorted(allowed))}",
        )


def limit_value(limit: int | None) -> int:
    """The page size: 10 by default; more than 10,000 is served as 10,000 (Part 1 allows capping)."""
    return DEFAULT_LIMIT if limit is None else min(limit, MAX_LIMIT)


# --- coordinate reference systems ------------------------------------------------------------
@dataclass(frozen=True)
class OutputCRS:
    """A CRS a client may ask for: its OGC URI and whether its first axis is latitude/northing."""

    uri: str
    crs: pyproj.CRS

    @property
    def lat_first(self) -> bool:
        return axis_lat_first(self.uri)


@functools.lru_cache(maxsize=32)
def axis_lat_first(uri: str) -> bool:
    """True when the CRS's first axis points north/south (EPSG:4490, 4326, 4548 ...).

    OGC API Features Part 2 puts coordinates in the axis order the CRS defines (only CRS84 is
    lon/lat); GDAL's OAPIF driver and QGIS expect exactly that.
    """
    return parse_crs(uri).axis_info[0].direction.lower() in ("north", "south")


def supported_crs(analysis: str) -> list[str]:
    """The CRSs every collection offers: CRS84, CGCS2000 (storage), WGS 84 and the analysis CRS."""
    uris = [CRS84, STORAGE_CRS_URI, crs_uri("EPSG:4326"), crs_uri(analysis)]
    return list(dict.fromkeys(uris))


def crs_param(value: str | None, supported: list[str], name: str = "crs") -> OutputCRS:
    """The CRS named by a ``crs``/``bbox-crs``/``filter-crs`` parameter (an OGC URI; CRS84 default)."""
    if value is None or not value.strip():
        return OutputCRS(CRS84, parse_crs(CRS84))
    text = value.strip().strip("<>")
    try:
        uri = crs_uri(text)
    except LiuyuError:
        uri = None
    if uri not in supported:
        raise ParameterError(
            f"{name}: {value!r} is not a CRS this collection offers",
            hint=f"use one of {', '.join(supported)}",
        )
    return OutputCRS(uri, parse_crs(uri))


# --- bbox ----------------------------------------------------------------------------------------
def _numbers(value: str, name: str) -> list[float]:
    try:
        numbers = [float(v) for v in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise ParameterError(
            f"{name}: {value!r} is not 4 (or 6) comma-separated numbers",
            hint="write minx,miny,maxx,maxy in the axis order of bbox-crs, e.g. bbox=116.5,40.2,117.5,41.0",
        )
    return numbers if len(numbers) == 4 else [numbers[0], numbers[1], numbers[3], numbers[4]]


def bbox_param(value: str | None, bbox_crs: OutputCRS) -> Expr | None:
    """The ``bbox`` as an index test in the storage CRS (two boxes when it crosses the antimeridian)."""
    if value is None:
        return None
    a1, a2, b1, b2 = _numbers(value, "bbox")
    x0, y0, x1, y1 = (a2, a1, b2, b1) if bbox_crs.lat_first else (a1, a2, b1, b2)
    geographic = bbox_crs.crs.is_geographic
    if y0 > y1 or (x0 > x1 and not geographic):
        raise ParameterError(
            f"bbox: {value!r} has its lower corner above or right of its upper corner",
            hint="write the lower-left corner first, then the upper-right one",
        )
    if geographic and (min(y0, y1) < -90 or max(y0, y1) > 90):
        raise ParameterError(
            f"bbox: {value!r} has a latitude outside -90..90",
            hint="for EPSG:4326/4490 the order is lat,lon (bbox-crs); without bbox-crs it is lon,lat (CRS84)",
        )
    if geographic and x0 > x1:  # crosses the antimeridian
        return Or((_to_storage(x0, y0, 180.0, y1, bbox_crs), _to_storage(-180.0, y0, x1, y1, bbox_crs)))
    return _to_storage(x0, y0, x1, y1, bbox_crs)


def _to_storage(x0: float, y0: float, x1: float, y1: float, crs: OutputCRS) -> BBox:
    if crs.uri in (CRS84, STORAGE_CRS_URI) or is_identity(crs.uri, STORAGE_CRS_URI):
        return BBox(x0, y0, x1, y1)
    try:
        bx0, by0, bx1, by1 = transformer(crs.uri, STORAGE_CRS_URI).transform_bounds(
            x0, y0, x1, y1, densify_pts=21
        )
    except Exception as exc:  # pyproj raises for boxes outside the CRS's area of use
        raise ParameterError(f"bbox: cannot transform it from {crs.uri} ({exc})") from exc
    if not all(math.isfinite(v) for v in (bx0, by0, bx1, by1)):
        raise ParameterError(f"bbox: the box is outside the area where {crs.uri} is defined")
    return BBox(bx0, by0, bx1, by1)


@functools.lru_cache(maxsize=64)
def is_identity(src: str, dst: str) -> bool:
    """Whether PROJ maps ``src`` to ``dst`` without changing numbers (in always-xy order).

    CGCS2000, WGS 84 and CRS84 are related by a null "ballpark" transformation in PROJ, so
    output in those needs no arithmetic at all, only the axis order.
    """
    probe = ([100.0, 117.0, 130.0], [20.0, 40.5, 50.0])
    out = transformer(src, dst).transform(*probe)
    return bool(
        all(abs(a - b) < 1e-12 for a, b in zip([*out[0], *out[1]], [*probe[0], *probe[1]], strict=True))
    )


# --- datetime ------------------------------------------------------------------------------------
_DT_HINT = (
    "use an RFC 3339 instant or interval: 2021-06-01, 2021-06-01T08:00:00Z, "
    "2021-01-01/2021-12-31, ../2021-12-31 or 2021-01-01/.."
)


def _bounds(text: str) -> tuple[dt.datetime, dt.datetime]:
    """The first and last instant a date or date-time denotes (a date is its whole day), in UTC."""
    try:
        if "T" not in text.upper() and len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime.combine(day, dt.time(0, 0), dt.UTC)
            return start, start + dt.timedelta(days=1, microseconds=-1)
        moment = dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise ParameterError(f"datetime: {text!r} is not a date or date-time", hint=_DT_HINT) from exc
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    return moment, moment


def datetime_param(value: str) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``datetime`` as an inclusive UTC interval; an open end is None."""
    parts = value.strip().split("/")
    if len(parts) > 2 or not parts[0]:
        raise ParameterError(f"datetime: {value!r} is not an instant or an interval", hint=_DT_HINT)
    if len(parts) == 1:
        if parts[0] == "..":
            raise ParameterError("datetime: '..' alone is not an instant", hint=_DT_HINT)
        return _bounds(parts[0])
    start = None if parts[0] in ("", "..") else _bounds(parts[0])[0]
    end = None if parts[1] in ("", "..") else _bounds(parts[1])[1]
    if start is None and end is None:
        raise ParameterError(f"datetime: {value!r} is open at both ends", hint=_DT_HINT)
    if start is not None and end is not None and start > end:
        raise ParameterError(f"datetime: {value!r} ends before it starts", hint=_DT_HINT)
    return start, end


def time_value(moment: dt.datetime, ftype: str) -> str | int:
    """A UTC instant in the form the store keeps a field of type ``ftype`` in."""
    if ftype == "date":
        return moment.date().isoformat()
    if ftype == "integer":  # a year field such as survey_year
        return moment.year
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def require_time_field(category: Category) -> str:
    if category.time_field is None:
        raise ParameterError(
            f"datetime: collection {category.code!r} has no time property, so it cannot be filtered by time",
            hint="drop the datetime parameter for this collection",
        )
    return category.time_field
