"""The synthetic demo basin: complete, valid, plausible and reproducible."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pandas as pd
import pytest
import shapely

from liuyu.catalog import load_categories, load_codelists
from liuyu.demo.generate import DemoBasin, generate
from liuyu.geo.crs import to_crs

SEED = 20240801
GEOMETRY = {
    "basin": "MultiPolygon",
    "counties": "MultiPolygon",
    "townships": "MultiPolygon",
    "villages": "Point",
    "rivers": "MultiLineString",
    "reservoirs": "MultiPolygon",
    "river_management_ranges": "MultiPolygon",
    "reservoir_protection_ranges": "MultiPolygon",
    "small_watersheds": "MultiPolygon",
    "contours": "MultiLineString",
    "protection_zones": "MultiPolygon",
    "land_use": "MultiPolygon",
    "spatial_planning": "MultiPolygon",
    "forest_subcompartments": "MultiPolygon",
    "stations": "Point",
    "sewage_facilities": "Point",
    "village_meshes": "MultiPolygon",
}
TABLE1 = [
    "water_temp", "ph", "do", "codmn", "cod", "bod5", "nh3n", "tp", "tn", "cu", "zn", "fluoride",
    "se", "as", "hg", "cd", "cr6", "pb", "cyanide", "volatile_phenol", "petroleum", "las",
    "sulfide", "fecal_coliform",
]  # fmt: skip
STATION_COUNTS = {
    "rain": 190, "flow": 25, "level": 20, "water_quality": 101, "auto_water_quality": 12,
    "ecology": 20, "soil_conservation": 14, "sewage_outfall": 32, "rural_sewage": 15,
}  # fmt: skip


@pytest.fixture(scope="module")
def demo() -> DemoBasin:
    """One small run shared by the module (5,000 parcels, 90 m DEM) to keep tests quick."""
    return generate(SEED, parcels=5_000, dem_res=90.0)


def _projected(gdf) -> np.ndarray:
    return to_crs(gdf.geometry.array, "EPSG:4490", "EPSG:4548")


def _digest(basin: DemoBasin, codes: tuple[str, ...]) -> str:
    """A hash of some layers (geometry and attributes), the observations and the DEM."""
    h = hashlib.sha256()
    for code in codes:
        gdf = basin.layers[code]
        h.update(b"".join(shapely.to_wkb(gdf.geometry.array)))
        h.update(pd.util.hash_pandas_object(gdf.drop(columns="geometry")).to_numpy().tobytes())
    h.update(pd.util.hash_pandas_object(basin.observations).to_numpy().tobytes())
    h.update(basin.rasters["dem"].array.tobytes())
    return h.hexdigest()


def test_every_layer_present_typed_and_valid(demo: DemoBasin) -> None:
    assert set(demo.layers) == set(GEOMETRY)
    cats = load_categories()
    for code, kind in GEOMETRY.items():
        gdf = demo.layers[code]
        assert len(gdf) > 0, code
        assert gdf.crs.to_epsg() == 4490, code
        assert set(gdf.geom_type) == {kind}, code
        assert shapely.is_valid(gdf.geometry.array).all(), code
        assert not shapely.is_empty(gdf.geometry.array).any(), code
        assert list(gdf.columns) == [*cats[code].field_names, "geometry", "jurisdiction"], code
        assert set(gdf["jurisdiction"]) <= {"beijing", "hebei"}, code


def test_codelist_fields_hold_codes(demo: DemoBasin) -> None:
    cats, lists = load_categories(), load_codelists()
    for code, gdf in demo.layers.items():
        for field in cats[code].fields:
            if field.codelist:
                used = set(gdf[field.name].dropna())
                assert used <= set(lists[field.codelist].values), (code, field.name)


def test_basin_area_and_everything_inside(demo: DemoBasin) -> None:
    basin = _projected(demo.layers["basin"])[0]
    assert basin.area / 1e6 == pytest.approx(15_788, rel=0.05)
    inside = basin.buffer(1.0)
    shapely.prepare(inside)
    for code, gdf in demo.layers.items():
        assert shapely.within(_projected(gdf), inside).all(), code


def test_counties_are_the_real_ones_clipped_and_deoffset(demo: DemoBasin) -> None:
    counties = demo.layers["counties"]
    assert set(counties["code"]) == {
        "110116", "110118", "110119", "130732", "130724", "130826", "130824", "130822",
    }  # fmt: skip
    assert (counties["area_km2"] > 0).all()
    assert set(counties.loc[counties["code"].str.startswith("11"), "jurisdiction"]) == {"beijing"}
    assert "GCJ-02" in demo.metadata["real"]["counties"]["deoffset"]
    assert demo.metadata["synthetic"] is True


def test_small_watersheds_are_a_coverage_of_179(demo: DemoBasin) -> None:
    sws = _projected(demo.layers["small_watersheds"])
    basin = _projected(demo.layers["basin"])[0]
    assert len(sws) == 179
    assert shapely.is_empty(shapely.coverage_invalid_edges(sws)).all()
    assert shapely.union_all(sws).area == pytest.approx(basin.area, rel=1e-3)
    assert shapely.area(sws).sum() == pytest.approx(basin.area, rel=1e-3)  # no overlaps


def test_townships_and_villages_nest_in_counties(demo: DemoBasin) -> None:
    twps, vils = demo.layers["townships"], demo.layers["villages"]
    assert 100 <= len(twps) <= 150
    assert (twps["code"].str.len() == 9).all()
    assert (twps["code"].str[:6] == twps["county_code"]).all()
    assert (vils["code"].str.len() == 12).all()
    assert (vils["code"].str[:9] == vils["township_code"]).all()
    assert vils["code"].is_unique and twps["code"].is_unique


def test_land_use_parcels(demo: DemoBasin) -> None:
    lu = demo.layers["land_use"]
    assert len(lu) >= 5_000
    assert lu["parcel_id"].is_unique
    forest = lu["class_code"].isin(["0301", "0305", "0307"])
    assert lu.loc[forest, "area_m2"].sum() > 0.5 * lu["area_m2"].sum()
    steep_crop = lu["class_code"].isin(["0101", "0102", "0103"]) & (lu["cropland_slope_grade"] == "5")
    assert steep_crop.any()
    assert {"0702", "1103", "1101"} <= set(lu["class_code"])


def test_reservoirs_and_zones(demo: DemoBasin) -> None:
    res = demo.layers["reservoirs"].set_index("name")
    miyun = res.loc["密云水库"]
    assert miyun["normal_pool_level_m"] == 157.5
    assert miyun["dead_level_m"] == 126.0
    assert miyun["total_storage_1e8m3"] == 43.75
    assert miyun["area_km2"] == pytest.approx(180, rel=0.05)
    zones = _projected(demo.layers["protection_zones"])
    assert set(demo.layers["protection_zones"]["grade"]) == {"1", "2", "quasi"}
    assert shapely.union_all(zones).area == pytest.approx(shapely.area(zones).sum(), rel=1e-6)
    assert sorted(demo.layers["contours"]["elevation_m"]) == [156, 157, 158, 159, 160]


def test_spatial_planning_zones_never_overlap(demo: DemoBasin) -> None:
    sp = demo.layers["spatial_planning"]
    zones = _projected(sp)
    assert shapely.union_all(zones).area == pytest.approx(shapely.area(zones).sum(), rel=1e-6)
    assert set(sp["zone_type"]) == {
        "ecological_protection_redline", "permanent_basic_farmland", "urban_development_boundary",
    }  # fmt: skip


def test_station_counts_and_roles(demo: DemoBasin) -> None:
    st = demo.layers["stations"]
    assert len(st) == 429
    assert st["code"].is_unique
    assert st["kind"].value_counts().to_dict() == STATION_COUNTS
    wq = st[st["kind"] == "water_quality"]
    border = wq[wq["role"] == "provincial_boundary"]
    assert set(border["river"]) == {"潮河", "白河", "清水河", "黑河", "汤河"}
    assert border["aliases"].notna().all()
    assert set(wq.loc[wq["role"] == "reservoir_inflow", "name"]) == {"张家坟", "下会"}
    assert (wq["water_type"] == "lake_reservoir").any()
    assert set(wq["target_class"]) == {"II", "III"}
    assert len(demo.layers["sewage_facilities"]) == 165


def test_observation_columns_and_dtypes(demo: DemoBasin) -> None:
    obs = demo.observations
    assert list(obs.columns) == [
        "station_code", "property_code", "phenomenon_time", "value", "censor", "raw", "method",
    ]  # fmt: skip
    assert str(obs["phenomenon_time"].dtype) == "datetime64[ns, UTC]"
    assert obs["value"].dtype == np.float64
    for col in ("station_code", "property_code", "censor", "raw", "method"):
        assert pd.api.types.is_string_dtype(obs[col]), col
    assert set(obs["method"].unique()) == {"lab", "auto", "gauge"}
    assert set(obs["censor"].unique()) == {"", "<"}
    assert 2_000_000 <= len(obs) <= 3_500_000
    assert set(obs["station_code"].unique()) <= set(demo.layers["stations"]["code"])


def test_observation_period_is_2022_to_2024_local(demo: DemoBasin) -> None:
    t = demo.observations["phenomenon_time"]
    assert t.min() >= pd.Timestamp("2021-12-31 16:00", tz="UTC")
    assert t.max() <= pd.Timestamp("2024-12-31 16:00", tz="UTC")


def test_censored_values_keep_the_lab_notation(demo: DemoBasin) -> None:
    obs = demo.observations
    cens = obs[obs["censor"] == "<"]
    assert len(cens) > 1000
    assert (cens["raw"].str.startswith("<") | (cens["raw"] == "ND")).all()
    assert (cens["raw"].str.startswith("<")).any() and (cens["raw"] == "ND").any()
    assert (cens["value"] > 0).all()
    hg = cens[(cens["property_code"] == "hg") & cens["raw"].str.startswith("<")]
    assert set(hg["raw"]) == {"<0.00004"}


def test_lab_samples_cover_table1_at_every_section(demo: DemoBasin) -> None:
    obs = demo.observations
    lab = obs[obs["method"] == "lab"]
    assert set(TABLE1) <= set(lab["property_code"])
    per_item = lab.groupby("property_code")["station_code"].nunique()
    assert (per_item[TABLE1] == 101).all()
    assert {"chla", "sd"} <= set(lab["property_code"])


def test_rainfall_has_storms(demo: DemoBasin) -> None:
    obs = demo.observations
    rain = obs[obs["property_code"] == "rainfall"].set_index("phenomenon_time")
    local = rain.index.tz_convert("Asia/Shanghai")
    assert set(local.month) == {6, 7, 8, 9}
    assert (rain["value"] == 0).mean() > 0.5
    three_h = rain.groupby("station_code")["value"].rolling("3h").sum()
    assert three_h.max() >= 100
    assert (three_h >= 50).groupby(level=0).any().sum() >= 3
    big = three_h[three_h >= 100].index.get_level_values("phenomenon_time")
    assert "2023-07" in set(big.tz_convert("Asia/Shanghai").strftime("%Y-%m"))


def test_dem_and_erosion_rasters(demo: DemoBasin) -> None:
    dem = demo.rasters["dem"]
    assert dem.crs == "EPSG:4548" and dem.array.dtype == np.float32
    z = dem.array
    assert z[0, 0] == dem.nodata and z[-1, -1] == dem.nodata
    valid = z[z != dem.nodata]
    assert valid.size > 0.5 * z.size
    assert 100 < valid.min() < 160 and 1_300 < valid.max() < 2_500
    ero = demo.rasters["soil_erosion"]
    e = ero.array[ero.array != ero.nodata]
    assert e.min() >= 0 and np.median(e) > 0


def test_same_seed_same_output_other_seed_other_parcels(demo: DemoBasin) -> None:
    codes = ("land_use", "stations", "rivers", "small_watersheds")
    again = generate(SEED, parcels=5_000, dem_res=90.0)
    assert _digest(again, codes) == _digest(demo, codes)
    other = generate(SEED + 1, parcels=5_000, dem_res=90.0)
    assert _digest(other, ("land_use",)) != _digest(demo, ("land_use",))
    a = demo.layers["land_use"].geometry.array
    b = other.layers["land_use"].geometry.array
    assert len(a) != len(b) or not shapely.equals(a, b).all()


@pytest.mark.slow
def test_full_default_runs_under_40_seconds() -> None:
    start = time.perf_counter()
    basin = generate()
    took = time.perf_counter() - start
    print(f"generate() at default size took {took:.1f} s")
    assert took < 40
    assert len(basin.layers["land_use"]) >= 50_000
    assert basin.rasters["dem"].transform.a == 30.0
    assert basin.rasters["dem"].array.shape[0] > 4_000
