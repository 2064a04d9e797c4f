"""Every zone kind issue 7 names works as `--by` with its default field (analysis.toml): township,
small watershed, river management range, protection zone, slopes over 25°."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from analysis_data import CRS, build, gdf, km_box
from typer.testing import CliRunner

import liuyu
from liuyu.analysis.run import derive_steep_slopes, zone_field
from liuyu.cli import app

# zone kind -> (its default zone field, the zone values expected on the tiny basin)
KINDS = {
    "townships": ("code", {"110118001", "130824001", "130824002"}),
    "small_watersheds": ("code", {"SW1", "SW2", "SW3", "SW4"}),
    "river_management_ranges": ("code", {"R1-L", "R1-R"}),
    "protection_zones": ("grade", {"1", "2"}),
    "steep_slopes": ("county_code", {"130824"}),  # the 31° ramp is the east half, county 130824
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build(tmp_path_factory.mktemp("zone_kinds") / "ws")
    with liuyu.open(root) as ws:
        ws.write_layer(
            "river_management_ranges",
            gdf(
                {"code": ["R1-L", "R1-R"], "river_code": ["R1", "R1"], "bank": ["left", "right"]},
                [km_box(1, 2, 19, 2.5), km_box(1, 1.5, 19, 2)],
            ),
        )
        # grade 1 in two separate pieces: one zone, measured together
        ws.write_layer(
            "protection_zones",
            gdf(
                {"code": ["PZ1a", "PZ1b", "PZ2"], "grade": ["1", "1", "2"]},
                [km_box(2, 2, 4, 4), km_box(12, 6, 14, 8), km_box(1, 1, 6, 6).difference(km_box(2, 2, 4, 4))],
            ),
        )
        derive_steep_slopes(ws)
    return root


def expected_zone_areas(ws: liuyu.Workspace, kind: str, field: str, clip: bool = False) -> dict[str, float]:
    """Area (km²) of each zone value, by shapely; with ``clip`` only the part inside the basin."""
    zones = ws.read_layer(kind).to_crs(CRS)
    geoms = zones.geometry.array
    if clip:  # the DEM, hence the steep slopes, reaches a little beyond the basin the parcels tile
        geoms = shapely.intersection(
            geoms, shapely.union_all(ws.read_layer("basin").to_crs(CRS).geometry.array)
        )
    areas = shapely.area(geoms) / 1e6
    return {str(k): float(v) for k, v in zones.assign(a=areas).groupby(field)["a"].sum().items()}


@pytest.mark.parametrize("kind", list(KINDS))
def test_land_use_by_each_zone_kind(root: Path, tmp_path: Path, kind: str) -> None:
    field, values = KINDS[kind]
    assert zone_field(kind) == field
    out = tmp_path / f"{kind}.csv"
    res = CliRunner().invoke(
        app, ["analyze", "zonal", "--theme", "land_use", "--by", kind, "--out", str(out), "-w", str(root)]
    )
    assert res.exit_code == 0, res.output
    with liuyu.open(root) as ws:
        table = pd.read_csv(out, dtype={"zone": str, "class": str})
        assert set(table["zone"]) == values
        per_zone = table.groupby("zone").agg(a=("area_km2", "sum"), z=("zone_area_km2", "first"))
        expected = expected_zone_areas(ws, kind, field)
        assert np.allclose(per_zone["z"], [expected[z] for z in per_zone.index], rtol=1e-6)
        # the parcels tile the basin: each zone's classes add up to its part in the basin (0.01 %)
        inside = expected_zone_areas(ws, kind, field, clip=True)
        assert np.allclose(per_zone["a"], [inside[z] for z in per_zone.index], rtol=1e-4)
        layer = ws.read_layer("analysis_zonal")
        assert sorted(layer["code"]) == sorted(values) and (layer["zone_category"] == kind).all()
        assert shapely.is_valid(layer.geometry.array).all()


@pytest.mark.parametrize("kind", list(KINDS))
def test_dem_by_each_zone_kind(root: Path, kind: str) -> None:
    from liuyu.analysis.run import run_zonal

    _, values = KINDS[kind]
    with liuyu.open(root) as ws:
        result = run_zonal(ws, "dem", kind, threshold=200.0, write=False)
    table = result.table.set_index("zone")
    assert set(table.index) == values and table.index.is_unique  # one row per zone value
    assert table["mean"].between(99.9, 100.0 + 0.6 * 10_000).all()
    assert (table["min"] <= table["mean"] + 1e-3).all() and (table["mean"] <= table["max"] + 1e-3).all()
    if kind == "protection_zones":
        # grade 1 = a flat piece (100 m) and a piece on the ramp (x 12-14 km: 1300-2500 m), equal areas
        assert table.loc["1", "mean"] == pytest.approx((100 + (100 + 0.6 * 3000)) / 2, rel=0.01)
        assert table.loc["1", "share_above"] == pytest.approx(0.5, abs=0.01)


def test_steep_slopes_through_the_api(root: Path) -> None:
    from fastapi.testclient import TestClient

    from liuyu.api import create_app

    client = TestClient(create_app(root))
    r = client.post("/api/analysis/steep-slopes", params={"threshold": 30})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["layer"] == "steep_slopes" and body["params"]["threshold_deg"] == 30.0
    assert [row["county_code"] for row in body["rows"]] == ["130824"]  # 31° > 30°: still the ramp
    assert client.post("/api/analysis/steep-slopes", params={"threshold": 40}).json()["rows"] == []
    assert client.post("/api/analysis/steep-slopes", params={"threshold": 95}).status_code == 422
    client.post("/api/analysis/steep-slopes")  # back to the legal 25° for the module's other tests
