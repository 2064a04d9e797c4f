"""The ingest pipeline end to end: files and deliveries in, versions, quarantine and reports out."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from ingest_data import X0, Y0, delivery, parcels, townships, unreadable_row, write_shapefile

from liuyu.errors import IngestError
from liuyu.geo import offset_geometries, to_crs
from liuyu.ingest.pipeline import IngestOptions, IngestResult, ingest_delivery


def check_counts(result: IngestResult) -> None:
    """The invariant every ingest keeps: input = accepted + quarantined."""
    c = result.counts
    assert c["input"] == c["accepted"] + c["quarantined"]
    assert len(result.accepted) == c["accepted"] and len(result.quarantine) == c["quarantined"]


def bad_parcels() -> gpd.GeoDataFrame:
    f = parcels(8)
    f.loc[1, "DLBM"] = "水田"  # a name: converted to 0101
    f.loc[2, "DLBM"] = "森林"  # not in the code list: quarantined
    f.loc[3, "geometry"] = shapely.Polygon(
        [(X0, Y0), (X0 + 0.01, Y0 + 0.01), (X0 + 0.01, Y0), (X0, Y0 + 0.01)]
    )
    f.loc[4, "geometry"] = None  # quarantined
    f.loc[5, "TBMJ"] = np.nan
    return f


def test_a_gbk_shapefile_in_gauss_kruger_lands_as_a_standardized_version(workspace, tmp_path: Path) -> None:
    path = write_shapefile(bad_parcels().to_crs("EPSG:4548"), tmp_path / "in", encoding="GBK")
    r = workspace.ingest_layer(path, "land_use", agency="密云区规自分局", user="editor", licence="内部")
    check_counts(r)
    assert r.status == "written" and r.version is not None and r.version.version == 1
    assert r.counts == {"input": 8, "accepted": 6, "quarantined": 2, "repaired": 1, "warnings": 1}
    layer = workspace.read_layer("land_use")
    assert sorted(layer["class_code"]) == ["0101", "0101", "0103", "0301", "0404", "0404"]
    assert json.loads(layer["extra"].iloc[0]) == {"备注": "note 0"}  # GBK decoded, kept in extra
    assert layer.crs.to_epsg() == 4490 and layer.total_bounds[0] == pytest.approx(X0, abs=1e-6)
    q = workspace.store.quarantine()
    assert sorted(zip(q["row"], q["reason"], strict=True)) == [(3, "not_in_codelist"), (5, "empty_geometry")]
    assert set(q["source_checksum"]) == {r.report["source"]["checksum"]}
    assert json.loads(q.set_index("row").loc[3, "attributes"])["DLBM"] == "森林"
    # provenance: the archived source (a zip of the shapefile's parts) and the report summary
    v = workspace.versions("land_use")[0].provenance
    assert (v.agency, v.user, v.licence, v.source_name) == ("密云区规自分局", "editor", "内部", "parcels.shp")
    archived = workspace.sources_dir / f"{v.source_checksum}.shp.zip"
    assert archived.exists() and {"parcels.shp", "parcels.dbf", "parcels.prj"} <= set(
        __import__("zipfile").ZipFile(archived).namelist()
    )
    assert v.report is not None and v.report["ingest_id"] == r.ingest_id and v.report["counts"] == r.counts
    html = (workspace.root / r.report["files"]["html"]).read_text(encoding="utf-8")
    assert "<svg" in html and "入库报告" in html and "Ingest report" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # self-contained
    assert (
        json.loads((workspace.root / r.report["files"]["json"]).read_text(encoding="utf-8"))["ingest_id"]
        == r.ingest_id
    )


def test_the_same_file_twice_makes_no_new_version(workspace, tmp_path: Path) -> None:
    path = write_shapefile(bad_parcels(), tmp_path / "in")
    first = workspace.ingest_layer(path, "land_use")
    again = workspace.ingest_layer(path, "land_use")
    check_counts(again)
    assert again.status == "unchanged" and again.version is None and again.report["unchanged_version"] == 1
    assert [v.version for v in workspace.versions("land_use")] == [1]
    assert len(workspace.store.quarantine()) == first.counts["quarantined"]  # no second copy
    assert again.report["quarantine"] == {"records": 2, "new": 0}


def test_dry_run_writes_the_report_and_nothing_else(workspace, tmp_path: Path) -> None:
    path = write_shapefile(bad_parcels(), tmp_path / "in")
    r = workspace.ingest_layer(path, "land_use", dry_run=True)
    check_counts(r)
    assert r.status == "dry-run" and r.version is None and len(r.quarantine) == 2
    assert workspace.versions("land_use") == [] and workspace.store.quarantine().empty
    assert list(workspace.sources_dir.iterdir()) == []
    assert sorted(p.suffix for p in (workspace.reports_dir / "ingest").iterdir()) == [".html", ".json"]
    assert workspace.store.audit_log().empty


def test_partial_updates_by_jurisdiction_keep_the_other_jurisdictions_features(workspace) -> None:
    hebei = parcels(4)
    beijing = parcels(8).iloc[4:].assign(BSM=lambda f: "B" + f["BSM"])
    ingest_delivery(workspace, delivery(hebei), "land_use", IngestOptions(jurisdiction="hebei"))
    ingest_delivery(workspace, delivery(beijing), "land_use", IngestOptions(jurisdiction="beijing"))
    smaller = beijing.iloc[:2]
    r = ingest_delivery(workspace, delivery(smaller), "land_use", IngestOptions(jurisdiction="beijing"))
    assert r.version is not None and r.version.scope == "beijing" and r.version.n_removed == 2
    layer = workspace.read_layer("land_use")
    assert (layer["jurisdiction"] == "hebei").sum() == 4 and (layer["jurisdiction"] == "beijing").sum() == 2
    with pytest.raises(IngestError, match="needs --jurisdiction"):
        ingest_delivery(workspace, delivery(hebei), "land_use", IngestOptions(scope="jurisdiction"))
    with pytest.raises(IngestError, match="unknown jurisdiction"):
        ingest_delivery(workspace, delivery(hebei), "land_use", IngestOptions(jurisdiction="tianjin"))


def test_partial_update_by_area_replaces_only_the_features_inside(workspace) -> None:
    ingest_delivery(workspace, delivery(parcels(8)), "land_use")
    area = shapely.box(X0 - 0.001, Y0 - 0.001, X0 + 0.0201, Y0 + 0.011)  # the first two parcels of row 1
    finer = parcels(8).iloc[[0, 1, 6]].assign(DLBM="0404")  # row 7 is outside the area
    r = ingest_delivery(workspace, delivery(finer), "land_use", IngestOptions(scope="area", area=area.wkt))
    check_counts(r)
    assert r.counts["quarantined"] == 1 and r.quarantine["reason"].tolist() == ["outside_scope"]
    assert r.version is not None and r.version.n_changed == 2 and r.version.scope.startswith("area(")
    layer = workspace.read_layer("land_use").set_index("parcel_id")
    assert layer.loc[["P0000", "P0001"], "class_code"].tolist() == ["0404", "0404"]
    assert len(layer) == 8 and layer.loc["P0006", "class_code"] == "0301"
    # the default area is the delivery's convex hull
    hull = ingest_delivery(
        workspace, delivery(parcels(2).assign(DLBM="0102")), "land_use", IngestOptions(scope="area")
    )
    assert hull.version is not None and hull.version.n_changed == 2 and hull.version.n_removed == 0


def stations(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "站码": [f"1101SZ{i:03d}" for i in range(n)],
            "站名": [f"站{i}" for i in range(n)],
            "站类": ["水质监测断面"] * n,
        },
        geometry=shapely.points(X0 + 0.05 * np.arange(n), np.full(n, Y0 + 0.05)),
        crs="EPSG:4326",
    )


def test_gcj02_points_are_de_offset(workspace) -> None:
    truth = stations()
    offset = truth.set_geometry(offset_geometries(truth.geometry.values, "gcj02"))
    r = ingest_delivery(workspace, delivery(offset, crs=None), "stations", IngestOptions(crs="gcj02"))
    check_counts(r)
    assert r.report["crs"]["deoffset"] == "gcj02"
    stored = workspace.read_layer("stations")
    d = shapely.distance(stored.geometry.values, truth.geometry.values)
    assert np.all(d < 1e-7)  # well under a millimetre


def test_a_layer_traced_on_an_amap_background_is_flagged(workspace) -> None:
    counties = townships(4).rename(columns={"XZQDM": "code", "XZQMC": "name"})
    workspace.write_layer("counties", counties)
    shifted = townships(4).set_geometry(offset_geometries(townships(4).geometry.values, "gcj02"))
    r = ingest_delivery(workspace, delivery(shifted), "townships")
    notes = [n for n in r.report["notes"] if n["reason"] == "suspected_offset"]
    assert notes and "GCJ-02" in notes[0]["message"] and notes[0]["severity"] == "warning"
    clean = ingest_delivery(workspace, delivery(townships(4)), "townships", IngestOptions(dry_run=True))
    assert not [n for n in clean.report["notes"] if n["reason"] == "suspected_offset"]


def test_beijing_1954_only_with_given_parameters(workspace) -> None:
    f = parcels(4).to_crs(
        "EPSG:2436"
    )  # Beijing 1954 / 3-degree GK CM 117E (a null shift here: only a fixture)
    with pytest.raises(IngestError, match="Beijing 1954") as err:
        ingest_delivery(workspace, delivery(f), "land_use")
    assert "--towgs84" in (err.value.hint or "")
    r = ingest_delivery(workspace, delivery(f), "land_use", IngestOptions(towgs84="-12.6,118.3,36.7"))
    assert r.status == "written" and "towgs84" in r.report["crs"]["transformation"]
    moved = workspace.read_layer("land_use").total_bounds[0] - X0
    assert 1e-4 < abs(moved) < 2e-3  # the parameters were applied: tens of metres, not zero


def test_no_crs_lists_the_candidates(workspace) -> None:
    f = parcels(4).to_crs("EPSG:4527")  # 8-digit eastings: zone 39 with its prefix
    with pytest.raises(IngestError) as err:
        ingest_delivery(workspace, delivery(f, crs=None), "land_use")
    assert "EPSG:4527" in err.value.message and "--crs" in (err.value.hint or "")
    r = ingest_delivery(workspace, delivery(f, crs=None), "land_use", IngestOptions(crs="EPSG:4527"))
    assert r.status == "written"
    with pytest.raises(IngestError, match="outside China"):
        ingest_delivery(workspace, delivery(f, crs=None), "land_use", IngestOptions(crs="EPSG:4548"))


def test_coverage_gaps_and_overlaps_are_reported_with_locations(workspace) -> None:
    t = townships(6)
    t.loc[1, "geometry"] = shapely.box(116.84, 40.4, 116.9, 40.45)  # overlaps township 0
    t.loc[2, "geometry"] = shapely.box(116.8, 40.45, 116.83, 40.5)  # leaves a gap
    r = ingest_delivery(workspace, delivery(t), "townships")
    check_counts(r)
    reasons = {x["reason"] for x in r.report["reasons"]}
    assert {"coverage_overlap", "coverage_gap"} <= reasons and r.counts["quarantined"] == 0
    gap = next(n for n in r.report["notes"] if n["reason"] == "coverage_gap")
    assert X0 + 0.03 < gap["lon"] < X0 + 0.05 and Y0 + 0.05 < gap["lat"] < Y0 + 0.1
    overlap = next(p for p in r.report["problems"] if p["reason"] == "coverage_overlap")
    assert 116.84 <= overlap["lon"] <= 116.85 and overlap["row"] == 2  # where they overlap, not the centre
    html = (workspace.root / r.report["files"]["html"]).read_text(encoding="utf-8")
    assert html.count("<circle") >= 2


def test_features_outside_the_basin_are_flagged(workspace) -> None:
    workspace.write_layer(
        "basin",
        gpd.GeoDataFrame({"name": ["流域"]}, geometry=[shapely.box(X0, Y0, X0 + 0.05, Y0 + 0.02)], crs=4490),
    )
    f = parcels(4)
    f.loc[3, "geometry"] = shapely.box(X0 + 0.3, Y0, X0 + 0.31, Y0 + 0.01)
    r = ingest_delivery(workspace, delivery(f), "land_use")
    far = [p for p in r.report["problems"] if p["reason"] == "outside_basin"]
    assert [p["row"] for p in far] == [4] and r.counts["accepted"] == 4


def test_rows_the_reader_rejected_are_quarantined_and_counted(workspace) -> None:
    f = parcels(3)
    d = delivery(f, problems=[unreadable_row(2)])
    d.rows = np.array([1, 3, 4])
    d.n_source_rows = 4
    r = ingest_delivery(workspace, d, "land_use")
    check_counts(r)
    assert r.counts == {"input": 4, "accepted": 3, "quarantined": 1, "repaired": 0, "warnings": 0}
    assert r.quarantine[["row", "reason", "field"]].values.tolist() == [[2, "unreadable", "经度"]]
    d.n_source_rows = 9  # a reader that lost rows: nothing is written
    with pytest.raises(IngestError, match="a row would be lost"):
        ingest_delivery(workspace, d, "land_use")


def test_a_geotiff_becomes_a_raster_version(workspace, tmp_path: Path) -> None:
    import rasterio
    from affine import Affine

    path = tmp_path / "dem.tif"
    profile = {
        "driver": "GTiff",
        "width": 20,
        "height": 10,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4548",
    }
    with rasterio.open(path, "w", transform=Affine(30, 0, 480000, 0, -30, 4480000), **profile) as dst:
        dst.write(np.arange(200, dtype="float32").reshape(10, 20), 1)
    dry = workspace.ingest_layer(path, "dem", dry_run=True)
    assert dry.status == "dry-run" and workspace.versions("dem") == []
    r = workspace.ingest_layer(path, "dem")
    assert r.status == "written" and workspace.raster_path("dem").exists()
    assert workspace.ingest_layer(path, "dem").status == "unchanged"
    with pytest.raises(IngestError, match="vector category"):
        workspace.ingest_layer(path, "land_use")


def test_stored_points_match_the_projected_source_exactly(workspace) -> None:
    f = parcels(4)
    r = ingest_delivery(workspace, delivery(f.to_crs("EPSG:4548")), "land_use")
    back = to_crs(r.accepted.geometry.values, "EPSG:4490", "EPSG:4548")
    assert shapely.equals_exact(back, f.to_crs("EPSG:4548").geometry.values, tolerance=1e-3).all()


def test_basin_wide_delivery_gets_jurisdictions_by_location(tmp_path):
    """No --jurisdiction: each feature goes to the jurisdiction of the county it lies in."""
    import geopandas as gpd
    import shapely

    import liuyu

    ws = liuyu.init(tmp_path / "ws")
    counties = gpd.GeoDataFrame(
        {"code": ["110118", "130824"], "name": ["密云区", "滦平县"], "jurisdiction": ["beijing", "hebei"]},
        geometry=[shapely.box(116.5, 40.0, 117.0, 40.5), shapely.box(116.5, 40.5, 117.0, 41.0)],
        crs="EPSG:4490",
    )
    ws.write_layer("counties", counties)
    villages = gpd.GeoDataFrame(
        {"code": ["1", "2", "3"], "name": ["甲村", "乙村", "丙村"]},
        geometry=[shapely.Point(116.7, 40.2), shapely.Point(116.7, 40.8), shapely.Point(118.5, 40.2)],
        crs="EPSG:4490",
    )
    src = tmp_path / "villages.geojson"
    villages.to_file(src, engine="pyogrio")
    result = ws.ingest_layer(src, "villages")
    got = ws.read_layer("villages").set_index("code")["jurisdiction"]
    assert result.version is not None
    assert got["1"] == "beijing" and got["2"] == "hebei" and got["3"] is None
    ws.close()
