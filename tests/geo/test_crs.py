"""CRS parsing, URIs, cached transformers, reprojection, measures and Gauss-Krüger guesses."""

from __future__ import annotations

import re

import numpy as np
import pyproj
import pytest
import shapely
from pyproj import Geod

from liuyu.errors import CRSError
from liuyu.geo import (
    DEFAULT_ANALYSIS_CRS,
    STORAGE_CRS,
    analysis_crs_for_bounds,
    area_km2,
    crs_uri,
    deoffset_geometries,
    epsg_code,
    gk_epsg,
    gk_zone_candidates,
    is_offset_crs,
    length_km,
    offset_geometries,
    parse_crs,
    to_crs,
    transformer,
    utm_or_gk_zone_for_lon,
)

GRS80 = Geod(ellps="GRS80")


@pytest.mark.parametrize(
    ("text", "authority"),
    [
        ("EPSG:4548", ("EPSG", "4548")),
        ("epsg:4548", ("EPSG", "4548")),
        ("4548", ("EPSG", "4548")),
        (" 4490 ", ("EPSG", "4490")),
        (4527, ("EPSG", "4527")),
        ("CGCS2000", ("EPSG", "4490")),
        ("cgcs2000", ("EPSG", "4490")),
        ("OGC:CRS84", ("OGC", "CRS84")),
        ("CRS84", ("OGC", "CRS84")),
        ("http://www.opengis.net/def/crs/EPSG/0/4490", ("EPSG", "4490")),
        ("https://www.opengis.net/def/crs/EPSG/0/4548", ("EPSG", "4548")),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", ("OGC", "CRS84")),
        ("urn:ogc:def:crs:EPSG::4490", ("EPSG", "4490")),
        (pyproj.CRS.from_epsg(4548).to_wkt(), ("EPSG", "4548")),
    ],
)
def test_parse_crs_variants(text: str | int, authority: tuple[str, str]) -> None:
    assert parse_crs(text).to_authority() == authority


def test_parse_crs_proj_string_and_crs_object() -> None:
    crs = parse_crs("+proj=tmerc +lon_0=117 +k=1 +x_0=500000 +ellps=GRS80 +units=m +no_defs")
    assert crs.is_projected
    assert parse_crs(crs) is crs


@pytest.mark.parametrize("text", ["EPSG:999999", "not a crs", "Beijing 2054"])
def test_parse_crs_error_names_text_and_suggests(text: str) -> None:
    with pytest.raises(CRSError) as info:
        parse_crs(text)
    assert text in str(info.value)
    assert "EPSG:4548" in (info.value.hint or "")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("text", ["gcj02", "GCJ02", "GCJ-02", "bd09", "BD-09", "bd_09"])
def test_offset_names_are_recognised_but_not_parsed(text: str) -> None:
    assert is_offset_crs(text)
    with pytest.raises(CRSError, match="offset") as info:
        parse_crs(text)
    assert "is_offset_crs" in (info.value.hint or "")


def test_is_offset_crs_false_for_real_crs() -> None:
    assert not is_offset_crs("EPSG:4490")
    assert not is_offset_crs(4490)


def test_crs_uri_and_epsg_code() -> None:
    assert crs_uri(STORAGE_CRS) == "http://www.opengis.net/def/crs/EPSG/0/4490"
    assert crs_uri("CRS84") == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert crs_uri("OGC:CRS84") == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    assert parse_crs(crs_uri("4548")).to_epsg() == 4548
    assert epsg_code("epsg:4548") == 4548
    assert epsg_code("CRS84") is None
    assert epsg_code("+proj=longlat +ellps=krass +no_defs") is None


def test_crs_uri_of_custom_crs_is_an_error() -> None:
    with pytest.raises(CRSError, match="no EPSG or OGC code"):
        crs_uri("+proj=tmerc +lon_0=117.3 +ellps=GRS80 +units=m")


def test_transformer_is_cached_across_spellings() -> None:
    first = transformer("EPSG:4490", "EPSG:4548")
    assert transformer("epsg:4490", 4548) is first
    assert transformer("CGCS2000", "4548") is first


def test_transformer_is_always_xy() -> None:
    x, y = transformer(STORAGE_CRS, DEFAULT_ANALYSIS_CRS).transform(117.0, 40.0)
    assert x == pytest.approx(500_000.0, abs=1e-6)
    assert 4.42e6 < y < 4.44e6
    lon, lat = transformer("EPSG:4326", STORAGE_CRS).transform(117.0, 40.0)
    assert (lon, lat) == pytest.approx((117.0, 40.0))


def test_to_crs_round_trip_and_missing_geometries() -> None:
    geoms = np.array([shapely.Point(116.9, 40.5), shapely.LineString([(116, 40), (117, 41)]), None])
    projected = to_crs(geoms, STORAGE_CRS, DEFAULT_ANALYSIS_CRS)
    assert projected[2] is None
    assert 400_000 < projected[0].x < 600_000
    back = to_crs(projected, DEFAULT_ANALYSIS_CRS, STORAGE_CRS)
    np.testing.assert_allclose(shapely.get_coordinates(back), shapely.get_coordinates(geoms), atol=1e-9)


def test_to_crs_handles_offset_source_and_target() -> None:
    wgs = np.array([shapely.Polygon([(116.8, 40.4), (117.1, 40.4), (117.1, 40.7)])])
    gcj = offset_geometries(wgs, "gcj02")
    via_to_crs = to_crs(gcj, "GCJ-02", "EPSG:4326")
    np.testing.assert_allclose(
        shapely.get_coordinates(via_to_crs),
        shapely.get_coordinates(deoffset_geometries(gcj, "gcj02")),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        shapely.get_coordinates(to_crs(wgs, "EPSG:4326", "gcj02")),
        shapely.get_coordinates(gcj),
        atol=1e-12,
    )
    projected = to_crs(gcj, "gcj02", DEFAULT_ANALYSIS_CRS)
    assert shapely.get_coordinates(projected)[:, 0].min() > 400_000


def test_area_of_tenth_degree_square_near_40n() -> None:
    square = shapely.box(117.0, 40.0, 117.1, 40.1)
    geodesic = abs(GRS80.geometry_area_perimeter(square)[0]) / 1e6
    (area,) = area_km2([square], STORAGE_CRS, DEFAULT_ANALYSIS_CRS)
    assert area == pytest.approx(95.0, abs=0.5)
    assert area == pytest.approx(geodesic, rel=1e-4)


def test_length_matches_geodesic() -> None:
    line = shapely.LineString([(116.9, 40.2), (117.2, 40.6)])
    geodesic = GRS80.geometry_length(line) / 1e3
    lengths = length_km(np.array([line, line]))
    assert lengths.shape == (2,)
    assert lengths[0] == pytest.approx(geodesic, rel=1e-4)


def test_measures_refuse_a_geographic_analysis_crs() -> None:
    with pytest.raises(CRSError, match="not projected"):
        area_km2([shapely.box(117, 40, 117.1, 40.1)], STORAGE_CRS, analysis_crs="EPSG:4490")


# --- Gauss-Krüger -------------------------------------------------------------------------


def test_epsg_codes_from_domain_table() -> None:
    assert [gk_epsg(z) for z in (38, 39, 40)] == [4526, 4527, 4528]
    assert [gk_epsg(z, prefixed=False) for z in (38, 39, 40)] == [4547, 4548, 4549]
    assert [gk_epsg(z, datum="Beijing 1954") for z in (38, 39, 40)] == [2414, 2415, 2416]
    assert [gk_epsg(z, prefixed=False, datum="Xian 1980") for z in (38, 39, 40)] == [
        2383,
        2384,
        2385,
    ]
    assert (gk_epsg(20, width=6), gk_epsg(20, width=6, prefixed=False)) == (4498, 4509)
    assert (gk_epsg(19, width=6), gk_epsg(19, width=6, prefixed=False)) == (4497, 4508)
    assert gk_epsg(20, width=6, datum="Beijing 1954") == 21420
    assert gk_epsg(20, width=6, prefixed=False, datum="Xian 1980") == 2345


@pytest.mark.parametrize("datum", ["CGCS2000", "Beijing 1954", "Xian 1980"])
@pytest.mark.parametrize(("width", "zones"), [(3, range(25, 46)), (6, range(13, 24))])
def test_epsg_formula_agrees_with_pyproj(datum: str, width: int, zones: range) -> None:
    for zone in zones:
        cm = 3 * zone if width == 3 else 6 * zone - 3
        zoned = pyproj.CRS.from_epsg(gk_epsg(zone, width=width, datum=datum))
        plain = pyproj.CRS.from_epsg(gk_epsg(zone, width=width, prefixed=False, datum=datum))
        assert zoned.name.startswith(datum) and re.search(rf"zone {zone}$", zoned.name)
        assert plain.name.startswith(datum) and plain.name.endswith(f"CM {cm}E")
        assert ("3-degree" in zoned.name) == (width == 3)


def test_prefixed_grid_puts_zone_in_easting() -> None:
    x, _ = transformer(STORAGE_CRS, 4527).transform(117.0, 40.0)
    assert x == pytest.approx(39_500_000.0, abs=1e-6)


def test_gk_epsg_rejects_unknown_zone() -> None:
    with pytest.raises(CRSError, match="zone 50"):
        gk_epsg(50)


def test_candidates_for_prefixed_eastings_around_miyun() -> None:
    found = gk_zone_candidates(39_520_000, 4_470_000, 39_590_000, 4_489_000)
    assert found[0].epsg == 4527
    assert "zone 39" in found[0].reason and "第39带" in found[0].reason
    assert not found[0].needs_transformation
    notes = {c.epsg for c in found if c.needs_transformation}
    assert notes == {2415, 2363}


def test_candidates_for_unprefixed_eastings() -> None:
    found = gk_zone_candidates(520_000, 4_470_000, 590_000, 4_489_000)
    assert [c.epsg for c in found[:3]] == [4548, 4547, 4549]
    assert not any(c.needs_transformation for c in found[:3])
    assert {c.epsg for c in found[3:]} == {2436, 2384}
    assert "CM 117°E" in found[0].reason


def test_candidates_for_geographic_bounds() -> None:
    found = gk_zone_candidates(115.4, 40.0, 117.6, 41.6)
    assert found[0].epsg == 4490
    assert "GCJ-02" in found[0].reason


def test_candidates_for_six_degree_prefix() -> None:
    assert gk_zone_candidates(20_520_000, 4_470_000, 20_590_000, 4_489_000)[0].epsg == 4498


def test_candidates_with_swapped_axes() -> None:
    found = gk_zone_candidates(4_470_000, 39_520_000, 4_489_000, 39_590_000)
    assert found[0].epsg == 4527
    assert "swapped" in found[0].reason


def test_no_candidates_for_nonsense() -> None:
    assert gk_zone_candidates(-1e9, -1e9, 1e9, 1e9) == []


@pytest.mark.parametrize(("lon", "zone"), [(116.8, 39), (115.4, 38), (118.6, 40), (114.0, 38)])
def test_zone_for_lon(lon: float, zone: int) -> None:
    assert utm_or_gk_zone_for_lon(lon) == zone


def test_analysis_crs_for_bounds() -> None:
    assert analysis_crs_for_bounds(115.4, 117.6) == "EPSG:4548"
    assert analysis_crs_for_bounds(113.0, 115.0) == "EPSG:4547"
    with pytest.raises(CRSError):
        analysis_crs_for_bounds(0.0, 10.0)
