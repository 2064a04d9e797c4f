"""Shared fixtures: small, real data built in the test, and the store backends to run against."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

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


# The demo basin, built once per test session (~30 s). Tests that only read take `demo_workspace`;
# tests that write take `demo_copy` (or `copy_demo` for a module-scoped copy) so that nothing they
# write can leak into another test.
DEMO_PARCELS = 2_000


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the one demo build of this session, closed (no connection holds it)."""
    from liuyu.demo import build_demo

    root = tmp_path_factory.mktemp("demo") / "ws"
    build_demo(root, parcels=DEMO_PARCELS).close()
    return root


@pytest.fixture(scope="session")
def copy_demo(demo_root: Path) -> Callable[[Path], Workspace]:
    """A function that copies the demo workspace folder (GeoPackage, observations, rasters...) to ``dest``
    and opens the copy; the caller closes it."""
    from liuyu.workspace import open_workspace

    def copy(dest: Path) -> Workspace:
        shutil.copytree(demo_root, dest)
        return open_workspace(dest)

    return copy


@pytest.fixture(scope="session")
def demo_workspace(demo_root: Path) -> Iterator[Workspace]:
    """The shared demo workspace, for tests that only read it."""
    from liuyu.workspace import open_workspace

    ws = open_workspace(demo_root)
    yield ws
    ws.close()


@pytest.fixture
def demo_copy(copy_demo: Callable[[Path], Workspace], tmp_path: Path) -> Iterator[Workspace]:
    """A private copy of the demo workspace, for a test that writes to it."""
    ws = copy_demo(tmp_path / "demo")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, launched once per test module; each test opens its own page (tests/browser.py).

    Skips the test when Chromium or the npm front end is missing.
    """
    from browser import chromium, skip_without_browser

    skip_without_browser()
    with chromium() as b:
        yield b
