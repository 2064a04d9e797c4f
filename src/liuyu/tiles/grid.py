"""WebMercatorQuad tile math: tile bounds in EPSG:3857 and lon/lat, and the tile matrix set itself.

Definitions follow the OGC Two Dimensional Tile Matrix Set standard (17-083r4), annex D
"WebMercatorQuad": spherical Mercator on the WGS 84 semi-major axis, origin at the top-left
corner (-20037508.34, 20037508.34), 256 x 256 cells per tile, 2^z x 2^z tiles at tile matrix z.
Tile rows grow southwards (the XYZ scheme web maps use); ``tileRow`` is y and ``tileCol`` is x.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

#: WGS 84 semi-major axis, the sphere radius of Web Mercator (EPSG:3857).
EARTH_RADIUS = 6378137.0
#: Half the width of the Web Mercator square: the world spans [-ORIGIN, ORIGIN] on both axes.
ORIGIN = math.pi * EARTH_RADIUS
#: Highest tile matrix served; tiles are generalized for every zoom up to this one.
MAX_ZOOM = 18
#: Highest tile matrix of the registered WebMercatorQuad definition.
TMS_MAX_ZOOM = 24
#: Cell size of the standard: 0.28 mm "standardized rendering pixel" (scale = cellSize / 0.00028).
RENDERING_PIXEL_M = 0.00028
TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
CRS_URI = "http://www.opengis.net/def/crs/EPSG/0/3857"
WKSS_URI = "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible"


class Tile(NamedTuple):
    """One tile of WebMercatorQuad: zoom (tile matrix), column x and row y (row 0 at the north)."""

    z: int
    x: int
    y: int


def tile_size(z: int) -> float:
    """Width (= height) of a tile at zoom ``z``, in EPSG:3857 metres."""
    return 2 * ORIGIN / (1 << z)


def is_valid(tile: Tile, max_zoom: int = MAX_ZOOM) -> bool:
    """Whether the tile exists in the tile matrix set, up to ``max_zoom``."""
    z, x, y = tile
    return 0 <= z <= max_zoom and 0 <= x < (1 << z) and 0 <= y < (1 << z)


def bounds_3857(tile: Tile) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of the tile in EPSG:3857.

    Examples
    --------
    >>> bounds_3857(Tile(0, 0, 0)) == (-ORIGIN, -ORIGIN, ORIGIN, ORIGIN)
    True
    """
    z, x, y = tile
    s = tile_size(z)
    return (-ORIGIN + x * s, ORIGIN - (y + 1) * s, -ORIGIN + (x + 1) * s, ORIGIN - y * s)


def mercator_to_lonlat(
    x: npt.ArrayLike, y: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Inverse spherical Mercator: EPSG:3857 metres to degrees (exact, no datum change)."""
    lon = np.degrees(np.asarray(x, dtype=np.float64) / EARTH_RADIUS)
    lat = np.degrees(np.arctan(np.sinh(np.asarray(y, dtype=np.float64) / EARTH_RADIUS)))
    return lon, lat


def bounds_lonlat(tile: Tile, buffer: float = 0.0) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the tile in degrees, grown by ``buffer`` (a fraction of a tile).

    Mercator maps a lon/lat rectangle onto an EPSG:3857 rectangle, so this box selects exactly
    the features that can touch the (buffered) tile. Latitudes are clamped to the Mercator limit.
    """
    minx, miny, maxx, maxy = bounds_3857(tile)
    pad = buffer * tile_size(tile.z)
    ys = np.clip([miny - pad, maxy + pad], -ORIGIN, ORIGIN)
    lon, lat = mercator_to_lonlat([minx - pad, maxx + pad], ys)
    return float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])


def tile_for_lonlat(lon: float, lat: float, z: int) -> Tile:
    """The tile at zoom ``z`` that contains a lon/lat point.

    Examples
    --------
    >>> tile_for_lonlat(116.39, 40.0, 10)  # the Olympic Green, Beijing
    Tile(z=10, x=843, y=387)
    """
    n = 1 << z
    phi = math.radians(max(min(lat, 85.0511287798), -85.0511287798))
    fx = (lon + 180.0) / 360.0 * n
    fy = (1.0 - math.asinh(math.tan(phi)) / math.pi) / 2.0 * n
    return Tile(z, min(max(int(fx), 0), n - 1), min(max(int(fy), 0), n - 1))


def tile_matrix_set(max_zoom: int = TMS_MAX_ZOOM) -> dict[str, Any]:
    """The WebMercatorQuad definition as the 2D TMS standard's JSON encoding gives it.

    Computed rather than copied so the numbers cannot drift from the tile math used to cut tiles.
    """
    matrices = []
    for z in range(max_zoom + 1):
        cell = tile_size(z) / 256
        matrices.append(
            {
                "id": str(z),
                "scaleDenominator": cell / RENDERING_PIXEL_M,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-ORIGIN, ORIGIN],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": 1 << z,
                "matrixHeight": 1 << z,
                "identifier": str(z),  # TMS 1.0 name, see below
                "topLeftCorner": [-ORIGIN, ORIGIN],
            }
        )
    # "identifier", "supportedCRS", "topLeftCorner", "lowerCorner"/"upperCorner" repeat the 2.0
    # members under their TMS 1.0 (17-083r2) names: GDAL before 3.7 (Debian 12's, under its QGIS)
    # reads only those, and 2.0 readers ignore them.
    return {
        "id": TMS_ID,
        "identifier": TMS_ID,
        "title": "Google Maps Compatible for the World",
        "uri": TMS_URI,
        "crs": CRS_URI,
        "supportedCRS": CRS_URI,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": WKSS_URI,
        "boundingBox": {
            "lowerLeft": [-ORIGIN, -ORIGIN],
            "upperRight": [ORIGIN, ORIGIN],
            "lowerCorner": [-ORIGIN, -ORIGIN],
            "upperCorner": [ORIGIN, ORIGIN],
            "crs": CRS_URI,
        },
        "tileMatrices": matrices,
    }


def matrix_limits(max_zoom: int = MAX_ZOOM) -> list[dict[str, Any]]:
    """tileMatrixSetLimits for zooms 0..max_zoom: every tile of each served matrix, none beyond."""
    return [
        {
            "tileMatrix": str(z),
            "minTileRow": 0,
            "maxTileRow": (1 << z) - 1,
            "minTileCol": 0,
            "maxTileCol": (1 << z) - 1,
        }
        for z in range(max_zoom + 1)
    ]
