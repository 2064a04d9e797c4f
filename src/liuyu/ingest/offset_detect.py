"""Is a layer GCJ-02 (or BD-09) offset? Test whether removing the offset makes it meet the reference layers.

Data traced on Amap/Tencent (GCJ-02) or Baidu (BD-09) maps sits ~550 m (~1.3 km) off true
WGS-84/CGCS2000 in the Miyun basin. A layer that claims lon/lat but lands that far from the
counties, townships and rivers already in the workspace, and meets them once the offset is
removed, is flagged. Everything is vectorized over a sample of the layer's vertices.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias, Union

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from liuyu.errors import CRSError
from liuyu.geo import analysis_crs_for_bounds, bd09_to_wgs84, gcj02_to_wgs84, transformer, wgs84_to_gcj02

__all__ = ["MIN_MATCH", "OffsetSuspicion", "suspect_offset"]

MIN_MATCH = 0.2
"""Least share of sampled vertices that must meet the references once de-offset."""
GAIN = 2.5
"""How many times more vertices must meet the references after de-offsetting than before."""
_SAMPLE = 2000
_DEOFFSET = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_NAMES = {"gcj02": "GCJ-02 (Amap/Tencent, 火星坐标)", "bd09": "BD-09 (Baidu, 百度坐标)"}

GeometryLike: TypeAlias = Union[gpd.GeoDataFrame, gpd.GeoSeries, npt.ArrayLike]  # noqa: UP007


@dataclass(frozen=True)
class OffsetSuspicion:
    """A layer that agrees with the references much better once an offset is removed.

    ``shift_m`` is the offset at the layer's centre (``dx_m`` east, ``dy_m`` north: how far
    the delivered data sits from its true place); ``matched_*`` the share of sampled
    vertices within ``tolerance_m`` of a reference feature as delivered and after removing
    the offset; ``median_*_m`` the median distance to the nearest reference feature.
    """

    kind: str
    shift_m: float
    dx_m: float
    dy_m: float
    matched_before: float
    matched_after: float
    median_before_m: float
    median_after_m: float
    tolerance_m: float

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        """English and Chinese, for the ingest report."""
        return (
            f"the layer sits about {self.shift_m:.0f} m ({self.dx_m:+.0f} m east, {self.dy_m:+.0f} m north) "
            f"from the reference layers, like {_NAMES[self.kind]} data: with that offset removed "
            f"{self.matched_after:.0%} of its vertices meet them (within {self.tolerance_m:.0f} m) against "
            f"{self.matched_before:.0%} as delivered (median distance {self.median_before_m:.0f} m → "
            f"{self.median_after_m:.0f} m); re-ingest with --crs {self.kind} if it was traced on such a map "
            f"/ 图层与参考图层相差约{self.shift_m:.0f}米，疑为{_NAMES[self.kind]}偏移数据"
        )


def _geometries(data: GeometryLike) -> np.ndarray:
    """Geometries in lon/lat: a GeoDataFrame/GeoSeries with a projected CRS is converted."""
    if isinstance(data, gpd.GeoDataFrame | gpd.GeoSeries):
        series = data.geometry if isinstance(data, gpd.GeoDataFrame) else data
        if series.crs is not None and not series.crs.is_geographic:
            series = series.to_crs("EPSG:4490")
        return np.asarray(series.values, dtype=object)
    return np.asarray(data, dtype=object)


def _sample_vertices(geoms: np.ndarray, size: int) -> np.ndarray:
    coords = shapely.get_coordinates(geoms[~shapely.is_missing(geoms)])
    if len(coords) > size:
        coords = coords[np.linspace(0, len(coords) - 1, size).astype(np.int64)]
    return coords


def _linework(geoms: np.ndarray, crs: str, window: tuple[float, float, float, float]) -> np.ndarray:
    """Reference features near ``window`` (metric xmin, ymin, xmax, ymax) as points and 2-point
    segments in ``crs``: exact nearest distances, and an STRtree that stays small."""
    parts = shapely.get_parts(geoms[~shapely.is_missing(geoms)])
    polygons = shapely.get_type_id(parts) == 3
    parts = np.concatenate([parts[~polygons], shapely.get_parts(shapely.boundary(parts[polygons]))])
    kinds = shapely.get_type_id(parts)
    points = _project(shapely.get_coordinates(parts[kinds == 0]), crs)
    coords, index = shapely.get_coordinates(parts[np.isin(kinds, [1, 2])], return_index=True)
    coords = _project(coords, crs)
    same = index[1:] == index[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    xmin, ymin, xmax, ymax = window
    near = (
        (np.maximum(a[:, 0], b[:, 0]) >= xmin)
        & (np.minimum(a[:, 0], b[:, 0]) <= xmax)
        & (np.maximum(a[:, 1], b[:, 1]) >= ymin)
        & (np.minimum(a[:, 1], b[:, 1]) <= ymax)
    )
    inside = (points[:, 0] >= xmin) & (points[:, 0] <= xmax) & (points[:, 1] >= ymin) & (points[:, 1] <= ymax)
    segments = shapely.linestrings(np.stack([a[near], b[near]], axis=1))
    return np.concatenate([shapely.points(points[inside]), segments])


def _project(xy: np.ndarray, crs: str) -> np.ndarray:
    if len(xy) == 0:
        return np.zeros((0, 2))
    x, y = transformer("EPSG:4490", crs).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _shift(centre: np.ndarray, moved: tuple[npt.ArrayLike, npt.ArrayLike], crs: str) -> np.ndarray:
    """The metric (east, north) vector from ``centre`` to a lon/lat point."""
    lon, lat = (float(np.asarray(v)) for v in moved)
    out: np.ndarray = _project(np.array([[lon, lat]]), crs)[0] - centre
    return out


def _distances(tree: shapely.STRtree, xy: np.ndarray, cap: float) -> np.ndarray:
    """Distance from each point to its nearest reference feature, capped at ``cap`` metres."""
    points = shapely.points(xy)
    (src, _), dist = tree.query_nearest(points, max_distance=cap, return_distance=True, all_matches=False)
    out = np.full(len(xy), cap)
    out[src] = np.minimum(dist, cap)
    return out


def suspect_offset(
    frame_lonlat: GeometryLike,
    reference_frames: Iterable[GeometryLike],
    *,
    tolerance_m: float | None = None,
    sample: int = _SAMPLE,
) -> OffsetSuspicion | None:
    """Flag a lon/lat layer that meets the reference layers only once a GCJ-02/BD-09 offset is removed.

    The expected offset is computed at the layer's centre with :func:`liuyu.geo.wgs84_to_gcj02`
    (~550 m here). Up to ``sample`` vertices of the layer are compared, as delivered and
    de-offset (GCJ-02 and BD-09), with the nearest reference point or segment in the
    basin's metric CRS. The layer is flagged when, de-offset, at least :data:`MIN_MATCH`
    of its vertices lie within ``tolerance_m`` of a reference and :data:`GAIN` times as
    many as before.

    Parameters
    ----------
    frame_lonlat : GeoDataFrame, GeoSeries or array of geometries
        The delivered layer, in longitude/latitude (as delivered, not yet de-offset).
    reference_frames : iterable of the same
        Layers trusted to be right (counties, townships, rivers already in the workspace).
    tolerance_m : float, optional
        How close counts as meeting; default a quarter of the expected offset (~140 m).

    Returns
    -------
    OffsetSuspicion or None
        None when the layer agrees as it is, overlaps no reference, or is outside China.
    """
    xy = _sample_vertices(_geometries(frame_lonlat), sample)
    refs = [_geometries(r) for r in reference_frames]
    if len(xy) == 0 or not refs:
        return None
    cx, cy = float(np.mean(xy[:, 0])), float(np.mean(xy[:, 1]))
    try:
        metric = analysis_crs_for_bounds(float(xy[:, 0].min()), float(xy[:, 0].max()))
    except CRSError:
        return None
    centre = _project(np.array([[cx, cy]]), metric)[0]
    shift = _shift(centre, wgs84_to_gcj02(cx, cy), metric)
    if float(np.hypot(*shift)) < 1.0:  # outside China: no offset to look for
        return None
    tol = tolerance_m if tolerance_m is not None else float(np.hypot(*shift)) / 4.0
    cap = 16.0 * tol
    sample_m = _project(xy, metric)
    lo, hi = sample_m.min(axis=0) - 2 * cap, sample_m.max(axis=0) + 2 * cap
    lines = _linework(np.concatenate(refs), metric, (lo[0], lo[1], hi[0], hi[1]))
    if len(lines) == 0:
        return None
    tree = shapely.STRtree(lines)
    before = _distances(tree, sample_m, cap)
    best: OffsetSuspicion | None = None
    for kind, inverse in _DEOFFSET.items():
        after = _distances(tree, _project(np.column_stack(inverse(xy[:, 0], xy[:, 1])), metric), cap)
        true_centre = _project(np.array([[float(v) for v in inverse(cx, cy)]]), metric)[0]
        dx, dy = centre - true_centre
        found = OffsetSuspicion(
            kind=kind,
            shift_m=float(np.hypot(dx, dy)),
            dx_m=float(dx),
            dy_m=float(dy),
            matched_before=float(np.mean(before <= tol)),
            matched_after=float(np.mean(after <= tol)),
            median_before_m=float(np.median(before)),
            median_after_m=float(np.median(after)),
            tolerance_m=float(tol),
        )
        if best is None or found.matched_after > best.matched_after:
            best = found
    if best is None or best.matched_after < MIN_MATCH or best.matched_after < GAIN * best.matched_before:
        return None
    return best
