"""The coordinate stage of an ingest: which CRS the delivery is in, and bringing it to EPSG:4490.

- The CRS comes from the file; ``crs=`` overrides it (the report says so when they differ).
- No CRS and no ``crs=``: refused, with the candidates read from the coordinate ranges.
- ``crs="gcj02"``/``"bd09"``: the offset is removed exactly (coordinates are offset lon/lat).
- Beijing 1954 / Xian 1980: refused unless transformation parameters are given
  (``towgs84=``, 3 or 7 Helmert parameters from the surveying authority); PROJ has only a
  null "ballpark" shift for these datums here, which Liuyu never applies silently
  (:func:`liuyu.ingest.crs_detect.check_datum`). With parameters the data goes to WGS 84 by
  them, then to CGCS2000 (the two agree to decimetres, see DOMAIN.md §5.1).
- After reprojection, features far outside China mean the CRS was wrong: refused, naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyproj
import shapely

from liuyu.errors import IngestError
from liuyu.geo import is_offset_crs, parse_crs, to_crs
from liuyu.ingest.crs_detect import check_datum, describe_missing_crs, old_datum, storage_target
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.problems import ProblemLog

STORAGE = "EPSG:4490"
CHINA = (70.0, 0.0, 140.0, 56.0)


@dataclass(frozen=True)
class CRSUsed:
    """What the ingest took the delivery's coordinates to be, and how it got to EPSG:4490."""

    source: str  # the CRS as a user reads it: "EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E)"
    how: str  # "file", "option", "option (file said …)"
    deoffset: str | None = None  # "gcj02" / "bd09"
    transformation: str | None = None  # e.g. the towgs84 parameters used

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def describe(crs: pyproj.CRS) -> str:
    """'EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E)', or the CRS name if it has no code."""
    auth = crs.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]} ({crs.name})" if auth else crs.name


def to_storage(
    delivery: Delivery,
    log: ProblemLog,
    *,
    crs: str | int | None = None,
    towgs84: str | None = None,
) -> tuple[np.ndarray, CRSUsed]:
    """The delivery's geometries in EPSG:4490, and what was assumed to get them there.

    CRS resolution and the old-datum rule are :mod:`liuyu.ingest.crs_detect`'s; this stage
    adds the report's account of it and the check that the result lands in China.
    """
    geoms = np.asarray(delivery.frame.geometry.values, dtype=object)
    if crs is not None and is_offset_crs(crs):
        return _from_offset(delivery, geoms, str(crs), log)
    src, used = _source_crs(delivery, crs, log)
    src = check_datum(src, towgs84=towgs84, where=delivery.source.name)
    if src.is_bound:
        datum = old_datum(src)
        used = CRSUsed(
            used.source,
            used.how,
            transformation=f"towgs84 {towgs84} (given){' from ' + datum if datum else ''}",
        )
    out = geoms if (not src.is_bound and src.to_epsg() == 4490) else to_crs(geoms, src, storage_target(src))
    _check_in_china(out, delivery, used)
    return out, used


def _source_crs(delivery: Delivery, crs: str | int | None, log: ProblemLog) -> tuple[pyproj.CRS, CRSUsed]:
    if crs is None:
        if delivery.crs is None:
            raise describe_missing_crs(delivery)
        return delivery.crs, CRSUsed(describe(delivery.crs), "file")
    given = parse_crs(crs)
    if delivery.crs is not None and not delivery.crs.equals(given, ignore_axis_order=True):
        log.note(
            "crs",
            f"the file declares {describe(delivery.crs)}, but {describe(given)} was given and is used",
        )
        return given, CRSUsed(describe(given), f"option (the file said {describe(delivery.crs)})")
    return given, CRSUsed(describe(given), "option")


def _from_offset(
    delivery: Delivery, geoms: np.ndarray, name: str, log: ProblemLog
) -> tuple[np.ndarray, CRSUsed]:
    """GCJ-02/BD-09 lon/lat: de-offset exactly to WGS 84, then CGCS2000 (decimetre agreement)."""
    key = name.lower().replace("-", "").replace("_", "")
    if delivery.crs is not None and not delivery.crs.is_geographic:
        raise IngestError(
            f"{delivery.source.name} declares the projected CRS {describe(delivery.crs)}, but --crs {name} "
            "means offset longitude/latitude",
            hint="GCJ-02/BD-09 data is always in degrees; drop --crs or check which file this is",
        )
    if delivery.crs is not None:
        log.note("crs", f"the file declares {describe(delivery.crs)}; its coordinates are taken as {key}")
    out = to_crs(geoms, key, "EPSG:4326")
    used = CRSUsed(f"{key.upper()} (offset WGS 84)", "option", deoffset=key)
    _check_in_china(out, delivery, used)
    return out, used


def _check_in_china(geoms: np.ndarray, delivery: Delivery, used: CRSUsed) -> None:
    """Refuse a layer whose reprojected extent is nowhere near China: the CRS must be wrong."""
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return
    b = shapely.bounds(geoms[present])
    with np.errstate(invalid="ignore"):
        cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        inside = (cx >= CHINA[0]) & (cx <= CHINA[2]) & (cy >= CHINA[1]) & (cy <= CHINA[3])
    if inside.mean() >= 0.5:
        return
    raw = shapely.total_bounds(np.asarray(delivery.frame.geometry.values)[present])
    raise IngestError(
        f"{delivery.source.name}: taken as {used.source}, the features land outside China "
        f"(source coordinates range x {raw[0]:.6g}..{raw[2]:.6g}, y {raw[1]:.6g}..{raw[3]:.6g})",
        hint="the coordinate system is wrong: check the .prj / --crs; 8-digit eastings carry a "
        "Gauss-Krüger zone prefix (e.g. EPSG:4527 for zone 39), 6-digit ones do not (EPSG:4548)",
    )
