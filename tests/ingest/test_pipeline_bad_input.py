"""The bad-input corpus of issue 4, end to end through ``Workspace.ingest_layer``.

Each file gives a clear error (a LiuyuError with a message and a hint, never a traceback) or
is ingested with its bad rows quarantined; when it is ingested, input = accepted + quarantined.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from ingest_data import X0, Y0, parcels, write_shapefile

from liuyu.errors import IngestError, LiuyuError
from liuyu.geo import offset_geometries
from liuyu.ingest.pipeline import IngestResult


def counted(r: IngestResult) -> IngestResult:
    c = r.counts
    assert c["input"] == c["accepted"] + c["quarantined"] == len(r.accepted) + len(r.quarantine)
    stored = 0 if r.version is None else r.version.n_features
    assert r.status != "written" or stored == c["accepted"]
    return r


def refused(exc: pytest.ExceptionInfo[LiuyuError]) -> str:
    """The error says what and what to do (the CLI prints exactly these two)."""
    assert isinstance(exc.value, LiuyuError) and exc.value.message and exc.value.hint
    return exc.value.message


def test_truncated_shp_quarantines_the_lost_feature(workspace, tmp_path: Path) -> None:
    path = write_shapefile(parcels(3), tmp_path / "in")
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size - 40)
    r = counted(workspace.ingest_layer(path, "land_use"))
    assert r.counts == {"input": 3, "accepted": 2, "quarantined": 1, "repaired": 0, "warnings": 0}
    assert r.quarantine[["row", "reason"]].values.tolist() == [[3, "unreadable"]]
    assert workspace.store.quarantine()["geom"].iloc[0] is None


def test_missing_dbf_is_refused(workspace, tmp_path: Path) -> None:
    path = write_shapefile(parcels(3), tmp_path / "in")
    path.with_suffix(".dbf").unlink()
    with pytest.raises(IngestError) as exc:
        workspace.ingest_layer(path, "land_use")
    assert ".dbf" in refused(exc)
    assert workspace.versions("land_use") == []


def test_wrong_encoding(workspace, tmp_path: Path) -> None:
    path = write_shapefile(parcels(3), tmp_path / "in", encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    r = counted(workspace.ingest_layer(path, "land_use", dry_run=True))  # detected without a .cpg
    assert r.report["fields"]["unmapped"] == ["备注"]
    with pytest.raises(LiuyuError) as exc:
        workspace.ingest_layer(path, "land_use", encoding="utf-8")
    refused(exc)


def test_mixed_geometry_types(workspace, tmp_path: Path) -> None:
    f = parcels(4)
    f.loc[1, "geometry"] = shapely.Point(X0, Y0)
    f.loc[2, "geometry"] = shapely.LineString([(X0, Y0), (X0 + 0.01, Y0)])
    f.loc[3, "geometry"] = shapely.GeometryCollection(
        [shapely.box(X0, Y0 + 0.02, X0 + 0.01, Y0 + 0.03), shapely.Point(X0, Y0)]
    )
    path = tmp_path / "mixed.geojson"
    f.to_file(path, driver="GeoJSON", engine="pyogrio")
    r = counted(workspace.ingest_layer(path, "land_use"))
    assert sorted(r.quarantine["reason"]) == ["wrong_geometry_type", "wrong_geometry_type"]
    assert {p["reason"] for p in r.report["problems"]} >= {"collection_parts", "wrong_geometry_type"}
    assert r.counts["accepted"] == 2


def test_self_intersecting_polygons_are_repaired(workspace, tmp_path: Path) -> None:
    f = parcels(3)
    f.loc[0, "geometry"] = shapely.Polygon(
        [(X0, Y0), (X0 + 0.01, Y0 + 0.01), (X0 + 0.01, Y0), (X0, Y0 + 0.01)]
    )
    path = write_shapefile(f, tmp_path / "in")
    r = counted(workspace.ingest_layer(path, "land_use"))
    (repair,) = r.report["repairs"]
    assert repair["row"] == 1 and repair["area_m2_after"] > 400_000 and r.counts["quarantined"] == 0
    assert shapely.is_valid(workspace.read_layer("land_use").geometry.values).all()


def test_eight_digit_eastings_without_a_crs(workspace, tmp_path: Path) -> None:
    path = write_shapefile(parcels(3).to_crs("EPSG:4527"), tmp_path / "in")
    path.with_suffix(".prj").unlink()
    with pytest.raises(IngestError) as exc:
        workspace.ingest_layer(path, "land_use")
    message = refused(exc)
    assert "EPSG:4527" in message and "zone" in message.lower()
    r = counted(workspace.ingest_layer(path, "land_use", crs="EPSG:4527"))
    assert workspace.read_layer("land_use").total_bounds[0] == pytest.approx(X0, abs=1e-7)
    assert r.report["crs"]["how"] == "option"


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("站码,站名,站类,经度,纬度\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_gcj02_points(workspace, tmp_path: Path) -> None:
    truth = shapely.points([X0 + 0.05, X0 + 0.1], [Y0 + 0.05, Y0 + 0.05])
    gcj = offset_geometries(truth, "gcj02")
    rows = [f"S{i},站{i},水质监测断面,{p.x:.9f},{p.y:.9f}" for i, p in enumerate(gcj)]
    path = write_csv(tmp_path / "stations.csv", rows)
    with pytest.raises(IngestError) as exc:  # a table never declares its CRS
        workspace.ingest_layer(path, "stations")
    assert "EPSG:4490" in refused(exc)
    counted(workspace.ingest_layer(path, "stations", crs="gcj02"))
    stored = workspace.read_layer("stations").sort_values("code").geometry.values
    assert np.all(shapely.distance(stored, truth) < 1e-7)


def test_xlsx_with_merged_header_rows_and_units(workspace, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "农村污水处理设施台账"
    ws.merge_cells("A1:F1")
    ws.append(["设施编号", "设施名称", "位置", None, "处理规模(万吨/日)", "服务人口"])
    ws.append([None, None, "经度", "纬度", None, None])
    for col in "ABEF":
        ws.merge_cells(f"{col}2:{col}3")
    ws.merge_cells("C2:D2")
    ws.append(["WS001", "甲村站", "116°50′30″", "40°30′", 0.05, 320])
    ws.append(["WS002", "乙村站", 116.9, 40.52, 0.012, "三百"])
    ws.append(["WS003", "丙村站", "abc", 40.6, 0.01, 100])
    path = tmp_path / "台账.xlsx"
    wb.save(path)
    r = counted(workspace.ingest_layer(path, "sewage_facilities", crs="EPSG:4490"))
    assert r.counts["quarantined"] == 1 and r.quarantine["row"].tolist() == [6]
    layer = workspace.read_layer("sewage_facilities").set_index("code")
    assert layer.loc["WS001", "capacity_m3d"] == pytest.approx(500.0)  # 万吨/日 -> m³/d
    assert layer.loc["WS001"].geometry.x == pytest.approx(116 + 50 / 60 + 30 / 3600)
    assert layer.loc["WS001", "served_population"] == 320 and pd.isna(layer.loc["WS002", "served_population"])
    nulled = [p for p in r.report["problems"] if p["reason"] == "nulled_value"]
    assert [(p["row"], p["value"]) for p in nulled] == [(5, "三百")]


def test_dms_coordinates(workspace, tmp_path: Path) -> None:
    rows = [
        "S1,甲,雨量站,116°50′30″,40°30′15″",
        "S2,乙,雨量站,116°51'00\",40°31'00\"",
        "S3,丙,雨量站,东经,40.5",
    ]
    r = counted(workspace.ingest_layer(write_csv(tmp_path / "dms.csv", rows), "stations", crs="EPSG:4490"))
    assert r.counts == {
        "input": 3,
        "accepted": 2,
        "quarantined": 1,
        "repaired": 0,
        "warnings": r.counts["warnings"],
    }
    pts = workspace.read_layer("stations").sort_values("code").geometry
    assert pts.x.iloc[1] == pytest.approx(116.85) and pts.y.iloc[0] == pytest.approx(40 + 30 / 60 + 15 / 3600)


@pytest.mark.parametrize("name", ["empty.shp", "empty.zip", "empty.csv", "empty.xlsx", "empty.geojson"])
def test_an_empty_file(workspace, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(IngestError) as exc:
        workspace.ingest_layer(path, "land_use")
    assert "empty" in refused(exc)


def test_a_zip_bomb(workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from liuyu.ingest import safety

    monkeypatch.setattr(safety, "RATIO_MIN_BYTES", 10_000)
    monkeypatch.setattr(safety, "MAX_ENTRY_RATIO", 50.0)
    path = tmp_path / "parcels.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("parcels.dbf", b"\x00" * 500_000)
    with pytest.raises(IngestError) as exc:
        workspace.ingest_layer(path, "land_use")
    assert "expand" in refused(exc) and "zip bomb" in (exc.value.hint or "")
    assert list(workspace.sources_dir.iterdir()) == []


def test_path_traversal_in_zip_entries(workspace, tmp_path: Path) -> None:
    shp = write_shapefile(parcels(2), tmp_path / "in")
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, f"../../{part.name}")
    with pytest.raises(IngestError) as exc:
        workspace.ingest_layer(path, "land_use")
    refused(exc)
    assert not (tmp_path.parent / "parcels.shp").exists()


def test_a_file_that_is_not_what_its_extension_says(workspace, tmp_path: Path) -> None:
    path = tmp_path / "parcels.shp"
    path.write_text("<!DOCTYPE html><html><body>404 Not Found</body></html>", encoding="utf-8")
    with pytest.raises(IngestError) as exc:
        workspace.ingest_layer(path, "land_use")
    assert "HTML" in refused(exc) or "html" in refused(exc)
    gpkg = tmp_path / "parcels.gpkg"
    gpkg.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(LiuyuError) as exc2:
        workspace.ingest_layer(gpkg, "land_use")
    refused(exc2)


def test_a_delivery_whose_every_row_is_bad_is_all_quarantined(workspace, tmp_path: Path) -> None:
    f = parcels(4).assign(DLBM="未知")
    r = counted(workspace.ingest_layer(write_shapefile(f, tmp_path / "in"), "land_use"))
    assert r.counts["accepted"] == 0 and r.counts["quarantined"] == 4
    assert (
        r.status == "rejected" and workspace.versions("land_use") == []
    )  # no version that empties the layer
    assert len(workspace.store.quarantine()) == 4


def test_points_for_a_polygon_category(workspace, tmp_path: Path) -> None:
    pts = gpd.GeoDataFrame(
        parcels(3).drop(columns="geometry"), geometry=shapely.points([X0] * 3, [Y0] * 3), crs=4490
    )
    r = counted(workspace.ingest_layer(write_shapefile(pts, tmp_path / "in"), "land_use"))
    assert set(r.quarantine["reason"]) == {"wrong_geometry_type"} and r.counts["accepted"] == 0
