"""Validate and repair a delivery's geometries, whole arrays at a time, logging every change.

- null or empty geometries are quarantined;
- geometries of the wrong type are quarantined; from a geometry collection the parts of the
  category's type are kept (and the dropped parts reported); a one-point MultiPoint in a
  point category becomes its point;
- invalid geometries are repaired with ``shapely.make_valid`` and each repair is logged with
  GEOS's reason and the area (or length) before and after, in m² (m) of the analysis CRS;
  a geometry that repairs to nothing is quarantined;
- features farther than a tolerance outside the basin are flagged (kept, reported).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from liuyu.catalog import Category
from liuyu.geo import to_crs
from liuyu.geo.types import GEOMETRY_TYPE_NAMES
from liuyu.ingest.problems import ProblemLog

STORAGE = "EPSG:4490"
#: GEOS type ids: the single-part type a category's geometries are made of.
PART_TYPE = {"MultiPolygon": 3, "MultiLineString": 1, "Point": 0, "MultiPoint": 0}
ALLOWED = {"MultiPolygon": (3, 6), "MultiLineString": (1, 5), "Point": (0,), "MultiPoint": (0, 4)}
TYPE_NAMES = GEOMETRY_TYPE_NAMES
OUTSIDE_BASIN_M = 1000.0


def check_geometries(
    geoms: np.ndarray, category: Category, log: ProblemLog, analysis_crs: str
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Quarantine empty and wrong-typed geometries, extract collections, repair invalid ones.

    Returns the geometries to store (repaired where needed; rows logged as errors keep their
    input geometry, which is what the quarantine records) and the list of repairs.
    """
    out = np.array(geoms, dtype=object, copy=True)
    missing = shapely.is_missing(out) | shapely.is_empty(out)
    log.add(np.flatnonzero(missing), "empty_geometry")
    types = shapely.get_type_id(out)
    allowed = np.isin(types, ALLOWED[category.geometry]) & ~missing
    foreign = ~allowed & ~missing
    _extract_parts(out, np.flatnonzero(foreign), category, log)
    types = shapely.get_type_id(out)
    allowed = np.isin(types, ALLOWED[category.geometry]) & ~missing
    invalid = allowed & ~shapely.is_valid(out)
    repairs = _repair(out, np.flatnonzero(invalid), category, log, analysis_crs)
    return out, repairs


def _extract_parts(out: np.ndarray, idx: np.ndarray, category: Category, log: ProblemLog) -> None:
    """Replace collections (and one-point MultiPoints in point layers) by their parts of the right type."""
    if len(idx) == 0:
        return
    want = PART_TYPE[category.geometry]
    names = np.array([TYPE_NAMES.get(int(t), "?") for t in shapely.get_type_id(out[idx])], dtype=object)
    parts, owner, n_parts = _parts_of_type(out[idx], want)
    n_kept = np.bincount(owner, minlength=len(idx))
    single = category.geometry == "Point"
    ok = (n_kept == 1) if single else (n_kept > 0)
    rebuilt = _regroup(parts, owner, len(idx), want, single=single)
    out[idx[ok]] = rebuilt[ok]
    log.add(
        idx[ok],
        "collection_parts",
        severity="warning",
        value=names[ok],
        detail=[f"kept {a} of {b} parts" for a, b in zip(n_kept[ok], n_parts[ok], strict=True)],
    )
    log.add(idx[~ok], "wrong_geometry_type", value=names[~ok], detail=f"expected {category.geometry}")


def _parts_of_type(geoms: np.ndarray, want: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The non-empty single parts of type ``want``, their owner (index into geoms), parts per owner."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    parts, sub = shapely.get_parts(parts, return_index=True)  # a collection may hold multi parts
    owner = owner[sub]
    n_parts = np.bincount(owner, minlength=len(geoms))
    keep = (shapely.get_type_id(parts) == want) & ~shapely.is_empty(parts)
    return parts[keep], owner[keep], n_parts


def _regroup(parts: np.ndarray, owner: np.ndarray, n: int, want: int, *, single: bool = False) -> np.ndarray:
    """One geometry per owner from its parts (None where an owner has none), in one GEOS call."""
    out = np.full(n, None, dtype=object)
    if len(parts) == 0:
        return out
    if single:
        first = np.unique(owner, return_index=True)[1]
        out[owner[first]] = parts[first]
        return out
    order = np.argsort(owner, kind="stable")
    build = {3: shapely.multipolygons, 1: shapely.multilinestrings, 0: shapely.multipoints}[want]
    result: np.ndarray = build(parts[order], indices=owner[order], out=out)
    return result


def _measure(geoms: np.ndarray, category: Category, analysis_crs: str) -> np.ndarray:
    """Area (polygons, m²) or length (lines, m) in the analysis CRS."""
    projected = to_crs(geoms, STORAGE, analysis_crs)
    if PART_TYPE[category.geometry] == 3:
        return np.asarray(shapely.area(projected), dtype=np.float64)
    return np.asarray(shapely.length(projected), dtype=np.float64)


def _repair(
    out: np.ndarray, idx: np.ndarray, category: Category, log: ProblemLog, analysis_crs: str
) -> list[dict[str, Any]]:
    """make_valid the invalid geometries; keep the parts of the category's type; log each."""
    if len(idx) == 0:
        return []
    before_geoms = out[idx]
    reasons = shapely.is_valid_reason(before_geoms)
    want = PART_TYPE[category.geometry]
    if want == 3:
        fixed = shapely.make_valid(before_geoms, method="structure", keep_collapsed=False)
    else:
        fixed = shapely.make_valid(before_geoms, method="linework")
    fixed_types = shapely.get_type_id(fixed)
    wrong = ~np.isin(fixed_types, ALLOWED[category.geometry]) & ~shapely.is_empty(fixed)
    if wrong.any():
        _keep_type(fixed, np.flatnonzero(wrong), want)
    dead = shapely.is_empty(fixed) | shapely.is_missing(fixed)
    log.add(idx[dead], "unrepairable_geometry", value=reasons[dead])
    good = ~dead
    out[idx[good]] = fixed[good]
    measure = "area_m2" if want == 3 else "length_m"
    before = _measure(before_geoms[good], category, analysis_crs)
    after = _measure(fixed[good], category, analysis_crs)
    unit = "m²" if want == 3 else "m"
    log.add(
        idx[good],
        "repaired_geometry",
        severity="warning",
        value=reasons[good],
        detail=[f"{measure[:-3]} {b:,.1f} → {a:,.1f} {unit}" for b, a in zip(before, after, strict=True)],
    )
    return [
        {"pos": int(p), "reason": str(r), f"{measure}_before": float(b), f"{measure}_after": float(a)}
        for p, r, b, a in zip(idx[good], reasons[good], before, after, strict=True)
    ]


def _keep_type(geoms: np.ndarray, idx: np.ndarray, want: int) -> None:
    """In place: the parts of type ``want`` of each geometry (empty when it has none)."""
    parts, owner, _ = _parts_of_type(geoms[idx], want)
    rebuilt = _regroup(parts, owner, len(idx), want)
    rebuilt[shapely.is_missing(rebuilt)] = shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")
    geoms[idx] = rebuilt


def outside_basin(
    geoms: np.ndarray, basin: Any, analysis_crs: str, tolerance_m: float = OUTSIDE_BASIN_M
) -> np.ndarray:
    """Mask of geometries farther than ``tolerance_m`` outside the basin (all in EPSG:4490).

    The basin is buffered by the tolerance in the projected analysis CRS and brought back to
    storage coordinates once; the test is then one prepared, vectorized ``intersects``.
    """
    zone = shapely.buffer(to_crs([basin], STORAGE, analysis_crs)[0], tolerance_m)
    zone = to_crs([zone], analysis_crs, STORAGE)[0]
    shapely.prepare(zone)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    out = np.zeros(len(geoms), dtype=bool)
    out[present] = ~shapely.intersects(zone, geoms[present])
    return out


def locations(geoms: np.ndarray) -> np.ndarray:
    """A (lon, lat) per geometry for maps of problems: its bbox centre (safe for invalid input)."""
    out = np.full((len(geoms), 2), np.nan)
    if len(geoms) == 0:
        return out
    b = shapely.bounds(geoms)
    return np.column_stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2])
