"""Tile math against known values of WebMercatorQuad."""

from __future__ import annotations

import math

import pytest

from liuyu.tiles.grid import (
    MAX_ZOOM,
    ORIGIN,
    Tile,
    bounds_3857,
    bounds_lonlat,
    is_valid,
    matrix_limits,
    tile_for_lonlat,
    tile_matrix_set,
    tile_size,
)


def test_z0_covers_the_mercator_square():
    assert pytest.approx(20037508.342789244) == ORIGIN
    assert bounds_3857(Tile(0, 0, 0)) == (-ORIGIN, -ORIGIN, ORIGIN, ORIGIN)
    west, south, east, north = bounds_lonlat(Tile(0, 0, 0))
    assert (west, east) == pytest.approx((-180.0, 180.0))
    assert (south, north) == pytest.approx((-85.0511287798, 85.0511287798))


def test_rows_grow_southwards():
    assert bounds_3857(Tile(1, 0, 0)) == (-ORIGIN, 0.0, 0.0, ORIGIN)  # north-west quarter
    assert bounds_3857(Tile(1, 1, 1)) == (0.0, -ORIGIN, ORIGIN, 0.0)


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (116.39, 40.0, Tile(10, 843, 387)),  # Olympic Green, Beijing
        (116.3974, 39.9087, Tile(10, 843, 388)),  # Tiananmen: just south of the row edge at 39.9097 N
        (0.0, 0.0, Tile(10, 512, 512)),
        (-180.0, 85.0511, Tile(10, 0, 0)),
    ],
)
def test_tile_for_lonlat(lon, lat, expected):
    assert tile_for_lonlat(lon, lat, expected.z) == expected


def test_beijing_tile_bounds_contain_the_point_and_match_the_row_formula():
    west, south, east, north = bounds_lonlat(Tile(10, 843, 387))
    assert west < 116.39 < east and south < 40.0 < north
    # row edge n: lat = atan(sinh(pi * (1 - 2 n / 2^z)))
    assert north == pytest.approx(math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * 387 / 1024)))))
    assert south == pytest.approx(39.90973623, abs=1e-8)


def test_buffered_bounds_grow_by_the_fraction_of_a_tile():
    t = Tile(12, 3375, 1550)
    w0, _, e0, _ = bounds_lonlat(t)
    w1, _, e1, _ = bounds_lonlat(t, buffer=0.25)
    assert (e1 - w1) == pytest.approx(1.5 * (e0 - w0))


def test_validity_limits():
    assert is_valid(Tile(0, 0, 0)) and is_valid(Tile(MAX_ZOOM, 2**MAX_ZOOM - 1, 0))
    assert not is_valid(Tile(MAX_ZOOM + 1, 0, 0))
    assert not is_valid(Tile(3, 8, 0)) and not is_valid(Tile(3, 0, 8)) and not is_valid(Tile(-1, 0, 0))


def test_tile_matrix_set_matches_the_registered_definition():
    tms = tile_matrix_set()
    assert tms["id"] == "WebMercatorQuad" and tms["crs"].endswith("EPSG/0/3857")
    z0, z18 = tms["tileMatrices"][0], tms["tileMatrices"][18]
    assert z0["scaleDenominator"] == pytest.approx(559082264.028717)
    assert z0["cellSize"] == pytest.approx(156543.033928041)
    assert z18["cellSize"] == pytest.approx(0.597164283477939)
    assert z18["matrixWidth"] == 2**18 and z0["pointOfOrigin"] == [-ORIGIN, ORIGIN]
    assert len(tms["tileMatrices"]) == 25
    assert tile_size(18) == pytest.approx(256 * z18["cellSize"])


def test_matrix_limits_span_zooms_0_to_max():
    limits = matrix_limits()
    assert [lim["tileMatrix"] for lim in limits] == [str(z) for z in range(MAX_ZOOM + 1)]
    assert limits[3] == dict(tileMatrix="3", minTileRow=0, maxTileRow=7, minTileCol=0, maxTileCol=7)
