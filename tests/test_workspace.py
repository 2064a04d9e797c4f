"""Workspaces: created, found like git finds a repository, and refused with helpful errors."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

import liuyu
from conftest import township_frame
from liuyu.errors import ConfigError, StoreError, WorkspaceError
from liuyu.store.location import is_server_location


def test_init_creates_the_layout(tmp_path):
    ws = liuyu.init(tmp_path / "w", basin_name="密云水库流域")
    on_server = is_server_location(ws.config.store.location)  # the PostGIS pass: no file in the folder
    for name in ("liuyu.toml", *(() if on_server else ("liuyu.gpkg",)), "sources", "reports", "rasters"):
        assert (ws.root / name).exists(), name
    assert ws.config.crs.storage == "EPSG:4490" and ws.config.crs.analysis == "EPSG:4548"
    assert ws.config.jurisdiction_codes() == ["beijing", "hebei"]
    ws.close()
    again = liuyu.open(tmp_path / "w")
    assert again.config.basin.name == "密云水库流域"
    again.close()


def test_init_refuses_non_empty_folder_and_existing_workspace(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "notes.txt").write_text("mine")
    with pytest.raises(WorkspaceError, match="not empty"):
        liuyu.init(tmp_path / "x")
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["notes.txt"]
    liuyu.init(tmp_path / "y").close()
    with pytest.raises(WorkspaceError, match="already"):
        liuyu.init(tmp_path / "y")


def test_find_workspace_like_git(tmp_path, monkeypatch):
    liuyu.init(tmp_path / "w").close()
    sub = tmp_path / "w" / "reports" / "deep"
    sub.mkdir()
    monkeypatch.chdir(sub)
    monkeypatch.delenv("LIUYU_WORKSPACE", raising=False)
    assert liuyu.find_workspace() == (tmp_path / "w").resolve()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WorkspaceError, match="no Liuyu workspace"):
        liuyu.find_workspace()
    monkeypatch.setenv("LIUYU_WORKSPACE", str(tmp_path / "w"))
    assert liuyu.find_workspace() == (tmp_path / "w").resolve()
    assert liuyu.find_workspace(tmp_path / "w") == (tmp_path / "w").resolve()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("[crs]", '[crs]\nanalysiss = "EPSG:4548"'), "crs.analysiss: unknown key"),
        (
            lambda t: t.replace('analysis = "EPSG:4548"', 'analysis = "EPSG:999999"'),
            "crs.analysis: .*unknown CRS",
        ),
        (lambda t: t.replace("[basin]", "[basin"), "not valid TOML"),
        (lambda t: t.replace('code = "hebei"', 'code = "beijing"'), "appear twice"),
    ],
)
def test_config_typos_name_the_key(tmp_path, edit, message):
    liuyu.init(tmp_path / "w").close()
    cfg = tmp_path / "w" / "liuyu.toml"
    cfg.write_text(edit(cfg.read_text(encoding="utf-8")), encoding="utf-8")
    before = sorted(p.name for p in (tmp_path / "w").iterdir())
    with pytest.raises(ConfigError, match=message):
        liuyu.open(tmp_path / "w")
    assert sorted(p.name for p in (tmp_path / "w").iterdir()) == before


@pytest.mark.gpkg_only
def test_missing_store_file_is_explained(tmp_path):
    liuyu.init(tmp_path / "w").close()
    (tmp_path / "w" / "liuyu.gpkg").unlink()
    with pytest.raises(StoreError, match="missing"):
        liuyu.open(tmp_path / "w")


def test_write_layer_archives_source_and_reprojects(workspace, tmp_path):
    src = tmp_path / "t.geojson"
    frame = township_frame()
    frame.to_file(src, engine="pyogrio")
    projected = frame.to_crs("EPSG:4548")
    info = workspace.write_layer("townships", projected, source=src, agency="测绘院", jurisdiction="beijing")
    assert info.provenance.source_checksum is not None
    assert (workspace.sources_dir / f"{info.provenance.source_checksum}.geojson").exists()
    back = workspace.read_layer("townships")
    assert back.crs.to_epsg() == 4490
    assert np.allclose(back.total_bounds, frame.total_bounds, atol=1e-7)
    with pytest.raises(ConfigError, match="unknown jurisdiction"):
        workspace.write_layer("townships", frame, jurisdiction="tianjin")


def test_raster_is_a_versioned_cog(workspace):
    arr = np.arange(600 * 500, dtype="float32").reshape(600, 500)
    tr = Affine(30, 0, 500000, 0, -30, 4_500_000)
    v1 = workspace.write_raster("dem", arr, tr, "EPSG:4548", nodata=-9999, unit="m")
    assert v1.version == 1
    assert workspace.write_raster("dem", arr, tr, "EPSG:4548", nodata=-9999, unit="m") is None
    v2 = workspace.write_raster("dem", arr + 1, tr, "EPSG:4548", nodata=-9999, unit="m")
    assert (v2.version, v2.n_added, v2.n_changed) == (2, 0, 1)
    assert (v1.n_added, v1.n_changed) == (1, 0)
    path = workspace.raster_path("dem")
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4548 and src.read(1)[0, 0] == 1
        assert src.profile["tiled"] and src.overviews(1)
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    assert workspace.raster_path("dem", version=1) != path
    with pytest.raises(StoreError, match="vector category"):
        workspace.write_raster("townships", arr, tr, "EPSG:4548")


def test_catalog_lists_every_category(workspace):
    workspace.write_layer("townships", township_frame())
    cat = workspace.catalog().set_index("code")
    assert len(cat) == len(workspace.categories())
    assert cat.loc["townships", "features"] == 12 and cat.loc["townships", "version"] == 1
    assert cat.loc["rivers", "features"] == 0
