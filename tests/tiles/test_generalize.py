"""Projection to the tile grid, clipping and generalization by zoom."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from liuyu.tiles.generalize import BUFFER, PIXEL, generalize, to_tile_space
from liuyu.tiles.grid import Tile, bounds_lonlat, tile_for_lonlat
from liuyu.tiles.mvt import EXTENT

LON, LAT = 116.95, 40.55  # Miyun reservoir


def circle(lon, lat, radius_deg, n=2000):
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    xy = np.column_stack([lon + radius_deg * np.cos(a), lat + radius_deg * np.sin(a) * 0.76])
    return shapely.Polygon(xy)


def n_coords(geoms):
    return int(shapely.get_num_coordinates(np.asarray(geoms, dtype=object)).sum())


def test_tile_corners_map_to_the_grid_corners():
    tile = Tile(10, 843, 387)
    w, s, e, n = bounds_lonlat(tile)
    xy = shapely.get_coordinates(to_tile_space(np.array([shapely.Point(w, n), shapely.Point(e, s)]), tile))
    assert xy == pytest.approx(np.array([[0, 0], [EXTENT, EXTENT]]), abs=1e-6)


def test_generalization_reduces_vertices_at_low_zoom():
    w, s, e, n = bounds_lonlat(tile_for_lonlat(LON, LAT, 14))
    pond = np.array([circle((w + e) / 2, (s + n) / 2, 0.004)])  # ~ 680 m across, inside one z14 tile
    tiles = {z: tile_for_lonlat((w + e) / 2, (s + n) / 2, z) for z in (8, 11, 14)}
    counts = {z: n_coords(generalize(pond, t, "polygon")) for z, t in tiles.items()}
    assert 0 < counts[8] < counts[11] < counts[14] < 200 < n_coords(pond)


def test_output_stays_within_the_buffered_tile():
    tile = tile_for_lonlat(LON, LAT, 13)
    out = generalize(np.array([circle(LON, LAT, 0.3, 500)]), tile, "polygon")
    xy = shapely.get_coordinates(out)
    assert len(xy) and xy.min() >= -BUFFER and xy.max() <= EXTENT + BUFFER


def test_tiny_polygons_are_dropped_or_pooled_at_low_zoom():
    rng = np.random.default_rng(0)
    tile = tile_for_lonlat(LON, LAT, 8)
    cx, cy = rng.uniform(LON - 0.2, LON + 0.2, 2000), rng.uniform(LAT - 0.1, LAT + 0.1, 2000)
    tiny = shapely.box(cx, cy, cx + 0.0004, cy + 0.0003)  # ~ 34 x 33 m, far below a z8 pixel
    big = np.array([shapely.box(LON, LAT, LON + 0.05, LAT + 0.04)])
    out = generalize(np.concatenate([tiny, big]), tile, "polygon")
    kept = ~shapely.is_empty(out)
    assert kept[-1] and kept[:-1].sum() < 50
    at_z14 = generalize(tiny[:5], tile_for_lonlat(cx[0], cy[0], 14), "polygon")
    assert not shapely.is_empty(at_z14[0])


def test_dense_tiny_polygons_leave_pixel_squares_behind():
    tile = tile_for_lonlat(LON, LAT, 8)
    ix, iy = np.meshgrid(np.arange(60), np.arange(60))
    x0, y0 = LON + ix.ravel() * 0.0005, LAT + iy.ravel() * 0.0004  # a 3 km x 2.4 km mosaic of 40 m parcels
    out = generalize(shapely.box(x0, y0, x0 + 0.0005, y0 + 0.0004), tile, "polygon")
    squares = out[~shapely.is_empty(out)]
    assert 20 <= len(squares) <= 60  # one per 2 x 2 pixel cell: the mosaic is ~ 13 x 10 z8 pixels
    covered = shapely.area(squares).sum()
    mosaic = to_tile_space(shapely.box(x0, y0, x0 + 0.0005, y0 + 0.0004), tile)
    expected = shapely.area(shapely.union_all(mosaic))
    assert covered == pytest.approx(expected, rel=0.35)


def test_lines_shorter_than_a_pixel_are_dropped():
    tile = tile_for_lonlat(LON, LAT, 8)
    short = shapely.LineString([(LON, LAT), (LON + 0.0005, LAT)])
    long = shapely.LineString([(LON, LAT), (LON + 0.1, LAT + 0.05)])
    out = generalize(np.array([short, long]), tile, "line")
    assert shapely.is_empty(out[0]) and shapely.length(out[1]) > PIXEL


def test_points_outside_the_buffer_are_clipped():
    tile = tile_for_lonlat(LON, LAT, 12)
    w, s, e, n = bounds_lonlat(tile)
    pts = np.array([shapely.Point((w + e) / 2, (s + n) / 2), shapely.Point(e + 1, n)])
    out = generalize(pts, tile, "point")
    assert shapely.get_coordinates(out[0]) == pytest.approx(np.array([[EXTENT / 2, EXTENT / 2]]), abs=2)
    assert shapely.is_empty(out[1])
