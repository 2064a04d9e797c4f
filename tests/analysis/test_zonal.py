"""Zonal overlay: hand-computed areas, conservation, edges, multipolygons and holes, against geopandas."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import box

from liuyu.analysis.zonal import zonal_area, zone_totals
from liuyu.errors import CRSError, SchemaError

CRS = "EPSG:4548"


def frame(values: list[str], geoms: list, field: str = "c") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({field: values}, geometry=geoms, crs=CRS)


def areas(result: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {(z, c): round(a, 9) for z, c, a in result[["zone", "class", "area_km2"]].itertuples(index=False)}


def test_hand_computed_two_zones():
    # zones: a = [0,2000]x[0,1000] (2 km²), b = [2000,3000]x[0,1000] (1 km²)
    zones = frame(["a", "b"], [box(0, 0, 2000, 1000), box(2000, 0, 3000, 1000)], "z")
    # x straddles both zones (1500..2500), y lies inside a, z touches b's outer edge only
    theme = frame(
        ["x", "y", "z"],
        [box(1500, 0, 2500, 1000), box(100, 100, 600, 600), box(3000, 0, 3500, 1000)],
    )
    out = zonal_area(theme, zones, "c", "z")
    assert areas(out) == {("a", "x"): 0.5, ("a", "y"): 0.25, ("b", "x"): 0.5}
    share = out.set_index(["zone", "class"])["share"]
    assert share[("a", "x")] == pytest.approx(0.25) and share[("b", "x")] == pytest.approx(0.5)


def test_feature_on_a_zone_edge_is_split_not_doubled():
    zones = frame(["a", "b"], [box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], "z")
    # exactly covers zone a: touches b along x=1000 but adds nothing there
    theme = frame(["x"], [box(0, 0, 1000, 1000)])
    out = zonal_area(theme, zones, "c", "z")
    assert areas(out) == {("a", "x"): 1.0}


def test_multipolygons_and_holes():
    zone = box(0, 0, 4000, 4000).difference(box(1000, 1000, 3000, 3000))  # 16 - 4 = 12 km², with a hole
    zones = frame(["ring"], [zone], "z")
    multi = shapely.MultiPolygon([box(0, 0, 1000, 1000), box(1500, 1500, 2500, 2500)])  # 2nd part in the hole
    holed = box(3000, 0, 4000, 4000).difference(box(3200, 200, 3800, 800))  # 4 - 0.36 km²
    out = zonal_area(frame(["m", "h"], [multi, holed]), zones, "c", "z")
    assert areas(out) == {("ring", "m"): 1.0, ("ring", "h"): 3.64}
    assert out["zone_area_km2"].iloc[0] == pytest.approx(12.0)


def test_area_conservation_on_a_random_tiling():
    rng = np.random.default_rng(3)
    extent = box(0, 0, 20_000, 15_000)
    seeds = shapely.points(rng.uniform(0, 20_000, 40), rng.uniform(0, 15_000, 40))
    zones_g = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds))), extent
    )
    zones = frame([f"z{i}" for i in range(len(zones_g))], list(zones_g), "z")
    pts = shapely.points(rng.uniform(0, 20_000, 2000), rng.uniform(0, 15_000, 2000))
    parcels = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts))), extent
    )
    theme = frame(list(rng.choice(["01", "03", "07"], len(parcels))), list(parcels))
    out = zonal_area(theme, zones, "c", "z")
    totals = out.groupby("zone")["area_km2"].sum()
    expected = pd.Series(shapely.area(zones_g) / 1e6, index=zones["z"])
    assert np.allclose(totals.reindex(expected.index), expected, rtol=1e-4)  # within 0.01 %
    assert np.allclose(out.groupby("zone")["share"].sum(), 1.0, rtol=1e-4)
    # the same numbers as a full geopandas overlay
    cut = gpd.overlay(theme, zones, how="intersection", keep_geom_type=True)
    ref = cut.assign(a=cut.area / 1e6).groupby(["z", "c"])["a"].sum()
    mine = out.set_index(["zone", "class"])["area_km2"]
    assert np.allclose(mine.sort_index(), ref.sort_index().to_numpy(), rtol=1e-9)


def test_geographic_input_is_projected_and_degrees_refused():
    zones = frame(["a"], [box(500_000, 4_500_000, 502_000, 4_501_000)], "z").to_crs("EPSG:4490")
    theme = frame(["x"], [box(500_000, 4_500_000, 501_000, 4_501_000)]).to_crs("EPSG:4490")
    with pytest.raises(CRSError):
        zonal_area(theme, zones, "c", "z")
    out = zonal_area(theme, zones, "c", "z", analysis_crs=CRS)
    assert out["area_km2"].iloc[0] == pytest.approx(1.0, rel=1e-6)


def test_unknown_field_names_the_fields():
    zones = frame(["a"], [box(0, 0, 1, 1)], "z")
    with pytest.raises(SchemaError, match="nope"):
        zonal_area(frame(["x"], [box(0, 0, 1, 1)]), zones, "nope", "z")


def test_zone_totals_dominant_class():
    zones = frame(["a"], [box(0, 0, 2000, 1000)], "z")
    theme = frame(["x", "y"], [box(0, 0, 1500, 1000), box(1500, 0, 2000, 500)])
    tot = zone_totals(zonal_area(theme, zones, "c", "z"))
    row = tot.iloc[0]
    assert row["dominant"] == "x" and row["dominant_share"] == pytest.approx(0.75)
    assert row["theme_share"] == pytest.approx(0.875)
