"""Every analysis on the demo basin, as a user runs them from the command line (slow: builds the demo)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from typer.testing import CliRunner

from liuyu.cli import app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(copy_demo, tmp_path_factory):
    """One copy of the session's demo for this module: the analyses write their results to it."""
    ws = copy_demo(tmp_path_factory.mktemp("demo_analysis") / "demo")
    yield ws
    ws.close()


def invoke(demo, *args: str) -> str:
    res = CliRunner().invoke(app, [*args, "-w", str(demo.root)])
    assert res.exit_code == 0, res.output
    return res.output


def test_every_analysis_runs_on_the_demo(demo, tmp_path):
    invoke(demo, "derive", "steep-slopes")
    steep = demo.read_layer("steep_slopes")
    assert len(steep) > 100 and (steep["slope_min_deg"] == 25).all()
    assert shapely.is_valid(steep.geometry.array).all()
    zones = ("townships", "small_watersheds", "river_management_ranges", "protection_zones", "steep_slopes")
    for by in zones:
        out = tmp_path / f"{by}.csv"
        invoke(demo, "analyze", "zonal", "--theme", "land_use", "--by", by, "--out", str(out))
        assert out.stat().st_size > 0
    invoke(demo, "analyze", "zonal", "--theme", "spatial_planning", "--by", "townships")
    invoke(demo, "analyze", "zonal", "--theme", "forest_subcompartments", "--by", "small_watersheds")
    invoke(demo, "analyze", "zonal", "--theme", "dem", "--by", "small_watersheds", "--threshold", "800")
    zonal = demo.read_layer("analysis_zonal")
    assert len(zonal) == 179 and zonal["mean"].between(0, 3000).all()
    for name in ("steep_cropland", "grade1_cropland_built", "forest_by_protection_zone"):
        invoke(demo, "analyze", "cross", name)
    spots = demo.read_layer("cross_hotspots")
    assert "steep_cropland" in set(spots["analysis"])  # the small demo's few forest stands miss the zones
    assert spots.loc[spots["analysis"] == "steep_cropland", "theme_class"].str.startswith("01").all()
    text = invoke(demo, "analyze", "coverage")
    assert "rain" in text
    gaps = demo.read_layer("network_gaps")
    assert len(gaps) > 0 and (gaps["catchment_km2"] > 50).all()
    # nearer than the 1 km tolerance only when that section stands on another river
    assert np.isfinite(gaps["nearest_section_km"]).all()
    assert (gaps["nearest_section_km"] > 1.0).mean() > 0.9


def test_land_use_by_small_watershed_conserves_area(demo):
    from liuyu.analysis.run import run_zonal

    result = run_zonal(demo, "land_use", "small_watersheds", write=False)
    per_zone = result.table.groupby("zone").agg(a=("area_km2", "sum"), z=("zone_area_km2", "first"))
    # the demo's parcels tile the basin, as do its small watersheds: within 0.01 %
    assert np.allclose(per_zone["a"], per_zone["z"], rtol=1e-4)
