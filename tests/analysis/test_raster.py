"""Raster zonal statistics weighted by cell coverage, slope by Horn's method, steep-slope polygons."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import rasterio
from affine import Affine
from rasterio.warp import Resampling, calculate_default_transform, reproject
from shapely import box

from liuyu.analysis.raster_zonal import zonal_raster
from liuyu.analysis.slope import Grid, horn_slope, read_dem, slope_grid, steep_polygons
from liuyu.errors import SchemaError

CRS = "EPSG:4548"
X0, Y0 = 500_000.0, 4_500_000.0


def write_tif(
    path: Path, data: np.ndarray, res: float, crs: str = CRS, nodata: float | None = -9999.0
) -> Path:
    transform = Affine(res, 0, X0, 0, -res, Y0 + res * data.shape[0])
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(data.astype(np.float32), 1)
    return path


def test_cells_straddling_a_zone_edge_count_by_their_covered_fraction(tmp_path):
    values = np.tile(np.arange(4, dtype=float), (4, 1))  # each column holds its index
    tif = write_tif(tmp_path / "v.tif", values, 10.0)
    # half of column 0 and all of column 1, over all four rows
    zones = gpd.GeoDataFrame({"z": ["a"]}, geometry=[box(X0 + 5, Y0, X0 + 20, Y0 + 40)], crs=CRS)
    out = zonal_raster(tif, zones, "z", threshold=0.5).iloc[0]
    assert out["mean"] == pytest.approx((0 * 0.5 + 1 * 1) / 1.5)
    assert (out["min"], out["max"]) == (0, 1)
    assert out["share_above"] == pytest.approx(1 / 1.5)


def test_nodata_cells_are_left_out_and_zones_reprojected(tmp_path):
    values = np.array([[1.0, -9999.0], [3.0, 5.0]])
    tif = write_tif(tmp_path / "n.tif", values, 100.0)
    zones = gpd.GeoDataFrame({"z": ["all"]}, geometry=[box(X0, Y0, X0 + 200, Y0 + 200)], crs=CRS).to_crs(4490)
    out = zonal_raster(tif, zones, "z", stats=("mean", "count")).iloc[0]
    assert out["mean"] == pytest.approx(3.0, rel=1e-4)
    assert out["count"] == pytest.approx(3.0, rel=1e-3)


def test_unknown_statistic(tmp_path):
    tif = write_tif(tmp_path / "v.tif", np.ones((2, 2)), 10.0)
    zones = gpd.GeoDataFrame({"z": ["a"]}, geometry=[box(X0, Y0, X0 + 10, Y0 + 10)], crs=CRS)
    with pytest.raises(SchemaError):
        zonal_raster(tif, zones, "z", stats=("mode!",))


@pytest.mark.parametrize(("a", "b"), [(0.5, 0.0), (0.0, -1.0), (0.3, 0.4)])
def test_slope_of_a_plane(a, b):
    res = 30.0
    rows, cols = np.mgrid[0:20, 0:25]
    z = a * cols * res - b * rows * res  # rows grow southwards: y = -row
    slope = horn_slope(z, res, res)
    expected = np.degrees(np.arctan(np.hypot(a, b)))
    assert np.allclose(slope[1:-1, 1:-1], expected, atol=1e-3)


def test_slope_blocks_match_the_whole_grid(tmp_path):
    rng = np.random.default_rng(1)
    z = np.cumsum(rng.normal(0, 5, (50, 40)), axis=0)
    tif = write_tif(tmp_path / "dem.tif", z, 30.0)
    dem = read_dem(tif, CRS)
    assert np.allclose(slope_grid(dem, block_rows=7).values, horn_slope(z, 30.0, 30.0), equal_nan=True)


def test_geographic_dem_is_warped_to_metres(tmp_path):
    res = 30.0
    _, cols = np.mgrid[0:120, 0:120]
    z = 0.5 * cols * res  # 26.565° eastwards
    tif = write_tif(tmp_path / "plane.tif", z, res)
    geo = tmp_path / "plane_4490.tif"
    with rasterio.open(tif) as src:
        transform, w, h = calculate_default_transform(
            src.crs, "EPSG:4490", src.width, src.height, *src.bounds
        )
        profile = src.profile | {"crs": "EPSG:4490", "transform": transform, "width": w, "height": h}
        with rasterio.open(geo, "w", **profile) as dst:
            reproject(rasterio.band(src, 1), rasterio.band(dst, 1), resampling=Resampling.bilinear)
    dem = read_dem(geo, CRS)
    assert dem.crs.to_epsg() == 4548
    inner = slope_grid(dem).values[10:-10, 10:-10]
    inner = inner[np.isfinite(inner)]
    # two bilinear warps leave a small ripple; in degrees-as-metres the slope would be ~90°
    assert np.mean(inner) == pytest.approx(26.565, abs=0.5)


def test_steep_polygons_cover_the_steep_block():
    res = 10.0
    z = np.zeros((60, 60))
    z[:, 20:40] = (np.arange(20) * res * 1.0)[None, :]  # 45° ramp over columns 20..39
    z[:, 40:] = z[:, 39:40]
    grid = Grid(horn_slope(z, res, res), Affine(res, 0, X0, 0, -res, Y0 + 600), pyproj.CRS(CRS))
    polys = steep_polygons(grid, 25.0, min_area_km2=0.0)
    assert len(polys) == 1
    # columns 20..39 are steep (Horn's window sees half the ramp at 20 and 39): 20 columns x 60 rows,
    # less the four corner cells the majority filter removes
    assert polys["area_km2"].sum() == pytest.approx((20 * 60 - 4) * 100 / 1e6)
    assert (polys["slope_min_deg"] == 25.0).all()
    assert steep_polygons(grid, 50.0).empty
