"""CRS detection: candidates for files without one, old datums only with parameters, GCJ-02 suspicion."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from liuyu.errors import CRSError, IngestError
from liuyu.geo import offset_geometries, to_crs, wgs84_to_gcj02
from liuyu.ingest.crs_detect import (
    OffsetSuspicion,
    check_datum,
    crs_candidates,
    crs_with_parameters,
    describe_missing_crs,
    old_datum,
    resolve_crs,
    storage_target,
    suspect_offset,
)
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.readers import open_delivery

GEOD = pyproj.Geod(ellps="WGS84")


def no_prj_shapefile(tmp_path: Path, xs: np.ndarray, ys: np.ndarray) -> Path:
    path = tmp_path / "控制点.shp"
    gdf = gpd.GeoDataFrame({"点号": [f"J{i}" for i in range(len(xs))]}, geometry=shapely.points(xs, ys))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "'crs' was not provided"
        gdf.to_file(path)
    assert not path.with_suffix(".prj").exists()
    return path


def delivery_in(crs: str) -> Delivery:
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(39_500_000, 4_480_000)])
    return Delivery(Path("x.shp"), "shapefile", gdf, np.array([1]), pyproj.CRS(crs), n_source_rows=1)


# --- candidates -----------------------------------------------------------------------------


def test_eight_digit_eastings_without_crs(tmp_path: Path) -> None:
    xs = np.array([39_520_000.0, 39_540_000.0, 39_560_000.0])
    ys = np.array([4_470_000.0, 4_480_000.0, 4_490_000.0])
    d = open_delivery(no_prj_shapefile(tmp_path, xs, ys))
    assert d.crs is None
    assert any("no .prj" in n for n in d.notes)
    candidates = crs_candidates(d)
    assert candidates[0].epsg == 4527
    assert {2415, 2363} <= {c.epsg for c in candidates if c.needs_transformation}
    err = describe_missing_crs(d)
    assert isinstance(err, IngestError) and err.hint
    assert "EPSG:4527" in err.message and "带号" in err.message and "未声明坐标系" in err.message
    assert "--crs EPSG:4527" in err.hint
    with pytest.raises(IngestError, match="EPSG:4527"):
        resolve_crs(d)


def test_six_digit_eastings_and_degrees(tmp_path: Path) -> None:
    d = open_delivery(
        no_prj_shapefile(tmp_path, np.array([480_000.0, 520_000.0]), np.array([4.47e6, 4.49e6]))
    )
    assert crs_candidates(d)[0].epsg == 4548
    csv = tmp_path / "s.csv"
    csv.write_text("名称,经度,纬度\na,116.8,40.5\nb,117.0,40.6\n", encoding="utf-8")
    assert crs_candidates(open_delivery(csv))[0].epsg == 4490


def test_nothing_fits(tmp_path: Path) -> None:
    d = open_delivery(no_prj_shapefile(tmp_path, np.array([1.0, 2.0]), np.array([1.0, 2.0])))
    assert crs_candidates(d) == []
    assert "fit none" in describe_missing_crs(d).message


def test_raster_without_crs(tmp_path: Path) -> None:
    import rasterio
    from rasterio.transform import Affine

    path = tmp_path / "dem.tif"
    profile = {"driver": "GTiff", "width": 3, "height": 3, "count": 1, "dtype": "uint8"}
    with rasterio.open(path, "w", **profile, transform=Affine(30, 0, 500_000, 0, -30, 4_480_000)) as dst:
        dst.write(np.zeros((1, 3, 3), dtype=np.uint8))
    d = open_delivery(path)
    assert d.crs is None
    assert crs_candidates(d)[0].epsg == 4548


# --- old datums -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [4214, 2415, 2436, 21460, 4610, 2363, 2384, 2345])
def test_old_datums_need_parameters(code: int) -> None:
    d = delivery_in(f"EPSG:{code}")
    assert old_datum(d.crs) is not None  # type: ignore[arg-type]
    with pytest.raises(IngestError, match="transformation parameters") as exc:
        resolve_crs(d)
    assert "--towgs84" in exc.value.hint
    assert "北京54" in exc.value.message or "西安80" in exc.value.message


@pytest.mark.parametrize("code", [4490, 4527, 4548, 4326, 32650])
def test_modern_datums_pass(code: int) -> None:
    assert old_datum(pyproj.CRS(code)) is None
    assert check_datum(pyproj.CRS(code)) == pyproj.CRS(code)


def test_esri_prj_xian80_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "xian.shp"
    gpd.GeoDataFrame(geometry=[shapely.Point(39_500_000, 4_480_000)], crs="EPSG:2363").to_file(path)
    d = open_delivery(path)
    assert d.crs is not None and old_datum(d.crs) == "Xian 1980 / 西安80"
    with pytest.raises(IngestError, match="Xian 1980"):
        resolve_crs(d)
    assert resolve_crs(d, towgs84="24,-123,-94,0.02,-0.25,-0.13,1.1").is_bound  # type: ignore[union-attr]


def test_null_towgs84_in_the_prj_is_not_trusted(tmp_path: Path) -> None:
    """A .prj carrying TOWGS84[0,0,0,...] on Krassowsky is a null shift in disguise."""
    path = no_prj_shapefile(tmp_path, np.array([39_500_000.0]), np.array([4_480_000.0]))
    proj4 = "+proj=tmerc +lon_0=117 +k=1 +x_0=39500000 +ellps=krass +towgs84=0,0,0,0,0,0,0 +units=m"
    path.with_suffix(".prj").write_text(pyproj.CRS.from_proj4(proj4).to_wkt("WKT1_GDAL"))
    d = open_delivery(path)
    assert d.crs is not None and d.crs.is_bound
    with pytest.raises(IngestError, match=r"carries \[0,0,0,0,0,0,0\]"):
        resolve_crs(d)


@pytest.mark.parametrize(
    "text",
    ["-12,-118,-38", "+towgs84=-12,-118,-38", "TOWGS84[-12,-118,-38]", "-12 -118 -38", "-12，-118，-38"],
)
def test_parameter_spellings(text: str) -> None:
    bound = crs_with_parameters("EPSG:2415", text)
    assert bound.is_bound and "-118" in bound.to_wkt()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("1,2", "expected 3 or 7"),
        ("a,b,c", "cannot read"),
        ("1,2,3,4000,0,0,0", "arc-seconds"),
        ("1,2,3,0,0,0,5000", "ppm"),
    ],
)
def test_bad_parameters(text: str, match: str) -> None:
    with pytest.raises(CRSError) as exc:
        crs_with_parameters("EPSG:2415", text)
    assert match in str(exc.value)


def test_parameters_are_applied_not_a_null_shift() -> None:
    bound = crs_with_parameters("EPSG:2415", "-12,-118,-38,1,-0.5,0.3,2")
    pt = [shapely.Point(39_500_000, 4_480_000)]
    null = to_crs(pt, "EPSG:2415", "EPSG:4490")[0]
    shifted = to_crs(pt, bound, storage_target(bound))[0]
    via_wgs = to_crs(pt, bound, "EPSG:4326")[0]
    moved = GEOD.inv(null.x, null.y, shifted.x, shifted.y)[2]
    assert 50 < moved < 200
    assert shifted.distance(via_wgs) < 1e-8
    assert storage_target(pyproj.CRS(4548)) == pyproj.CRS(4490)


def test_user_crs_wins_and_offsets_pass_through() -> None:
    d = delivery_in("EPSG:4548")
    assert resolve_crs(d, "gcj02") == "gcj02"
    assert resolve_crs(d, "BD-09") == "bd09"
    assert resolve_crs(d, "EPSG:4527") == pyproj.CRS(4527)
    assert resolve_crs(d) == pyproj.CRS(4548)


# --- GCJ-02 suspicion -----------------------------------------------------------------------


def rivers() -> gpd.GeoDataFrame:
    """Two meandering rivers near Miyun, WGS-84/CGCS2000."""
    t = np.linspace(0, 1, 200)
    a = shapely.linestrings(116.70 + 0.30 * t, 40.45 + 0.04 * np.sin(9 * t))
    b = shapely.linestrings(116.85 + 0.03 * np.sin(7 * t), 40.30 + 0.35 * t)
    return gpd.GeoDataFrame({"name": ["白河", "潮河"]}, geometry=[a, b], crs="EPSG:4490")


def stations(n: int = 40) -> gpd.GeoDataFrame:
    lines = rivers().geometry.values
    pts = np.concatenate(
        [shapely.line_interpolate_point(g, np.linspace(0.02, 0.98, n // 2), normalized=True) for g in lines]
    )
    return gpd.GeoDataFrame({"code": range(len(pts))}, geometry=pts, crs="EPSG:4490")


def expected_shift_m(gdf: gpd.GeoDataFrame) -> float:
    xy = shapely.get_coordinates(gdf.geometry.values)
    lon, lat = xy[:, 0].mean(), xy[:, 1].mean()
    glon, glat = wgs84_to_gcj02(lon, lat)
    return float(GEOD.inv(lon, lat, float(glon), float(glat))[2])


def test_gcj02_points_are_suspected() -> None:
    true = stations()
    offset = true.set_geometry(offset_geometries(true.geometry.values, "gcj02"))
    found = suspect_offset(offset, [rivers()])
    assert isinstance(found, OffsetSuspicion) and found.kind == "gcj02"
    assert 500 < found.shift_m < 600
    assert found.shift_m == pytest.approx(expected_shift_m(true), abs=5)
    assert found.matched_after > 0.95 and found.matched_before < 0.4
    assert found.median_after_m < 1 < 100 < found.median_before_m
    assert "GCJ-02" in found.message and "火星坐标" in found.message and "--crs gcj02" in str(found)


def test_correct_points_are_not_suspected() -> None:
    assert suspect_offset(stations(), [rivers()]) is None


def test_bd09_points_are_told_apart() -> None:
    true = stations()
    offset = true.set_geometry(offset_geometries(true.geometry.values, "bd09"))
    found = suspect_offset(offset, [rivers()])
    assert found is not None and found.kind == "bd09" and 1000 < found.shift_m < 1600


def test_gcj02_townships_against_counties() -> None:
    """Townships share only part of their boundaries with the counties; that is enough."""
    x0, y0 = np.meshgrid(116.7 + 0.05 * np.arange(6), 40.3 + 0.05 * np.arange(6))
    towns = shapely.box(x0.ravel(), y0.ravel(), x0.ravel() + 0.05, y0.ravel() + 0.05)
    cx, cy = np.meshgrid(116.7 + 0.15 * np.arange(2), 40.3 + 0.15 * np.arange(2))
    counties = gpd.GeoSeries(
        shapely.box(cx.ravel(), cy.ravel(), cx.ravel() + 0.15, cy.ravel() + 0.15), crs="EPSG:4490"
    )
    found = suspect_offset(offset_geometries(shapely.segmentize(towns, 0.005), "gcj02"), [counties])
    assert found is not None and found.kind == "gcj02" and 500 < found.shift_m < 600
    assert suspect_offset(towns, [counties]) is None


def test_no_overlap_or_no_references() -> None:
    far = gpd.GeoSeries([shapely.Point(100.0, 30.0), shapely.Point(100.1, 30.1)], crs="EPSG:4490")
    assert suspect_offset(far, [rivers()]) is None
    assert suspect_offset(stations(), []) is None
    assert suspect_offset(gpd.GeoSeries([], crs="EPSG:4490"), [rivers()]) is None


def test_projected_references_are_converted() -> None:
    true = stations()
    offset = true.set_geometry(offset_geometries(true.geometry.values, "gcj02"))
    found = suspect_offset(offset, [rivers().to_crs("EPSG:4548")])
    assert found is not None and found.kind == "gcj02"
