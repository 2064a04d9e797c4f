"""Network coverage on a hand-made basin: density against targets, gaps at crossings, border ecology."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, box

from liuyu.analysis.coverage import check_targets, crossings, density, ecology_coverage, gaps

CRS = "EPSG:4548"
X0, Y0 = 500_000.0, 4_500_000.0


def units() -> gpd.GeoDataFrame:
    """Two counties side by side (west W, east E), each 10 km x 10 km; E split into two townships."""
    return gpd.GeoDataFrame(
        {"name": ["W", "E"]},
        geometry=[box(X0, Y0, X0 + 10_000, Y0 + 10_000), box(X0 + 10_000, Y0, X0 + 20_000, Y0 + 10_000)],
        crs=CRS,
    )


def townships() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["W1", "E-south", "E-north"]},
        geometry=[
            box(X0, Y0, X0 + 10_000, Y0 + 10_000),
            box(X0 + 10_000, Y0, X0 + 20_000, Y0 + 5_000),
            box(X0 + 10_000, Y0 + 5_000, X0 + 20_000, Y0 + 10_000),
        ],
        crs=CRS,
    )


def rivers() -> gpd.GeoDataFrame:
    """A big river flowing west to east at y=2 km; a small one at y=8 km; a big one north-south in E."""
    return gpd.GeoDataFrame(
        {"code": ["R1", "R2", "R3"], "name": ["大河", "小沟", "北河"], "catchment_km2": [800.0, 30.0, 120.0]},
        geometry=[
            LineString([(X0 + 1_000, Y0 + 2_000), (X0 + 19_000, Y0 + 2_000)]),
            LineString([(X0 + 1_000, Y0 + 8_000), (X0 + 19_000, Y0 + 8_000)]),
            LineString([(X0 + 15_000, Y0 + 9_500), (X0 + 15_000, Y0 + 500)]),
        ],
        crs=CRS,
    )


def stations(*xy_kind: tuple[float, float, str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"code": [f"S{i}" for i in range(len(xy_kind))], "kind": [k for _, _, k in xy_kind]},
        geometry=[Point(X0 + x, Y0 + y) for x, y, _ in xy_kind],
        crs=CRS,
    )


def test_crossings_find_internal_boundaries_only():
    cross = crossings(rivers(), units(), "name")
    # R1 and R2 cross W|E at x=10 km; the basin outline is never a crossing
    assert sorted(cross["between"]) == ["E|W", "E|W"]
    xs = shapely.get_coordinates(np.asarray(cross.geometry.array))[:, 0]
    assert np.allclose(xs, X0 + 10_000)


def test_gap_list_with_tolerance_and_the_catchment_threshold():
    sections = stations((10_400, 2_100, "flow"), (10_000, 8_000, "rain"))
    bounds = {"county": (units(), "name"), "township": (townships(), "name")}
    out = gaps(rivers(), bounds, sections, min_catchment_km2=50, tolerance_km=1.0)
    # R1 at the county line has a flow section 0.41 km away: covered. R2 is too small.
    # R3 crosses the E-north|E-south township line at (15 km, 5 km): a gap.
    assert list(out["river_code"]) == ["R3"]
    gap = out.iloc[0]
    assert gap["boundary"] == "township" and gap["between"] == "E-north|E-south"
    assert (gap.geometry.x, gap.geometry.y) == pytest.approx((X0 + 15_000, Y0 + 5_000))
    assert gap["nearest_section_km"] == pytest.approx(np.hypot(4_600, 2_900) / 1000)
    # a tighter tolerance uncovers R1 too; a rain gauge never counts as a section
    tight = gaps(rivers(), bounds, sections, min_catchment_km2=50, tolerance_km=0.3)
    assert sorted(tight["river_code"]) == ["R1", "R3"]


def test_a_section_on_another_river_does_not_cover_the_crossing():
    sections = stations((10_400, 2_100, "flow"), (10_300, 2_000, "water_quality"))
    sections["river"] = ["北河", None]  # the flow gauge is on another river; the other names none
    bounds = {"county": (units(), "name")}
    assert gaps(rivers(), bounds, sections.iloc[[0]], tolerance_km=1.0)["river_code"].tolist() == ["R1"]
    assert gaps(rivers(), bounds, sections, tolerance_km=1.0).empty
    sections["river"] = ["大河", "北河"]
    assert gaps(rivers(), bounds, sections, tolerance_km=1.0).empty


def test_county_crossing_not_repeated_as_a_township_crossing():
    bounds = {"county": (units(), "name"), "township": (townships(), "name")}
    out = gaps(rivers(), bounds, stations(), min_catchment_km2=50, tolerance_km=1.0)
    assert sorted(zip(out["river_code"], out["boundary"], strict=True)) == [
        ("R1", "county"),
        ("R3", "township"),
    ]


def test_a_meandering_river_gives_one_gap_per_run():
    zig = LineString([(X0 + 9_000 + (i % 2) * 2_000, Y0 + 1_000 + i * 100) for i in range(8)])
    river = gpd.GeoDataFrame(
        {"code": ["Z"], "name": ["弯河"], "catchment_km2": [99.0]}, geometry=[zig], crs=CRS
    )
    out = gaps(river, {"county": (units(), "name")}, stations(), tolerance_km=1.0)
    assert len(out) == 1


def test_density_and_targets():
    zones = gpd.GeoDataFrame(
        {"level": ["basin", "county"], "zone": ["basin", "W"]},
        geometry=[box(X0, Y0, X0 + 20_000, Y0 + 10_000), box(X0, Y0, X0 + 10_000, Y0 + 10_000)],
        crs=CRS,
    )
    st = stations(
        (1_000, 1_000, "rain"), (2_000, 1_000, "rain"), (15_000, 1_000, "rain"), (3_000, 3_000, "flow")
    )
    dens = density(st, zones)
    basin_rain = dens[(dens["zone"] == "basin") & (dens["kind"] == "rain")].iloc[0]
    assert basin_rain["n"] == 3 and basin_rain["km2_per_station"] == pytest.approx(200 / 3)
    assert dens[(dens["zone"] == "W") & (dens["kind"] == "flow")]["n"].item() == 1
    targets = pd.DataFrame(
        {"kind": ["rain", "rain"], "scope": ["basin", "W"], "km2_per_station": [75.0, 34.0]}
    )
    checked = check_targets(dens, targets).set_index("zone")
    assert checked.loc["basin", "needed"] == 3 and checked.loc["basin", "met"]
    assert checked.loc["W", "needed"] == 3 and checked.loc["W", "shortfall"] == 1


def test_border_sections_covered_by_ecology():
    sections = stations((0, 5_000, "water_quality"), (20_000, 5_000, "water_quality")).assign(
        name=["西界", "东界"], river=["大河", "北河"]
    )
    eco = stations((500, 5_000, "ecology"))
    out = ecology_coverage(sections, eco, tolerance_km=2.0)
    assert list(out["covered"]) == [True, False]
    assert out["distance_km"].tolist() == pytest.approx([0.5, 19.5])
