"""GCJ-02 / BD-09: the DOMAIN.md §5.2 vectors, sub-millimetre inverses, shapes, geometries."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import shapely
from pyproj import Geod

from liuyu.errors import CRSError
from liuyu.geo import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    deoffset_geometries,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    offset_geometries,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres between two sets of points."""
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.fixture(scope="module")
def basin_grid() -> tuple[np.ndarray, np.ndarray]:
    """About 6 000 WGS-84 points over the Miyun basin (lon 115-118, lat 39.5-42), as 2-D arrays."""
    return np.meshgrid(np.linspace(115.0, 118.0, 91), np.linspace(39.5, 42.0, 67))


def test_beijing_vector_from_eviltransform() -> None:
    lon, lat = wgs84_to_gcj02(116.377817, 39.911954)
    assert lon == pytest.approx(116.38404722455657, abs=1e-9)
    assert lat == pytest.approx(39.91334545536069, abs=1e-9)


def test_shanghai_vector() -> None:
    lon, lat = wgs84_to_gcj02(121.5272106, 31.1774276)
    assert lon == pytest.approx(121.531541859215, abs=1e-9)
    assert lat == pytest.approx(31.17530398364597, abs=1e-9)


def test_bd09_vector_uses_x_pi() -> None:
    lon, lat = gcj02_to_bd09(116.38404722455657, 39.91334545536069)
    assert lon == pytest.approx(116.39045471310828, abs=1e-9)
    assert lat == pytest.approx(39.919575550965874, abs=1e-9)


def test_offset_sizes_match_domain_notes(basin_grid) -> None:
    lon, lat = basin_grid
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    b_lon, b_lat = gcj02_to_bd09(g_lon, g_lat)
    assert 400 < metres(lon, lat, g_lon, g_lat).min() < metres(lon, lat, g_lon, g_lat).max() < 700
    assert 800 < metres(g_lon, g_lat, b_lon, b_lat).min() < 950


def test_gcj_inverse_is_sub_millimetre(basin_grid) -> None:
    lon, lat = basin_grid
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert back_lon.shape == lon.shape
    assert metres(lon, lat, back_lon, back_lat).max() < 1e-3


def test_naive_inverse_would_fail_the_same_check(basin_grid) -> None:
    lon, lat = basin_grid
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    s_lon, s_lat = wgs84_to_gcj02(g_lon, g_lat)
    naive_lon, naive_lat = g_lon - (s_lon - g_lon), g_lat - (s_lat - g_lat)
    assert metres(lon, lat, naive_lon, naive_lat).max() > 1e-3


def test_bd_inverse_is_sub_millimetre_and_closed_form_is_not(basin_grid) -> None:
    lon, lat = basin_grid
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    b_lon, b_lat = gcj02_to_bd09(g_lon, g_lat)
    exact = bd09_to_gcj02(b_lon, b_lat)
    assert metres(g_lon, g_lat, *exact).max() < 1e-3
    with pytest.warns(RuntimeWarning):
        closed = bd09_to_gcj02(b_lon, b_lat, max_iter=0)
    assert metres(g_lon, g_lat, *closed).max() > 1e-3
    assert metres(lon, lat, *bd09_to_wgs84(*wgs84_to_bd09(lon, lat))).max() < 1e-3


def test_outside_china_unchanged() -> None:
    lon = np.array([2.3522, -74.006, 139.6917, 105.0])
    lat = np.array([48.8566, 40.7128, 35.6895, -10.0])
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84):
        out_lon, out_lat = fn(lon, lat)
        np.testing.assert_array_equal(out_lon, lon)
        np.testing.assert_array_equal(out_lat, lat)


def test_scalar_in_scalar_like_out() -> None:
    for fn in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, bd09_to_wgs84):
        lon, lat = fn(116.4, 40.4)
        assert np.shape(lon) == () and np.shape(lat) == ()
        assert isinstance(float(lon), float)
        assert np.asarray(lon).dtype == np.float64


def test_shapes_and_broadcasting_preserved() -> None:
    lon = np.full((3, 4), 116.9)
    lon_out, lat_out = wgs84_to_bd09(lon, 40.5)
    assert lon_out.shape == lat_out.shape == (3, 4)
    assert lon_out.dtype == np.float64
    lon_int, _ = wgs84_to_gcj02([117, 116], [40, 41])
    assert lon_int.dtype == np.float64 and lon_int.shape == (2,)


def test_nan_passes_through_without_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lon, _ = gcj02_to_wgs84(np.array([np.nan, 116.5]), np.array([40.0, 40.0]))
    assert np.isnan(lon[0]) and np.isfinite(lon[1])


def test_non_convergence_warns() -> None:
    with pytest.warns(RuntimeWarning, match="did not converge"):
        gcj02_to_wgs84(116.5, 40.5, max_iter=1)


def _wgs_geometries() -> np.ndarray:
    polygon = shapely.Polygon(
        [(116.8, 40.4), (117.1, 40.4), (117.1, 40.7), (116.8, 40.7)],
        holes=[[(116.9, 40.5), (117.0, 40.5), (117.0, 40.6)]],
    )
    lines = shapely.MultiLineString([[(116.0, 40.9), (116.5, 41.2)], [(117.3, 41.0), (117.5, 40.6)]])
    return np.array([polygon, lines, None], dtype=object)


@pytest.mark.parametrize("system", ["gcj02", "bd09", "GCJ-02", "BD09"])
def test_geometry_round_trip(system: str) -> None:
    wgs = _wgs_geometries()
    shifted = offset_geometries(wgs, system)
    back = deoffset_geometries(shifted, system)
    assert back[2] is None
    assert list(shapely.get_type_id(back[:2])) == [3, 5]
    before, moved, after = (shapely.get_coordinates(g) for g in (wgs, shifted, back))
    assert metres(*before.T, *moved.T).min() > 400
    assert metres(*before.T, *after.T).max() < 1e-3
    assert shapely.get_num_interior_rings(back[0]) == 1


def test_geometry_deoffset_matches_point_function() -> None:
    pt = shapely.Point(116.38404722455657, 39.91334545536069)
    (out,) = deoffset_geometries(np.array([pt]), "gcj02")
    assert (out.x, out.y) == pytest.approx((116.377817, 39.911954), abs=1e-9)


def test_unknown_offset_system_is_a_crs_error() -> None:
    with pytest.raises(CRSError, match="wgs72"):
        deoffset_geometries(_wgs_geometries(), "wgs72")
