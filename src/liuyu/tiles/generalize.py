"""Geometries from storage lon/lat into one tile's grid, clipped and generalized for its zoom.

Tile units run 0..EXTENT across the tile, y down. A "pixel" is a CSS pixel of MapLibre, which
draws a vector tile 512 pixels wide: EXTENT / 512 tile units. Detail finer than a pixel cannot
be seen, so it is not sent: vertices are simplified to within a pixel, lines that fit inside a
pixel are dropped, and so are polygons smaller than a square pixel -- except that where such
small polygons together cover a quarter or more of a 2 x 2 pixel cell, the largest stays, as
a square of their total area, so dense areas do not turn into holes at low zoom (tippecanoe
calls this tiny-polygon reduction). Small features are recognized from their lon/lat area and
bounds, before any projection, so a z8 tile of 50,000 parcels projects and clips only the few
thousand that will be drawn.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import shapely

from liuyu.geo import transformer
from liuyu.tiles.commands import GeomKind
from liuyu.tiles.grid import EARTH_RADIUS, Tile, bounds_3857, tile_size
from liuyu.tiles.mvt import EXTENT

STORAGE_CRS = "EPSG:4490"
#: Tile units per pixel of a 512-pixel tile.
PIXEL = EXTENT / 512
#: Margin kept around the tile so that strokes and fills join seamlessly across tile edges.
BUFFER = 64
#: Simplification tolerance, in pixels.
TOLERANCE_PX = 1.0
#: Side of the cells in which small polygons are pooled, in pixels (divides BUFFER and EXTENT).
CELL_PX = 2

Geoms = npt.NDArray[np.object_]
Floats = npt.NDArray[np.float64]

_EMPTY = {
    "point": shapely.from_wkt("POINT EMPTY"),
    "line": shapely.from_wkt("LINESTRING EMPTY"),
    "polygon": shapely.from_wkt("POLYGON EMPTY"),
}


def generalize(geoms: Geoms, tile: Tile, kind: GeomKind) -> Geoms:
    """Storage (EPSG:4490) geometries in ``tile``'s grid, generalized; same length as the input.

    Features not drawn at this zoom come back empty, so indices still match the input rows.
    """
    if kind == "point":
        return _clip(to_tile_space(geoms, tile))
    bounds = shapely.bounds(geoms)
    kx, ky = _scales(tile, (bounds[:, 1] + bounds[:, 3]) / 2)
    out = np.full(len(geoms), _EMPTY[kind], dtype=object)
    if kind == "line":
        big = np.maximum((bounds[:, 2] - bounds[:, 0]) * kx, (bounds[:, 3] - bounds[:, 1]) * ky) >= PIXEL
        out[big] = _simplify(_clip(to_tile_space(geoms[big], tile)))
        return out
    area = shapely.area(geoms) * kx * ky
    big = np.flatnonzero(area >= PIXEL * PIXEL)
    out[big] = _simplify_polygons(_clip(to_tile_space(geoms[big], tile)))
    small = np.flatnonzero((area < PIXEL * PIXEL) & (area > 0))
    centres = _centres(geoms[small], tile)
    keep, side = _pooled(centres, area[small])
    out[small[keep]] = _squares(centres[keep], side)
    return out


def to_tile_space(geoms: Geoms, tile: Tile, src_crs: str = STORAGE_CRS) -> Geoms:
    """Project to EPSG:3857 (cached pyproj transformer, always_xy) and scale to the tile grid.

    One ``shapely.transform`` call for every coordinate of every feature.
    """
    tr = transformer(src_crs, "EPSG:3857")

    def project(xy: Floats) -> Floats:
        return _to_grid(*tr.transform(xy[:, 0], xy[:, 1]), tile)

    out: Geoms = shapely.transform(geoms, project)
    return out


def _to_grid(x: npt.ArrayLike, y: npt.ArrayLike, tile: Tile) -> Floats:
    """EPSG:3857 coordinates to tile units, shape (n, 2)."""
    minx, _, _, maxy = bounds_3857(tile)
    scale = EXTENT / tile_size(tile.z)
    return np.column_stack([(np.asarray(x) - minx) * scale, (maxy - np.asarray(y)) * scale])


def _scales(tile: Tile, lat: Floats) -> tuple[float, Floats]:
    """Tile units per degree of longitude, and of latitude at each ``lat`` (Mercator stretches y)."""
    kx = np.radians(1.0) * EARTH_RADIUS * EXTENT / tile_size(tile.z)
    return kx, kx / np.cos(np.radians(np.clip(lat, -85.06, 85.06)))


def _clip(geoms: Geoms) -> Geoms:
    lo, hi = -BUFFER, EXTENT + BUFFER
    out: Geoms = shapely.clip_by_rect(geoms, lo, lo, hi, hi)
    return out


def _simplify(geoms: Geoms) -> Geoms:
    """Douglas-Peucker within a pixel. Without topology preservation it is ten times faster;
    GEOS still repairs polygons it would make invalid, and rings that collapse come back empty."""
    out: Geoms = shapely.simplify(geoms, TOLERANCE_PX * PIXEL, preserve_topology=False)
    return out


def _simplify_polygons(clipped: Geoms) -> Geoms:
    """Simplify; a polygon of a pixel or two that collapses stays as a one-pixel square."""
    shapes = _simplify(clipped)
    collapsed = shapely.is_empty(shapes) & ~shapely.is_empty(clipped)
    if collapsed.any():
        b = shapely.bounds(clipped[collapsed])
        centre = np.column_stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2])
        shapes[collapsed] = _squares(centre, np.ones(len(centre)))
    return shapes


def _centres(geoms: Geoms, tile: Tile) -> Floats:
    """Tile-grid position of each geometry's bounding-box centre, shape (n, 2)."""
    b = shapely.bounds(geoms)
    tr = transformer(STORAGE_CRS, "EPSG:3857")
    return _to_grid(*tr.transform((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2), tile)


def _pooled(centre: Floats, area: Floats) -> tuple[npt.NDArray[np.int64], Floats]:
    """Small polygons that stand for their cell, and the side of the square each is drawn as.

    Per cell of CELL_PX x CELL_PX pixels: if the small polygons centred in it add up to at
    least a square pixel, the largest one is kept, drawn with their total area (at most the
    cell's). Cells are aligned on the tile edges, so neighbouring tiles agree in their buffers.
    """
    cell = CELL_PX * PIXEL
    inside = ((centre > -BUFFER) & (centre < EXTENT + BUFFER)).all(axis=1)
    idx = np.flatnonzero(inside)
    if len(idx) == 0:
        return idx, np.empty(0)
    ij = np.floor((centre[idx] + BUFFER) / cell).astype(np.int64)
    cell_id = ij[:, 0] * 1_000_000 + ij[:, 1]
    order = np.lexsort((-area[idx], cell_id))
    idx, cell_id = idx[order], cell_id[order]
    first = np.r_[True, cell_id[1:] != cell_id[:-1]]
    total = np.add.reduceat(area[idx], np.flatnonzero(first))
    enough = total >= PIXEL * PIXEL
    side = np.sqrt(np.minimum(total[enough], cell * cell)) / PIXEL
    return idx[first][enough], side


def _squares(centre: Floats, side_px: Floats) -> Geoms:
    """Axis-aligned squares around the given centres, ``side_px`` pixels wide."""
    h = np.asarray(side_px) * PIXEL / 2
    out: Geoms = shapely.box(centre[:, 0] - h, centre[:, 1] - h, centre[:, 0] + h, centre[:, 1] + h)
    return out
