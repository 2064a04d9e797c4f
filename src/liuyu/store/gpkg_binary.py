"""GeoPackage geometry blobs (header + ISO WKB), encoded and decoded for whole arrays at once.

Spec: OGC GeoPackage 1.4, §2.1.3 "Geometry Encoding". Liuyu always writes little-endian
blobs with an [minx, maxx, miny, maxy] envelope (envelope code 1), which is what GDAL and QGIS
write too; it reads any envelope code, because QGIS users may edit the tables directly.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Callable

import numpy as np
import shapely

_HEADER = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"), ("env", "<f8", (4,))]
)
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def encode(geoms: np.ndarray, srs_id: int, wkb: np.ndarray | None = None) -> list[bytes | None]:
    """GeoPackage blobs for an array of shapely geometries (None stays None).

    ``wkb`` may be passed when the caller already has the geometries' ISO little-endian WKB.
    """
    n = len(geoms)
    missing = shapely.is_missing(geoms)
    empty = shapely.is_empty(geoms) & ~missing
    if wkb is None:
        wkb = shapely.to_wkb(geoms, byte_order=1, flavor="iso")
    header = np.zeros(n, dtype=_HEADER)
    header["magic"] = b"GP"
    header["srs_id"] = srs_id
    bounds = shapely.bounds(geoms)  # minx, miny, maxx, maxy
    header["env"] = bounds[:, [0, 2, 1, 3]]
    header["flags"] = np.where(empty, 0b00010001, 0b00000011)
    raw = header.tobytes()
    size = _HEADER.itemsize
    out: list[bytes | None] = [
        None if w is None else (raw[i * size : i * size + 8] if e else raw[i * size : (i + 1) * size]) + w
        for i, (w, e) in enumerate(zip(wkb, empty, strict=True))
    ]
    return out


def _wkb_offset(blob: bytes) -> int:
    flags = blob[3]
    return 8 + _ENVELOPE_BYTES[(flags >> 1) & 0b111]


def decode(blobs: list[bytes | None] | np.ndarray) -> np.ndarray:
    """Shapely geometries from GeoPackage blobs (None for NULL)."""
    wkb = [None if b is None else b[_wkb_offset(b) :] for b in blobs]
    return shapely.from_wkb(np.asarray(wkb, dtype=object))


def envelope(blob: bytes | None) -> tuple[float, float, float, float] | None:
    """(minx, maxx, miny, maxy) of one blob, None for NULL or empty; used by the R-tree triggers."""
    if blob is None:
        return None
    flags = blob[3]
    if flags & 0b00010000:
        return None
    code = (flags >> 1) & 0b111
    if code:
        fmt = "<4d" if flags & 1 else ">4d"
        minx, maxx, miny, maxy = struct.unpack_from(fmt, blob, 8)
        return minx, maxx, miny, maxy
    geom = shapely.from_wkb(blob[_wkb_offset(blob) :])
    if geom.is_empty:
        return None
    x0, y0, x1, y1 = geom.bounds
    return x0, x1, y0, y1


def register_sql_functions(conn: sqlite3.Connection) -> None:
    """The ST_ functions the GeoPackage R-tree triggers call, for SQLite without SpatiaLite."""

    def _part(i: int) -> Callable[[bytes | None], float | None]:
        def fn(blob: bytes | None) -> float | None:
            env = envelope(blob)
            return None if env is None else env[i]

        return fn

    conn.create_function("ST_MinX", 1, _part(0), deterministic=True)
    conn.create_function("ST_MaxX", 1, _part(1), deterministic=True)
    conn.create_function("ST_MinY", 1, _part(2), deterministic=True)
    conn.create_function("ST_MaxY", 1, _part(3), deterministic=True)
    conn.create_function(
        "ST_IsEmpty", 1, lambda b: None if b is None else int(envelope(b) is None), deterministic=True
    )
