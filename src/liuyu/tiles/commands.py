"""Geometries in tile coordinates to Mapbox Vector Tile command streams, for all features at once.

Spec: Mapbox Vector Tile 2.1, section 4.3 (https://github.com/mapbox/vector-tile-spec/tree/master/2.1).
Coordinates are rounded to the integer tile grid here; rounding can collapse vertices, so
repeated points are removed (a LineTo must move the cursor), rings with fewer than three
distinct vertices or no area are dropped, and rings are reoriented so that exteriors have
positive area in the y-down tile grid (clockwise on screen), as the spec requires.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import shapely

from liuyu.tiles.wire import I64, U64, zigzag

GeomKind = Literal["point", "line", "polygon"]
#: MVT GeomType values.
MVT_TYPE = {"point": 1, "line": 2, "polygon": 3}
MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7
#: shapely type ids of the single-part types each kind is made of.
_PART_TYPE = {"point": 0, "line": 1, "polygon": 3}


class Commands(NamedTuple):
    """Command integers of the features that still have a geometry after rounding."""

    feature: I64  # index of each kept feature in the input
    ints: U64  # the concatenated command streams
    counts: I64  # stream length of each kept feature


def command(cmd: int, count: npt.ArrayLike) -> U64:
    """Command integers: the command id in the low 3 bits, the repeat count above."""
    return (np.asarray(count, dtype=np.uint64) << np.uint64(3)) | np.uint64(cmd)


def encode_geometries(geoms: np.ndarray, kind: GeomKind) -> Commands:
    """Command streams for an array of geometries already in tile coordinates (y down).

    Parts of other dimensions (a point left over by clipping a polygon) are ignored.
    """
    parts, feature = _parts(geoms, _PART_TYPE[kind])
    if kind == "point":
        return _points(parts, feature)
    if kind == "line":
        return _lines(parts, feature)
    return _polygons(parts, feature)


def _lines(parts: np.ndarray, feature: I64) -> Commands:
    coords, path = shapely.get_coordinates(parts, return_index=True)
    q, path = _drop_repeats(np.rint(coords).astype(np.int64), path, ring_closed=False)
    keep = np.bincount(path, minlength=len(parts)) >= 2
    sel = keep[path]
    return _paths(q[sel], path[sel], np.flatnonzero(keep), feature[keep], closed=False)


def _polygons(parts: np.ndarray, feature: I64) -> Commands:
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    exterior = np.r_[True, ring_part[1:] != ring_part[:-1]] if len(rings) else np.zeros(0, dtype=bool)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    q = np.rint(coords).astype(np.int64)
    first_of_ring = np.r_[True, ring[1:] != ring[:-1]] if len(ring) else np.zeros(0, dtype=bool)
    closing = np.r_[first_of_ring[1:], True] if len(ring) else first_of_ring
    q, ring = q[~closing], ring[~closing]  # MVT rings are implicitly closed
    q, ring = _drop_repeats(q, ring, ring_closed=True)
    q, ring, keep_ring = _valid_rings(q, ring, len(rings), exterior, ring_part)
    return _paths(q, ring, np.flatnonzero(keep_ring), feature[ring_part][keep_ring], closed=True)


def _parts(geoms: np.ndarray, part_type: int) -> tuple[np.ndarray, I64]:
    """Single-part geometries of the wanted type, with the index of the feature each came from."""
    parts, feature = shapely.get_parts(geoms, return_index=True)
    nested = shapely.get_type_id(parts) >= 4  # multi parts inside a collection from clipping
    if nested.any():
        inner, j = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], inner])
        feature = np.concatenate([feature[~nested], feature[nested][j]])
        order = np.argsort(feature, kind="stable")
        parts, feature = parts[order], feature[order]
    ok = (shapely.get_type_id(parts) == part_type) & ~shapely.is_empty(parts)
    return parts[ok], feature[ok].astype(np.int64)


def _drop_repeats(q: I64, group: I64, *, ring_closed: bool) -> tuple[I64, I64]:
    """Remove vertices equal to the previous one of the same path (and, for rings, a last = first)."""
    if len(q) == 0:
        return q, group
    same = np.r_[False, (group[1:] == group[:-1]) & (q[1:] == q[:-1]).all(axis=1)]
    q, group = q[~same], group[~same]
    if ring_closed and len(q):
        start = np.r_[True, group[1:] != group[:-1]]
        last = np.r_[start[1:], True]
        first_idx = np.flatnonzero(start)[np.cumsum(start) - 1]
        dup = last & ~start & (q == q[first_idx]).all(axis=1)
        q, group = q[~dup], group[~dup]
    return q, group


def _ring_areas(q: I64, ring: I64, n_rings: int) -> npt.NDArray[np.float64]:
    """Twice the signed area of every ring (surveyor's formula on the integer grid)."""
    area = np.zeros(n_rings, dtype=np.float64)
    if len(q) == 0:
        return area
    start = np.r_[True, ring[1:] != ring[:-1]]
    first_idx = np.flatnonzero(start)[np.cumsum(start) - 1]
    nxt = np.r_[np.arange(1, len(q)), 0]
    is_last = np.r_[start[1:], True]
    nxt[is_last] = first_idx[is_last]
    cross = q[:, 0] * q[nxt, 1] - q[nxt, 0] * q[:, 1]
    np.add.at(area, ring, cross.astype(np.float64))
    return area


def _valid_rings(
    q: I64, ring: I64, n_rings: int, exterior: npt.NDArray[np.bool_], ring_part: I64
) -> tuple[I64, I64, npt.NDArray[np.bool_]]:
    """Keep rings with >= 3 vertices and non-zero area (holes go with their exterior); fix winding."""
    n = np.bincount(ring, minlength=n_rings)
    area = _ring_areas(q, ring, n_rings)
    ok = (n >= 3) & (area != 0)
    part_ok = np.zeros(int(ring_part.max()) + 1 if len(ring_part) else 0, dtype=bool)
    part_ok[ring_part[exterior & ok]] = True
    keep_ring = ok & part_ok[ring_part]
    flip = keep_ring & np.where(exterior, area < 0, area > 0)
    sel = keep_ring[ring]
    q, ring = q[sel], ring[sel]
    if flip.any():
        start = np.r_[True, ring[1:] != ring[:-1]]
        first_idx = np.flatnonzero(start)[np.cumsum(start) - 1]
        pos = np.arange(len(q))
        rev = first_idx + (n[ring] - 1) - (pos - first_idx)
        q = q[np.where(flip[ring], rev, pos)]
    return q, ring, keep_ring


def _paths(q: I64, group: I64, groups: I64, group_feature: I64, *, closed: bool) -> Commands:
    """MoveTo, LineTo(n-1)[, ClosePath] per path; deltas run on across the paths of a feature.

    ``group`` numbers each vertex's path; ``groups`` lists the path numbers that have vertices,
    in order, and ``group_feature`` the feature of each.
    """
    rank = np.full(int(groups.max()) + 1 if len(groups) else 0, -1, dtype=np.int64)
    rank[groups] = np.arange(len(groups))
    g = rank[group]  # consecutive path numbers 0..P-1
    n = np.bincount(g, minlength=len(groups))
    per_path = 2 * n + (3 if closed else 2)
    path_start = np.cumsum(per_path) - per_path
    ints = np.zeros(int(per_path.sum()), dtype=np.uint64)
    ints[path_start] = command(MOVE_TO, 1)
    ints[path_start + 3] = command(LINE_TO, n - 1)
    if closed:
        ints[path_start + per_path - 1] = command(CLOSE_PATH, 1)
    k = np.arange(len(g)) - (np.cumsum(n) - n)[g]
    pos = path_start[g] + np.where(k == 0, 1, 2 + 2 * k)
    vertex_feature = group_feature[g]
    feature_start = np.r_[True, vertex_feature[1:] != vertex_feature[:-1]] if len(g) else g.astype(bool)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    delta[feature_start] = q[feature_start]
    ints[pos] = zigzag(delta[:, 0])
    ints[pos + 1] = zigzag(delta[:, 1])
    return _by_feature(group_feature, per_path, ints)


def _by_feature(path_feature: I64, per_path: I64, ints: U64) -> Commands:
    """Group the paths into features: the paths of one feature are adjacent, features ascending."""
    run = _dense(path_feature)
    counts = np.bincount(run, weights=per_path, minlength=int(run[-1]) + 1 if len(run) else 0)
    feats = path_feature[np.r_[True, path_feature[1:] != path_feature[:-1]]] if len(run) else path_feature
    return Commands(feats.astype(np.int64), ints, counts.astype(np.int64))


def _dense(values: I64) -> I64:
    """Consecutive runs numbered 0, 1, 2 ... (values equal to their predecessor share a number)."""
    if len(values) == 0:
        return values
    return np.cumsum(np.r_[True, values[1:] != values[:-1]]) - 1


def _points(parts: np.ndarray, feature: I64) -> Commands:
    """One MoveTo(count) per feature holding all its points."""
    q = np.rint(shapely.get_coordinates(parts)).astype(np.int64)
    if len(q) == 0:
        return Commands(np.empty(0, np.int64), np.empty(0, np.uint64), np.empty(0, np.int64))
    run = _dense(feature)
    n = np.bincount(run)
    per = 1 + 2 * n
    start = np.cumsum(per) - per
    ints = np.zeros(int(per.sum()), dtype=np.uint64)
    ints[start] = command(MOVE_TO, n)
    k = np.arange(len(q)) - (np.cumsum(n) - n)[run]
    pos = start[run] + 1 + 2 * k
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    fstart = np.r_[True, run[1:] != run[:-1]]
    delta[fstart] = q[fstart]
    ints[pos] = zigzag(delta[:, 0])
    ints[pos + 1] = zigzag(delta[:, 1])
    feats = feature[fstart]
    return Commands(feats, ints, per.astype(np.int64))
