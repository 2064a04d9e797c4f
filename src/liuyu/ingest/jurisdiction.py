"""Which jurisdiction a delivered feature belongs to, when the delivery does not say."""

from __future__ import annotations

import numpy as np
import shapely

from liuyu.workspace import Workspace


def by_location(ws: Workspace, geoms: np.ndarray) -> np.ndarray:
    """Each feature's jurisdiction from the county its representative point falls in.

    A basin-wide delivery (one file for both provinces) must still land feature by feature in
    the right jurisdiction, or the completeness matrix, jurisdiction-scoped updates and access
    rules would all see it as nobody's. The workspace's own ``counties`` layer is the reference;
    a feature outside every county (or a workspace without counties) stays unassigned (None).
    A feature that straddles a border goes where its representative point lies.
    """
    out = np.full(len(geoms), None, dtype=object)
    counties = ws.read_layer("counties")
    counties = counties[counties["jurisdiction"].notna()]
    if counties.empty or len(geoms) == 0:
        return out
    points = shapely.point_on_surface(geoms)
    tree = shapely.STRtree(counties.geometry.values)
    feature, county = tree.query(points, predicate="within")
    jur = counties["jurisdiction"].to_numpy(dtype=object)
    out[feature] = jur[county]
    return out
