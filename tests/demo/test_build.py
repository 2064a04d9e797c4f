"""The demo workspace: every category present, non-empty, valid and in CGCS2000; QGIS/GDAL can read it."""

from __future__ import annotations

import json

import pyogrio
import pytest
import rasterio
import shapely

import liuyu
from liuyu.catalog import load_categories
from liuyu.demo import build_demo
from liuyu.errors import WorkspaceError

# derived by `liuyu derive steep-slopes` and `liuyu analyze ...` (issue 7)
DERIVED_LATER = {"steep_slopes", "analysis_zonal", "cross_hotspots", "network_gaps"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "ws"
    ws = build_demo(root, parcels=5_000)
    yield ws
    ws.close()


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
        if code == "basin":
            assert frame["jurisdiction"].isna().all()  # shared by both provinces
        else:
            assert frame["jurisdiction"].isin(["beijing", "hebei"]).all(), code


@pytest.mark.slow
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
