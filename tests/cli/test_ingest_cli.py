"""`liuyu ingest` and `liuyu quarantine` as a user runs them: real subprocesses, summaries, no tracebacks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from test_cli import run

import liuyu

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from ingest_data import parcels, write_shapefile


@pytest.fixture
def ws_dir(tmp_path: Path) -> Path:
    liuyu.init(tmp_path / "ws").close()
    return tmp_path / "ws"


@pytest.fixture
def shp(tmp_path: Path) -> Path:
    f = parcels(6).to_crs("EPSG:4548")
    f.loc[2, "DLBM"] = "森林"
    f.loc[3, "DLBM"] = "旱地"
    return write_shapefile(f, tmp_path / "in", encoding="GBK")


def test_ingest_prints_a_summary_and_quarantine_commands_list_show_export(
    ws_dir: Path, shp: Path, tmp_path: Path
) -> None:
    r = run("ingest", "layer", str(shp), "--category", "land_use", "--agency", "规自分局", "-w", str(ws_dir))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "written version 1" in out and "input 6" in out and "accepted 5" in out and "quarantined 1" in out
    assert "不在代码表中" in out and "旱地 → 0103" in out and "备注" in out and ".html" in out
    r = run("ingest", "layer", str(shp), "-c", "land_use", "-w", str(ws_dir))
    assert r.returncode == 0 and "same content as version 1" in r.stdout
    r = run("quarantine", "list", "-w", str(ws_dir))
    assert r.returncode == 0 and "parcels.shp" in r.stdout and "森林" in r.stdout
    with liuyu.open(ws_dir) as ws:
        record = int(ws.store.quarantine()["id"].iloc[0])
    r = run("quarantine", "show", str(record), "-w", str(ws_dir))
    assert r.returncode == 0 and "DLBM = '森林'" in r.stdout and "POLYGON" in r.stdout
    csv = tmp_path / "q.csv"
    r = run("quarantine", "export", "--out", str(csv), "-w", str(ws_dir))
    assert r.returncode == 0, r.stderr
    table = pd.read_csv(csv, encoding="utf-8-sig")
    assert table[["row", "reason", "value"]].values.tolist() == [[3, "not_in_codelist", "森林"]]
    assert table["wkt"].iloc[0].startswith("POLYGON")
    gpkg = tmp_path / "q.gpkg"
    assert run("quarantine", "export", "-o", str(gpkg), "-w", str(ws_dir)).returncode == 0
    assert len(gpd.read_file(gpkg)) == 1
    r = run("catalog", "-w", str(ws_dir))
    assert r.returncode == 0 and "Completeness" in r.stdout and "land_use" in r.stdout


def test_dry_run_and_report_command(ws_dir: Path, shp: Path) -> None:
    r = run("ingest", "layer", str(shp), "-c", "land_use", "--dry-run", "-w", str(ws_dir))
    assert r.returncode == 0 and "dry run" in r.stdout
    reports = sorted((ws_dir / "reports" / "ingest").glob("*.json"))
    ingest_id = json.loads(reports[0].read_text(encoding="utf-8"))["ingest_id"]
    r = run("ingest", "report", ingest_id, "-w", str(ws_dir))
    assert r.returncode == 0 and ingest_id in r.stdout
    with liuyu.open(ws_dir) as ws:
        assert ws.versions("land_use") == [] and list(ws.sources_dir.iterdir()) == []


def test_scope_options_and_field_map(ws_dir: Path, tmp_path: Path) -> None:
    f = parcels(4).rename(columns={"DLBM": "类别"})
    path = write_shapefile(f, tmp_path / "in")
    r = run("ingest", "layer", str(path), "-c", "land_use", "--jurisdiction", "hebei", "-w", str(ws_dir))
    assert (
        r.returncode == 1 and "class_code" in r.stderr and "--map" in r.stderr and "Traceback" not in r.stderr
    )
    args = ("-c", "land_use", "--jurisdiction", "hebei", "--map", "类别=class_code", "-w", str(ws_dir))
    r = run("ingest", "layer", str(path), *args)
    assert r.returncode == 0, r.stderr
    assert "scope hebei" in r.stdout


@pytest.mark.parametrize(
    ("make", "expect"),
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_text("<html><body>not found</body></html>"), "HTML"),
    ],
)
def test_bad_files_are_messages_not_tracebacks(ws_dir: Path, tmp_path: Path, make, expect: str) -> None:
    path = tmp_path / "bad.shp"
    make(path)
    r = run("ingest", "layer", str(path), "-c", "land_use", "-w", str(ws_dir))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert expect.lower() in r.stderr.lower() and "→" in r.stderr


def test_no_crs_error_lists_candidates(ws_dir: Path, tmp_path: Path) -> None:
    path = write_shapefile(parcels(3).to_crs("EPSG:4527"), tmp_path / "in")
    path.with_suffix(".prj").unlink()
    r = run("ingest", "layer", str(path), "-c", "land_use", "-w", str(ws_dir))
    assert (
        r.returncode == 1 and "EPSG:4527" in r.stderr and "--crs" in r.stderr and "Traceback" not in r.stderr
    )


def test_points_land_where_they_should(ws_dir: Path, tmp_path: Path) -> None:
    pts = gpd.GeoDataFrame(
        {"站码": ["A", "B"], "站名": ["甲", "乙"], "站类": ["雨量站", "rain"]},
        geometry=shapely.points([116.9, 117.0], [40.5, 40.6]),
        crs="EPSG:4490",
    )
    path = tmp_path / "stations.geojson"
    pts.to_file(path, driver="GeoJSON", engine="pyogrio")
    r = run("ingest", "layer", str(path), "-c", "stations", "-w", str(ws_dir))
    assert r.returncode == 0, r.stderr
    with liuyu.open(ws_dir) as ws:
        got = ws.read_layer("stations").sort_values("code")
    assert got["kind"].tolist() == ["rain", "rain"]
    assert np.allclose(got.geometry.x, [116.9, 117.0])
