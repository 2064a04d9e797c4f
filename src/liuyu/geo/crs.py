"""CRS parsing, cached transformers, projection of geometry arrays, and area/length measures.

The Gauss-Krüger zone helpers live in :mod:`liuyu.geo.gk` and are re-exported here.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from pyproj.exceptions import CRSError as ProjCRSError

from liuyu.errors import CRSError
from liuyu.geo.gk import (
    Candidate,
    analysis_crs_for_bounds,
    gk_epsg,
    gk_zone_candidates,
    utm_or_gk_zone_for_lon,
)
from liuyu.geo.offsets import (
    FloatArray,
    GeometryArray,
    deoffset_geometries,
    offset_geometries,
)

__all__ = [
    "DEFAULT_ANALYSIS_CRS",
    "OFFSET_CRS_NAMES",
    "STORAGE_CRS",
    "CRSLike",
    "Candidate",
    "analysis_crs_for_bounds",
    "area_km2",
    "crs_uri",
    "epsg_code",
    "gk_epsg",
    "gk_zone_candidates",
    "is_offset_crs",
    "length_km",
    "parse_crs",
    "to_crs",
    "transformer",
    "utm_or_gk_zone_for_lon",
]

STORAGE_CRS = "EPSG:4490"
"""CGCS2000 geographic: what the store keeps (axis order lat/lon in EPSG; we use x=lon)."""
DEFAULT_ANALYSIS_CRS = "EPSG:4548"
"""CGCS2000 / 3-degree Gauss-Kruger CM 117E: the Miyun basin's metric CRS."""
OFFSET_CRS_NAMES = frozenset({"gcj02", "bd09"})
"""Pseudo-CRS names for offset WGS-84 (not PROJ CRSs); see :mod:`liuyu.geo.offsets`."""

CRSLike = str | int | pyproj.CRS

_SUGGESTION = "EPSG:4490 (CGCS2000) or EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E)"
_ALIASES = {"cgcs2000": "EPSG:4490", "crs84": "OGC:CRS84", "ogc:crs84": "OGC:CRS84"}
_OGC_URI = re.compile(r"^https?://www\.opengis\.net/def/crs/(\w+)/[^/]+/(\w+)/?$", re.IGNORECASE)
_URI_BASE = "http://www.opengis.net/def/crs"


def _offset_key(text: str) -> str:
    return text.strip().lower().replace("-", "").replace("_", "")


def is_offset_crs(crs: CRSLike) -> bool:
    """True for "gcj02"/"bd09" (any case, "GCJ-02"/"BD-09" too): offset WGS-84, not in PROJ.

    Check this before :func:`parse_crs`, and route such data through
    :func:`liuyu.geo.deoffset_geometries` or :func:`to_crs`.
    """
    return isinstance(crs, str) and _offset_key(crs) in OFFSET_CRS_NAMES


def _normalise_text(text: str) -> str:
    """Map the spellings agencies and OGC clients use onto ones PROJ accepts."""
    text = text.strip()
    if text.isdigit():
        return f"EPSG:{text}"
    match = _OGC_URI.match(text)
    if match:
        return f"{match.group(1).upper()}:{match.group(2)}"
    return _ALIASES.get(text.lower(), text)


def parse_crs(text: CRSLike) -> pyproj.CRS:
    """Read a CRS from any form users and OGC clients send.

    Accepts "EPSG:4548", "epsg:4548", "4548" (or the int), "CGCS2000", "OGC:CRS84", "CRS84",
    WKT, PROJ strings, OGC URIs (``http://www.opengis.net/def/crs/EPSG/0/4490``) and URNs.

    Raises
    ------
    CRSError
        If PROJ does not know it, or if it is "gcj02"/"bd09" (not PROJ CRSs: test with
        :func:`is_offset_crs` first).

    Examples
    --------
    >>> parse_crs("http://www.opengis.net/def/crs/EPSG/0/4490").to_epsg()
    4490
    """
    if isinstance(text, pyproj.CRS):
        return text
    if is_offset_crs(text):
        raise CRSError(
            f"{text!r} is an offset coordinate system (GCJ-02/BD-09), not a PROJ CRS",
            hint="test with liuyu.geo.is_offset_crs() first and convert with "
            "deoffset_geometries() or to_crs(), which handle it",
        )
    user_input = f"EPSG:{text}" if isinstance(text, int) else _normalise_text(text)
    try:
        return pyproj.CRS.from_user_input(user_input)
    except ProjCRSError as exc:
        raise CRSError(
            f"unknown coordinate reference system {text!r}", hint=f"use e.g. {_SUGGESTION}"
        ) from exc


def _authority(crs: pyproj.CRS) -> tuple[str, str] | None:
    """The exact (100 % confidence) authority and code, or None for a custom CRS."""
    return crs.to_authority(min_confidence=100)


def crs_uri(crs: CRSLike) -> str:
    """The OGC URI of a CRS, as OGC API Features Part 2 wants it.

    Examples
    --------
    >>> crs_uri("EPSG:4490")
    'http://www.opengis.net/def/crs/EPSG/0/4490'
    >>> crs_uri("CRS84")
    'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
    """
    parsed = parse_crs(crs)
    auth = _authority(parsed)
    if auth is None:
        raise CRSError(
            f"CRS {parsed.name!r} has no EPSG or OGC code, so it has no OGC URI",
            hint=f"publish the layer in a registered CRS, e.g. {_SUGGESTION}",
        )
    name, code = auth
    version = "1.3" if name.upper() == "OGC" else "0"
    return f"{_URI_BASE}/{name.upper()}/{version}/{code}"


def epsg_code(crs: CRSLike) -> int | None:
    """The EPSG code of a CRS, or None (e.g. for OGC:CRS84 or a custom PROJ string)."""
    auth = _authority(parse_crs(crs))
    return int(auth[1]) if auth is not None and auth[0].upper() == "EPSG" else None


def _key(crs: CRSLike) -> str:
    """One string per CRS, so equal CRSs spelled differently share a cached transformer."""
    parsed = parse_crs(crs)
    auth = _authority(parsed)
    return f"{auth[0]}:{auth[1]}" if auth is not None else parsed.to_wkt()


@functools.lru_cache(maxsize=64)
def _cached_transformer(src_key: str, dst_key: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(src_key, dst_key, always_xy=True)


def transformer(src: CRSLike, dst: CRSLike) -> pyproj.Transformer:
    """A cached pyproj Transformer, always (x=lon/easting, y=lat/northing) order.

    EPSG:4490 and EPSG:4326 declare lat/lon axis order; ``always_xy=True`` makes every call
    take and return (lon, lat), the order shapely geometries use. Building a transformer costs
    milliseconds, so they are cached per CRS pair (pyproj Transformers are thread-safe).
    """
    return _cached_transformer(_key(src), _key(dst))


def _project(geoms: GeometryArray, src: CRSLike, dst: CRSLike) -> GeometryArray:
    tr = transformer(src, dst)

    def on_coords(xy: FloatArray) -> FloatArray:
        return np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))

    result: GeometryArray = shapely.transform(geoms, on_coords, include_z=False)
    return result


def to_crs(geoms: npt.ArrayLike, src: CRSLike, dst: CRSLike) -> GeometryArray:
    """Reproject an array of shapely geometries in one vectorized call.

    ``src`` or ``dst`` may be "gcj02"/"bd09": the offset is removed (or applied) exactly and
    the data is then treated as WGS-84 (EPSG:4326). PROJ relates WGS-84 and CGCS2000 by a
    "ballpark" null transformation; the two frames agree to decimetres, which is fine for
    GIS work but not for survey control. Z coordinates are dropped (the store is 2-D).

    Parameters
    ----------
    geoms : array_like of shapely geometries
        Geometries in ``src`` (None entries stay None).
    src, dst : str, int or pyproj.CRS
        Anything :func:`parse_crs` accepts, or "gcj02"/"bd09".

    Returns
    -------
    numpy.ndarray of shapely geometries
        The geometries in ``dst``.

    Examples
    --------
    >>> import shapely
    >>> pt = to_crs([shapely.Point(117.0, 40.0)], "EPSG:4490", "EPSG:4548")[0]
    >>> round(pt.x)
    500000
    """
    array: GeometryArray = np.asarray(geoms, dtype=object)
    if is_offset_crs(src):
        array, src = deoffset_geometries(array, _offset_key(str(src))), "EPSG:4326"
    if is_offset_crs(dst):
        return offset_geometries(_project(array, src, "EPSG:4326"), _offset_key(str(dst)))
    return _project(array, src, dst)


def _projected(geoms: npt.ArrayLike, crs: CRSLike, analysis_crs: CRSLike) -> GeometryArray:
    target = parse_crs(analysis_crs)
    if not target.is_projected:
        raise CRSError(
            f"analysis CRS {target.name!r} is not projected: areas and lengths in degrees mean nothing",
            hint=f"set a projected analysis CRS in liuyu.toml, e.g. {DEFAULT_ANALYSIS_CRS}",
        )
    return to_crs(geoms, crs, target)


def area_km2(
    geoms: npt.ArrayLike, crs: CRSLike = STORAGE_CRS, analysis_crs: CRSLike = DEFAULT_ANALYSIS_CRS
) -> FloatArray:
    """Area of each geometry in km², measured in the projected analysis CRS.

    Gauss-Krüger is conformal, not equal-area: the area scale grows away from the central
    meridian, to ~0.04 % at the edge of a 3° zone at 40°N. A basin spanning several zones
    should configure an equal-area analysis CRS instead.

    Parameters
    ----------
    geoms : array_like of shapely geometries
        Geometries in ``crs``.
    crs : CRS-like
        The CRS of ``geoms`` (default the storage CRS, EPSG:4490).
    analysis_crs : CRS-like
        Projected CRS to measure in (default EPSG:4548).
    """
    return np.asarray(shapely.area(_projected(geoms, crs, analysis_crs)) / 1e6, dtype=np.float64)


def length_km(
    geoms: npt.ArrayLike, crs: CRSLike = STORAGE_CRS, analysis_crs: CRSLike = DEFAULT_ANALYSIS_CRS
) -> FloatArray:
    """Length (perimeter for polygons) of each geometry in km, in the analysis CRS.

    Parameters are as in :func:`area_km2`.
    """
    return np.asarray(shapely.length(_projected(geoms, crs, analysis_crs)) / 1e3, dtype=np.float64)
