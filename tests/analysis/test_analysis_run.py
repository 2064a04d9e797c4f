"""The analyses on a tiny workspace: results, stored layers, provenance, CLI and API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from analysis_data import build
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import liuyu
from liuyu.analysis.coverage_run import run_coverage
from liuyu.analysis.cross import run_cross
from liuyu.analysis.run import derive_steep_slopes, run_zonal
from liuyu.api import create_app
from liuyu.cli import app
from liuyu.errors import CategoryError, StoreError


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("analysis") / "ws")


@pytest.fixture
def ws(root: Path):
    with liuyu.open(root) as w:
        yield w


def test_zonal_by_township_conserves_area_and_records_inputs(ws):
    result = run_zonal(ws, "land_use", "townships")
    totals = result.table.groupby("zone")["area_km2"].sum()
    assert totals.to_dict() == pytest.approx(
        {"110118001": 100.0, "130824001": 50.0, "130824002": 50.0}, rel=1e-4
    )
    # the pattern puts a quarter of the parcels in each class
    assert result.table["share"].between(0.2, 0.3).all()
    assert result.inputs == {"land_use": 1, "townships": 1}
    assert result.params["field"] == "class_code"
    layer = ws.read_layer("analysis_zonal")
    assert sorted(layer["code"]) == ["110118001", "130824001", "130824002"]
    assert layer["theme_share"].tolist() == pytest.approx([1.0] * 3, rel=1e-4)
    (version,) = [v for v in ws.versions("analysis_zonal") if v.version == result.written_version]
    assert version.provenance.kind == "derived"
    assert version.provenance.report["inputs"] == {"land_use": 1, "townships": 1}


def test_raster_zonal_by_county(ws):
    result = run_zonal(ws, "dem", "counties", threshold=150, write=False)
    rows = result.table.set_index("zone")
    assert rows.loc["110118", "mean"] == pytest.approx(100.0, abs=0.5)
    assert rows.loc["110118", "share_above"] == pytest.approx(0.0, abs=0.01)
    assert rows.loc["130824", "max"] == pytest.approx(100 + 0.6 * 10_000, rel=0.01)
    assert result.inputs["dem"] == 1


def test_steep_slopes_then_cross_analysis(ws):
    result = derive_steep_slopes(ws, 25.0)
    steep = ws.read_layer("steep_slopes")
    # the east county rises at 0.6 (31°): it is steep, the flat west is not
    assert steep["county_code"].unique().tolist() == ["130824"]
    assert steep["area_km2"].sum() == pytest.approx(100.0, rel=0.02)
    assert result.params["threshold_deg"] == 25.0 and result.inputs["dem"] == 1
    (v,) = [v for v in ws.versions("steep_slopes") if v.version == result.written_version]
    assert v.provenance.report["params"]["dem_checksum"] == ws.store.raster("dem").checksum
    assert derive_steep_slopes(ws, 35.0).layer.empty  # 31° is not over 35°
    derive_steep_slopes(ws, 25.0)
    cross = run_cross(ws, "steep_cropland")
    # cropland (0103) is a quarter of the east county's parcels
    assert cross.table["area_km2"].sum() == pytest.approx(25.0, rel=0.03)
    spots = ws.read_layer("cross_hotspots")
    assert set(spots["analysis"]) == {"steep_cropland"} and set(spots["theme_class"]) == {"0103"}
    grade1 = run_cross(ws, "grade1_cropland_built")
    assert set(grade1.table["zone"]) == {"1"} and set(grade1.table["class"]) <= {"0103", "0702"}
    assert grade1.table["area_km2"].sum() == pytest.approx(2.0)  # 4 km² zone, half cropland or built
    spots = ws.read_layer("cross_hotspots")
    assert set(spots["analysis"]) == {"steep_cropland", "grade1_cropland_built"}  # earlier ones kept


def test_empty_zone_layer_says_what_to_do(tmp_path):
    with liuyu.init(tmp_path / "empty") as empty, pytest.raises(StoreError, match="empty"):
        run_zonal(empty, "land_use", "townships")
    with liuyu.open(tmp_path / "empty") as empty, pytest.raises(CategoryError):
        run_zonal(empty, "land_use", "rivers")


def test_coverage_gaps_and_targets(ws):
    result = run_coverage(ws)
    table = result.table.set_index(["zone", "kind"])
    assert table.loc[("basin", "rain"), "needed"] == 3 and table.loc[("basin", "rain"), "met"]
    assert table.loc[("beijing", "rain"), "needed"] == 3 and table.loc[("beijing", "rain"), "shortfall"] == 1
    gaps = ws.read_layer("network_gaps")
    assert gaps["river_code"].tolist() == ["R3"] and gaps["boundary"].tolist() == ["township"]
    eco = result.extra_tables["boundary_ecology"]
    assert eco["covered"].tolist() == [True]


def test_cli(root, tmp_path):
    runner = CliRunner()
    out = tmp_path / "zonal.xlsx"
    res = runner.invoke(
        app,
        [
            "analyze",
            "zonal",
            "--theme",
            "land_use",
            "--by",
            "small_watersheds",
            "--out",
            str(out),
            "-w",
            str(root),
        ],
    )
    assert res.exit_code == 0, res.output
    table = pd.read_excel(out, sheet_name="result", dtype={"class": str})
    assert set(table["zone"]) == {"SW1", "SW2", "SW3", "SW4"}
    assert np.allclose(table.groupby("zone")["area_km2"].sum(), 50.0, rtol=1e-4)
    params = pd.read_excel(out, sheet_name="parameters").set_index("key")["value"]
    assert json.loads(params["inputs"]) == {"land_use": 1, "small_watersheds": 1}
    csv = tmp_path / "cov.csv"
    res = runner.invoke(app, ["analyze", "coverage", "--out", str(csv), "-w", str(root)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cov.gaps.csv").exists() and json.loads((tmp_path / "cov.csv.meta.json").read_text())
    res = runner.invoke(app, ["derive", "steep-slopes", "--threshold", "30", "-w", str(root)])
    assert res.exit_code == 0 and "130824" in res.output
    res = runner.invoke(app, ["analyze", "cross", "-w", str(root)])
    assert "steep_cropland" in res.output


def test_api(root):
    client = TestClient(create_app(root))
    r = client.get("/api/analysis/zonal", params={"theme": "land_use", "by": "counties"})
    assert r.status_code == 200
    body = r.json()
    assert body["layer"] is None and body["inputs"] == {"land_use": 1, "counties": 1}
    assert sum(row["area_km2"] for row in body["rows"]) == pytest.approx(200.0, rel=1e-4)
    csv = client.get("/api/analysis/zonal", params={"theme": "land_use", "by": "counties", "f": "csv"})
    assert csv.headers["content-type"].startswith("text/csv") and "area_km2" in csv.text
    r = client.post("/api/analysis/coverage")
    assert r.status_code == 200 and r.json()["layer"] == "network_gaps"
    items = client.get("/collections/network_gaps/items").json()
    assert [f["properties"]["river_code"] for f in items["features"]] == ["R3"]
    assert client.get("/api/analysis/zonal", params={"theme": "land_use", "by": "nope"}).status_code == 404
    assert client.get("/api/analysis/cross/nope").status_code in (400, 404)
    names = [c["name"] for c in client.get("/api/analysis/cross").json()]
    assert "steep_cropland" in names
