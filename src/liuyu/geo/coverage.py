"""Gaps and overlaps of polygon coverages (counties, townships, small watersheds, the basin).

A coverage is a set of polygons that should tile an area: no overlaps, shared edges that
match exactly, no holes between them. Agencies' boundary layers often break this where two
surveys meet. These pure functions find the breaks and say where they are, in the
projected CRS the geometries are given in (areas in its units, m² for Gauss-Krüger).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

Measure = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class CoverageIssue:
    """One break in a coverage: an overlap of two polygons, a gap, or edges that do not match.

    ``i`` and ``j`` index the input array (``j`` only for overlaps); ``x``, ``y`` a point on
    the issue (input CRS); ``size`` its area (overlaps, gaps) or length (edges), metric units.
    """

    kind: str  # "overlap", "gap" or "edge"
    i: int | None
    j: int | None
    size: float
    x: float
    y: float


def coverage_issues(
    geoms: np.ndarray,
    *,
    min_area: float = 1.0,
    gap_width: float = 0.0,
    metric: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[CoverageIssue]:
    """Overlaps, gaps (holes in the union) and mismatched edges of a polygon coverage.

    The topology is checked on the geometries as given (reprojecting first would bend long
    straight edges differently and invent slivers); ``metric`` projects the issues to a
    metric CRS to measure them.

    Parameters
    ----------
    geoms : array of (Multi)Polygons
        Valid polygons.
    min_area : float
        Overlaps and gaps smaller than this (metric units², default 1 m²) are ignored:
        coordinate round-off between two surveys is not worth reporting.
    gap_width : float
        Also report gaps narrower than this (CRS units of ``geoms``) as invalid edges
        (``shapely.coverage_invalid_edges``).
    metric : callable, optional
        Maps an array of geometries to a projected CRS for areas and lengths; identity if None.

    Examples
    --------
    >>> import shapely
    >>> a, b = shapely.box(0, 0, 10, 10), shapely.box(9, 0, 20, 10)
    >>> [i.kind for i in coverage_issues(np.array([a, b]))][:1]
    ['overlap']
    """
    polys = np.asarray(geoms, dtype=object)
    if len(polys) == 0:
        return []
    measure = metric or (lambda g: g)
    return [
        *_overlaps(polys, min_area, measure),
        *_gaps(polys, min_area, measure),
        *_edges(polys, gap_width, measure),
    ]


def _overlaps(polys: np.ndarray, min_area: float, measure: Measure) -> list[CoverageIssue]:
    """Pairs whose interiors intersect, from one STRtree query and one vectorized intersection."""
    left, right = shapely.STRtree(polys).query(polys, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    if len(left) == 0:
        return []
    inter = shapely.intersection(polys[left], polys[right])
    area = shapely.area(measure(inter))
    big = area >= min_area
    pts = shapely.point_on_surface(inter[big])
    return [
        CoverageIssue("overlap", int(i), int(j), float(a), float(p.x), float(p.y))
        for i, j, a, p in zip(left[big], right[big], area[big], pts, strict=True)
    ]


def _gaps(polys: np.ndarray, min_area: float, measure: Measure) -> list[CoverageIssue]:
    """Holes in the union of the coverage (regions enclosed by it but covered by none)."""
    parts = shapely.get_parts(shapely.union_all(polys))
    parts = parts[shapely.get_type_id(parts) == 3]
    n = shapely.get_num_interior_rings(parts)
    if n.sum() == 0:
        return []
    ring_no = np.concatenate([np.arange(k) for k in n])
    holes = shapely.polygons(shapely.get_interior_ring(np.repeat(parts, n), ring_no))
    area = shapely.area(measure(holes))
    big = area >= min_area
    pts = shapely.point_on_surface(holes[big])
    return [
        CoverageIssue("gap", None, None, float(a), float(p.x), float(p.y))
        for a, p in zip(area[big], pts, strict=True)
    ]


def _edges(polys: np.ndarray, gap_width: float, measure: Measure) -> list[CoverageIssue]:
    """Edges that do not match a neighbour's exactly (GEOS CoverageValidator)."""
    edges = shapely.coverage_invalid_edges(polys, gap_width=gap_width)
    bad = np.flatnonzero(~(shapely.is_missing(edges) | shapely.is_empty(edges)))
    if len(bad) == 0:
        return []
    pts = shapely.point_on_surface(edges[bad])
    length = shapely.length(measure(edges[bad]))
    return [
        CoverageIssue("edge", int(i), None, float(n), float(p.x), float(p.y))
        for i, n, p in zip(bad, length, pts, strict=True)
    ]
