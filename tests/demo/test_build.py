"""The demo workspace: every category present, non-empty, valid and in CGCS2000; QGIS/GDAL can read it;
steep slopes and the network gaps ship derived, so the map shows them on opening."""

from __future__ import annotations

import json

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely

import liuyu
from liuyu.catalog import load_categories
from liuyu.demo import build_demo
from liuyu.errors import WorkspaceError

# derived when a user runs `liuyu analyze zonal` or `liuyu analyze cross` (issue 7); the demo ships
# steep_slopes (`liuyu derive steep-slopes`) and network_gaps (`liuyu analyze coverage`)
DERIVED_LATER = {"analysis_zonal", "cross_hotspots"}
# the basin is shared by both provinces, owned by neither; so is a gap on the Beijing-Hebei border
SHARED = {"basin": "all", "network_gaps": "some"}


@pytest.fixture(scope="module")
def demo(demo_workspace):
    """The session's demo build (tests/conftest.py): these tests only read it."""
    return demo_workspace


@pytest.mark.slow
def test_every_category_present_valid_and_in_cgcs2000(demo):
    for code, cat in load_categories().items():
        if code in DERIVED_LATER:
            continue
        if cat.is_raster:
            with rasterio.open(demo.raster_path(code)) as src:
                assert src.crs is not None and src.width > 100, code
            continue
        frame = demo.read_layer(code)
        assert len(frame) > 0, code
        assert frame.crs.to_epsg() == 4490, code
        assert shapely.is_valid(frame.geometry.values).all(), code
        assert set(frame.geometry.geom_type) == {cat.geometry}, code
        for f in cat.fields:
            if f.required:
                assert frame[f.name].notna().all(), (code, f.name)
        owned = frame["jurisdiction"].isin(["beijing", "hebei"])
        if SHARED.get(code) == "all":
            assert frame["jurisdiction"].isna().all(), code
        elif SHARED.get(code) == "some":
            assert (owned | frame["jurisdiction"].isna()).all() and owned.any(), code
        else:
            assert owned.all(), code


@pytest.mark.slow
@pytest.mark.gpkg_only
def test_gdal_lists_every_vector_category(demo):
    layers = dict(pyogrio.list_layers(demo.store.path))
    for code, cat in load_categories().items():
        if not cat.is_raster:
            assert code in layers, code
    info = pyogrio.read_info(demo.store.path, layer="stations_current")
    assert info["features"] == 429


@pytest.mark.slow
def test_network_and_provenance(demo):
    series = demo.store.series()
    assert series["n"].sum() > 1_000_000
    obs = demo.store.read_observations(property_code="nh3n")
    assert (obs["censor"] == "<").any() or len(obs) > 0
    (v,) = demo.versions("counties")
    assert "MIT" in v.provenance.licence
    (v,) = demo.versions("land_use")
    assert "synthetic" in v.provenance.note
    meta = json.loads((demo.reports_dir / "demo-metadata.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True


def _derived(demo, code: str) -> dict:
    """The one version of a derived layer: its provenance report (parameters and input versions)."""
    (v,) = demo.versions(code)
    assert v.provenance.kind == "derived", code
    return v.provenance.report


@pytest.mark.slow
def test_steep_slopes_derived_from_the_dem(demo):
    report = _derived(demo, "steep_slopes")
    assert report["params"]["threshold_deg"] == 25.0 and report["params"]["min_area_km2"] == 0.01
    assert report["inputs"] == {"dem": demo.store.raster("dem").version, "counties": 1}
    crs = demo.config.crs.analysis
    steep = demo.read_layer("steep_slopes").to_crs(crs)
    assert (steep["slope_min_deg"] == 25.0).all()
    assert set(steep["county_code"]) <= set(demo.read_layer("counties")["code"])
    area = shapely.area(steep.geometry.array) / 1e6
    assert np.allclose(steep["area_km2"], area, rtol=1e-6) and area.min() >= 0.01 - 1e-9
    # independently of Liuyu's Horn slope: central differences on the stored DEM (same CRS, metres)
    with rasterio.open(demo.raster_path("dem")) as src:
        assert src.crs.to_epsg() == 4548
        z = src.read(1, masked=True).astype(float).filled(np.nan)
        res = src.res[0]
    gy, gx = np.gradient(z, res)
    over = np.degrees(np.arctan(np.hypot(gx, gy))) > 25
    expected = np.count_nonzero(over) * res * res / 1e6
    # the majority filter and the 0.01 km² minimum drop stray cells: a few percent, not more
    assert 0.85 * expected < area.sum() < 1.1 * expected


@pytest.mark.slow
def test_network_gaps_ready_on_the_map(demo):
    report = _derived(demo, "network_gaps")
    assert report["params"]["tolerance_km"] == 1.0 and report["params"]["min_catchment_km2"] == 50.0
    crs = demo.config.crs.analysis
    gaps = demo.read_layer("network_gaps").to_crs(crs)
    assert len(gaps) > 10 and gaps["code"].is_unique
    assert (gaps["catchment_km2"] > 50).all() and gaps["boundary"].isin(["county", "township"]).all()
    # each gap is where its own river crosses a county or township boundary
    rivers = demo.read_layer("rivers").to_crs(crs).set_index("code")
    on_river = shapely.distance(gaps.geometry.array, rivers.loc[gaps["river_code"]].geometry.array)
    assert (on_river < 1.0).all()
    units = {
        "county": demo.read_layer("counties").to_crs(crs),
        "township": demo.read_layer("townships").to_crs(crs),
    }
    for kind, frame in units.items():
        edges = shapely.union_all(shapely.boundary(frame.geometry.array))
        pts = gaps[gaps["boundary"] == kind].geometry.array
        assert (shapely.distance(pts, edges) < 1.0).all(), kind
    # and no flow or quality section of that river is within the 1 km tolerance
    stations = demo.read_layer("stations").to_crs(crs)
    sections = stations[stations["kind"].isin(["flow", "water_quality", "auto_water_quality"])]
    tree = shapely.STRtree(sections.geometry.array)
    gi, si = tree.query(gaps.geometry.array, predicate="dwithin", distance=1000.0)
    same = sections["river"].to_numpy()[si] == gaps["river_name"].to_numpy()[gi]
    assert not same.any()


@pytest.mark.slow
def test_rebuild_needs_force_and_only_replaces_a_workspace(demo, tmp_path):
    with pytest.raises(WorkspaceError, match="--force"):
        build_demo(demo.root, parcels=5_000)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("x")
    with pytest.raises(WorkspaceError, match="not a Liuyu workspace"):
        build_demo(tmp_path / "mine", parcels=5_000, force=True)
    assert (tmp_path / "mine" / "thesis.docx").exists()
    with liuyu.open(demo.root) as again:
        assert again.config.basin.name.startswith("密云")
