"""Exact and near duplicates in one delivery, found with hashes and one STRtree query.

- **Exact duplicates** (same geometry WKB and same attributes): the first is kept, every later
  copy is quarantined naming the row it repeats; storing both would double areas and counts.
- **Duplicate keys** (same key field, different content): the store identifies features by
  key, so only the first can be kept; the others are quarantined naming the first.
- **Near duplicates** (different keys, almost the same geometry): reported, both kept, since
  only the agency can say which one is right. Polygons: intersection over union >= 0.9;
  lines: Hausdorff distance <= 5 m; points: closer than 1 m (measured in the analysis CRS).
  Candidates come from an STRtree bounding-box query filtered with numpy on the boxes, so
  only a handful of exact geometric tests are made even on a million parcels.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.catalog import Category
from liuyu.geo import to_crs
from liuyu.ingest.problems import ProblemLog

NEAR_IOU = 0.9
NEAR_HAUSDORFF_M = 5.0
NEAR_POINT_M = 1.0
_BOX_IOU = 0.8  # bounding boxes of near-duplicate polygons overlap at least this much


def find_duplicates(
    frame: gpd.GeoDataFrame,
    pos: np.ndarray,
    rows: np.ndarray,
    category: Category,
    log: ProblemLog,
    analysis_crs: str,
) -> None:
    """Log exact duplicates and duplicate keys (errors) and near duplicates (warnings).

    ``frame`` holds the rows still accepted; ``pos`` their positions in the delivery and
    ``rows`` the source row numbers of every position (to name the row a copy repeats).
    """
    geoms = np.asarray(frame.geometry.values, dtype=object)
    exact = _exact(frame, geoms, pos, rows, log)
    keep = ~exact
    if category.key is not None:
        keys = frame[category.key].to_numpy(dtype=object)
        keep[np.flatnonzero(keep)] = ~_duplicate_keys(keys[keep], pos[keep], rows, category.key, log)
    _near_duplicates(geoms[keep], pos[keep], rows, category, log, analysis_crs)


def _exact(
    frame: gpd.GeoDataFrame, geoms: np.ndarray, pos: np.ndarray, rows: np.ndarray, log: ProblemLog
) -> np.ndarray:
    """Mask of later copies of a row; attributes are hashed only where geometries repeat."""
    wkb = np.asarray(shapely.to_wkb(geoms, byte_order=1), dtype=object)
    h_geom = pd.util.hash_array(wkb, categorize=False)
    same_geom = pd.Series(h_geom).duplicated(keep=False).to_numpy()
    exact = np.zeros(len(pos), dtype=bool)
    if not same_geom.any():
        return exact
    attrs = frame.drop(columns=frame.geometry.name).iloc[np.flatnonzero(same_geom)].astype(object)
    h = pd.util.hash_pandas_object(attrs, index=False).to_numpy() * np.uint64(0x9E3779B97F4A7C15)
    h = h + h_geom[same_geom]
    sub = pos[same_geom]
    first = pd.Series(sub).groupby(h).transform("first").to_numpy()
    exact[same_geom] = first != sub
    log.add(pos[exact], "exact_duplicate", detail=[f"same as row {rows[p]}" for p in first[first != sub]])
    return exact


def _duplicate_keys(
    keys: np.ndarray, pos: np.ndarray, rows: np.ndarray, key: str, log: ProblemLog
) -> np.ndarray:
    """Log later rows repeating a key; returns their mask."""
    s = pd.Series(keys)
    present = np.array(s.notna(), dtype=bool)
    out = np.zeros(len(keys), dtype=bool)
    if not present.any():
        return out
    sub = pd.Series(pos[present])
    first = sub.groupby(s[present].to_numpy()).transform("first").to_numpy()
    dup = first != pos[present]
    log.add(
        pos[present][dup],
        "duplicate_key",
        field=key,
        value=keys[present][dup],
        detail=[f"key also on row {rows[p]} (kept) with different content" for p in first[dup]],
    )
    out[np.flatnonzero(present)[dup]] = True
    return out


def _candidate_pairs(geoms: np.ndarray, point_tolerance_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) whose bounding boxes nearly coincide (or points within the tolerance)."""
    tree = shapely.STRtree(geoms)
    b = shapely.bounds(geoms)
    points = (b[:, 0] == b[:, 2]) & (b[:, 1] == b[:, 3])
    if points.all():
        left, right = tree.query(geoms, predicate="dwithin", distance=point_tolerance_deg)
        mask = left < right
        return left[mask], right[mask]
    left, right = tree.query(geoms)
    mask = left < right
    left, right = left[mask], right[mask]
    bl, br = b[left], b[right]
    ix = np.clip(np.minimum(bl[:, 2], br[:, 2]) - np.maximum(bl[:, 0], br[:, 0]), 0, None)
    iy = np.clip(np.minimum(bl[:, 3], br[:, 3]) - np.maximum(bl[:, 1], br[:, 1]), 0, None)
    inter = ix * iy
    area_l = (bl[:, 2] - bl[:, 0]) * (bl[:, 3] - bl[:, 1])
    area_r = (br[:, 2] - br[:, 0]) * (br[:, 3] - br[:, 1])
    union = area_l + area_r - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    close = iou >= _BOX_IOU
    return left[close], right[close]


def _near_duplicates(
    geoms: np.ndarray, pos: np.ndarray, rows: np.ndarray, category: Category, log: ProblemLog, crs: str
) -> None:
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    geoms, pos = geoms[present], pos[present]
    if len(geoms) < 2:
        return
    left, right = _candidate_pairs(geoms, NEAR_POINT_M * 3 / 111_000)
    if len(left) == 0:
        return
    a = to_crs(geoms[left], "EPSG:4490", crs)
    b = to_crs(geoms[right], "EPSG:4490", crs)
    kind = category.geometry
    if kind == "MultiPolygon":
        inter = shapely.area(shapely.intersection(a, b))
        union = shapely.area(a) + shapely.area(b) - inter
        score = np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
        near, text = score >= NEAR_IOU, [f"overlap {s:.0%} (IoU)" for s in score]
    elif kind == "MultiLineString":
        score = shapely.hausdorff_distance(a, b)
        near, text = score <= NEAR_HAUSDORFF_M, [f"Hausdorff distance {s:.1f} m" for s in score]
    else:
        score = shapely.distance(a, b)
        near, text = score <= NEAR_POINT_M, [f"{s:.2f} m apart" for s in score]
    texts = np.asarray(text, dtype=object)
    log.add(
        pos[right][near],
        "near_duplicate",
        severity="warning",
        detail=[f"{t}, with row {rows[p]}" for t, p in zip(texts[near], pos[left][near], strict=True)],
    )
