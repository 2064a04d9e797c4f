"""Shared fixtures: small, real data built in the test, and the store backends to run against."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

BACKENDS = ["gpkg"]


def township_frame(n: int = 12, *, seed: int = 1, jurisdiction: str | None = None) -> gpd.GeoDataFrame:
    """n square townships on a grid near Miyun, half Beijing, half Hebei (unless one is given)."""
    rng = np.random.default_rng(seed)
    ix = np.arange(n)
    x0 = 116.8 + (ix % 4) * 0.05
    y0 = 40.4 + (ix // 4) * 0.05
    boxes = shapely.box(x0, y0, x0 + 0.05, y0 + 0.05)
    jur = np.where(ix % 2 == 0, "beijing", "hebei") if jurisdiction is None else jurisdiction
    return gpd.GeoDataFrame(
        {
            "code": [f"110118{i:03d}" for i in ix],
            "name": [f"乡镇{i}" for i in ix],
            "county_code": "110118",
            "area_km2": np.round(rng.uniform(10, 50, n), 3),
            "jurisdiction": jur,
        },
        geometry=boxes,
        crs="EPSG:4490",
    )


@pytest.fixture
def workspace(tmp_path: Path):
    import liuyu

    ws = liuyu.init(tmp_path / "ws", basin_name="测试流域", basin_name_en="Test basin")
    yield ws
    ws.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty store of each backend: the contract tests run once per backend."""
    from liuyu.store import open_store

    if request.param == "gpkg":
        s = open_store(str(tmp_path / "liuyu.gpkg"), tmp_path, create=True)
    else:  # pragma: no cover - later backends register here
        raise ValueError(request.param)
    yield s
    s.close()
