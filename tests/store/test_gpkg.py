"""What is specific to the GeoPackage store: atomicity, and that GDAL/QGIS read it as a GeoPackage."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from conftest import township_frame
from liuyu.catalog import get_category, load_categories
from liuyu.errors import StoreError
from liuyu.store import Provenance, open_store
from liuyu.store.gpkg_layers import LayerWriter

TOWNSHIPS = get_category("townships")
PROV = Provenance(user="tester")


@pytest.fixture
def gpkg(tmp_path):
    s = open_store(str(tmp_path / "liuyu.gpkg"), tmp_path, create=True)
    yield s
    s.close()


def test_failure_half_way_leaves_previous_version(gpkg, monkeypatch):
    gpkg.write_layer(TOWNSHIPS, township_frame(), PROV)
    before = gpkg.read_layer(TOWNSHIPS)
    original = LayerWriter._insert

    def insert_then_fail(self, conn, frame, wkb, keys, hashes, version):
        original(self, conn, frame, wkb, keys, hashes, version)  # rows retired and inserted ...
        raise OSError("disk full")  # ... then the write dies before the version is recorded

    monkeypatch.setattr(LayerWriter, "_insert", insert_then_fail)
    delivery = township_frame()
    delivery["name"] = "坏数据"
    with pytest.raises(OSError, match="disk full"):
        gpkg.write_layer(TOWNSHIPS, delivery, PROV)
    monkeypatch.undo()
    assert gpkg.current_version("townships") == 1
    after = gpkg.read_layer(TOWNSHIPS)
    assert after.drop(columns="geometry").equals(before.drop(columns="geometry"))
    # R-tree, triggers and the next write are intact too
    n_rtree = gpkg.conn.execute("SELECT count(*) FROM rtree_townships_geom").fetchone()[0]
    assert n_rtree == 12
    assert gpkg.write_layer(TOWNSHIPS, delivery, PROV).version == 2


def test_gdal_sees_every_vector_category(gpkg):
    gpkg.write_layer(TOWNSHIPS, township_frame(), PROV)
    layers = dict(pyogrio.list_layers(gpkg.path))
    vector = [c for c, cat in load_categories().items() if not cat.is_raster]
    assert set(vector) <= set(layers)
    assert layers["townships"] == "MultiPolygon"
    info = pyogrio.read_info(gpkg.path, layer="townships")
    assert info["crs"] == "EPSG:4490" and info["features"] == 12


def test_gdal_reads_history_and_current_view(gpkg):
    gpkg.write_layer(TOWNSHIPS, township_frame(), PROV)
    delivery = township_frame()
    delivery["name"] = "改"
    gpkg.write_layer(TOWNSHIPS, delivery, PROV)
    all_rows = gpd.read_file(gpkg.path, layer="townships", engine="pyogrio")
    current = gpd.read_file(gpkg.path, layer="townships_current", engine="pyogrio")
    assert len(all_rows) == 24 and len(current) == 12 and set(current["name"]) == {"改"}
    # GDAL's bbox filter goes through our R-tree
    hit = gpd.read_file(gpkg.path, layer="townships", bbox=(116.81, 40.41, 116.84, 40.44), engine="pyogrio")
    assert len(hit) == 2  # the feature in both versions


def test_rtree_triggers_keep_index_on_outside_edits(gpkg):
    """QGIS edits go through the GPKG triggers; they must keep the R-tree right."""
    gpkg.write_layer(TOWNSHIPS, township_frame(), PROV)
    gpkg.conn.execute("DELETE FROM townships WHERE feature_key = '110118000'")
    n = gpkg.conn.execute("SELECT count(*) FROM rtree_townships_geom").fetchone()[0]
    assert n == 11


def test_gpkg_header_is_standard(gpkg):
    app, ver = (gpkg.conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("application_id", "user_version"))
    assert app == 0x47504B47 and ver == 10400
    features = {
        r[0]
        for r in gpkg.conn.execute(
            "SELECT c.table_name FROM gpkg_contents c JOIN sqlite_master m ON m.name = c.table_name "
            "WHERE c.data_type = 'features' AND m.type = 'table'"  # the *_current views share their table's
        )
    }
    indexed = {
        r[0]
        for r in gpkg.conn.execute(
            "SELECT table_name FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index'"
        )
    }
    # every feature table (category layers and the problem ledger alike) has its R-tree
    assert indexed == features
    assert {c.code for c in load_categories().values() if not c.is_raster} <= features


def test_missing_corrupt_and_foreign_files_are_clear_errors(tmp_path):
    with pytest.raises(StoreError, match="missing"):
        open_store(str(tmp_path / "nope.gpkg"), tmp_path)
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="not a readable GeoPackage") as err:
        open_store(str(bad), tmp_path)
    assert "backup" in str(err.value)
    foreign = tmp_path / "foreign.gpkg"
    township_frame().to_file(foreign, layer="x", engine="pyogrio")
    with pytest.raises(StoreError, match="not a Liuyu store"):
        open_store(str(foreign), tmp_path)
    plain = tmp_path / "plain.gpkg"
    sqlite3.connect(plain).execute("CREATE TABLE t (a)").connection.commit()
    with pytest.raises(StoreError, match="not a GeoPackage"):
        open_store(str(plain), tmp_path)


def test_bulk_loaded_rtree_is_a_valid_sqlite_rtree(gpkg):
    """Large writes pack the R-tree directly; SQLite's own checker must accept the result."""
    n = 25_000
    frame = township_frame(n)  # above the bulk threshold
    frame["code"] = [f"T{i:06d}" for i in range(n)]
    gpkg.write_layer(TOWNSHIPS, frame, PROV)
    assert gpkg.conn.execute("SELECT rtreecheck('rtree_townships_geom')").fetchone()[0] == "ok"
    hit = gpkg.read_layer(TOWNSHIPS, bbox=(116.81, 40.41, 116.84, 40.44))
    assert len(hit) == frame.geometry.intersects(shapely.box(116.81, 40.41, 116.84, 40.44)).sum()
    changed = frame.iloc[:10].copy()
    changed["name"] = "改"
    gpkg.write_layer(TOWNSHIPS, pd.concat([changed, frame.iloc[10:]]), PROV)  # small incremental change
    assert gpkg.conn.execute("SELECT rtreecheck('rtree_townships_geom')").fetchone()[0] == "ok"
    assert gpkg.conn.execute("SELECT count(*) FROM rtree_townships_geom").fetchone()[0] == n + 10
