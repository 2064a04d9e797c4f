"""Partial updates by area in the GeoPackage store: which current features an area replaces.

A feature belongs to an area when its representative point (``point_on_surface``: always
inside the feature, unlike a centroid) is covered by the area. Only features whose R-tree
box meets the area's box are decoded, so replacing a key area of a million-parcel layer
reads a few thousand geometries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from liuyu.errors import StoreError
from liuyu.store import gpkg_binary


def restrict_to_area(
    conn: sqlite3.Connection,
    table: str,
    frame: gpd.GeoDataFrame,
    keys: np.ndarray,
    current: pd.DataFrame,
    area: BaseGeometry,
    *,
    fids_in_area: Callable[[Any, str, BaseGeometry], np.ndarray] | None = None,
) -> pd.DataFrame:
    """The current rows (fid, feature_key, ...) inside ``area``; refuses deliveries that reach outside.

    A delivered feature outside the area, or a delivered key held by a current feature outside
    it, would make the update touch what it says it leaves alone: both are StoreErrors.
    ``fids_in_area`` finds the current fids inside the area (the PostGIS store passes its own).
    """
    shapely.prepare(area)
    points = shapely.point_on_surface(np.asarray(frame.geometry.values))
    outside = ~shapely.covers(area, points)
    if outside.any():
        raise StoreError(
            f"{table}: {int(outside.sum())} delivered features lie outside the update area, "
            f"e.g. key {keys[outside][0]!r}",
            hint="widen the area, or leave those features out of the delivery",
        )
    inside = current["fid"].isin((fids_in_area or _fids_in_area)(conn, table, area)).to_numpy()
    clash = np.isin(keys, current.loc[~inside, "feature_key"].to_numpy())
    if clash.any():
        raise StoreError(
            f"{table}: keys {list(keys[clash][:5])} belong to features outside the update area",
            hint="an update by area may only replace features inside it",
        )
    return current.loc[inside]


def _fids_in_area(conn: sqlite3.Connection, table: str, area: BaseGeometry) -> np.ndarray:
    minx, miny, maxx, maxy = area.bounds
    rows = conn.execute(
        f'SELECT fid, geom FROM "{table}" WHERE version_to IS NULL AND fid IN '
        f'(SELECT id FROM "rtree_{table}_geom" WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)',
        (maxx, minx, maxy, miny),
    ).fetchall()
    if not rows:
        return np.empty(0, dtype=np.int64)
    fids = np.array([r[0] for r in rows], dtype=np.int64)
    geoms = gpkg_binary.decode([r[1] for r in rows])
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    covered = np.zeros(len(fids), dtype=bool)
    covered[present] = shapely.covers(area, shapely.point_on_surface(geoms[present]))
    return fids[covered]
