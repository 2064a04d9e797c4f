"""Shared fixtures: small, real data built in the test, and the store backends to run against."""

from __future__ import annotations

import os
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

#: The PostGIS pass: ``LIUYU_TEST_STORE=postgresql://user@host:port/db pytest ...`` makes every workspace
#: the suite creates (the demo too) a schema in that database, runs the store contract on both
#: backends and skips the tests marked ``gpkg_only`` (about the GeoPackage file itself).
TEST_STORE = os.environ.get("LIUYU_TEST_STORE") or None
BACKENDS = ["gpkg", "postgresql"] if TEST_STORE else ["gpkg"]
#: Every workspace schema this session makes is ws_<tag><4 hex>, so the session drops its own at the
#: end and never another session's (two test runs may share a database).
_SESSION_TAG: list[str] = []


def _pg_admin():
    """An autocommit connection to the test database (PostGIS pass only)."""
    from liuyu.store import pg_schema

    assert TEST_STORE is not None
    return pg_schema.connect(pg_schema.split_location(TEST_STORE)[0])


def drop_schema(location: str) -> None:
    """Drop the schema of a PostgreSQL store location (a test's workspace) if it exists."""
    from liuyu.store.location import is_server_location, split_location

    if not is_server_location(location):
        return
    with _pg_admin() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{split_location(location)[1]}" CASCADE')


def pytest_configure(config: pytest.Config) -> None:
    if TEST_STORE:
        import secrets

        from liuyu.store import location

        if location.has_schema(TEST_STORE):
            raise pytest.UsageError("LIUYU_TEST_STORE must name a database only, without ?schema=")
        os.environ[location.STORE_ENV] = TEST_STORE
        tag = secrets.token_hex(2)  # subprocesses (CLI tests) inherit it
        _SESSION_TAG.append(tag)
        os.environ[location.SCHEMA_TAG_ENV] = tag


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not TEST_STORE:
        return
    skip = pytest.mark.skip(reason="about the GeoPackage file itself; LIUYU_TEST_STORE runs on PostGIS")
    for item in items:
        if item.get_closest_marker("gpkg_only"):
            item.add_marker(skip)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Drop the workspace schemas this session made and left (subprocesses, tests that keep theirs)."""
    if not TEST_STORE or not _SESSION_TAG:
        return
    with _pg_admin() as conn:
        pattern = f"ws\\_{_SESSION_TAG[0]}%"
        names = [
            r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (pattern,))
        ]
        for name in names:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


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
    drop_schema(ws.config.store.location)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path):
    """A fresh, empty store of each backend: the contract tests run once per backend."""
    from liuyu.store import open_store
    from liuyu.store.location import store_location

    if request.param == "gpkg":
        location = str(tmp_path / "liuyu.gpkg")
    elif request.param == "postgresql":
        location = store_location(TEST_STORE)  # a new ws_<hex> schema
    else:  # pragma: no cover - later backends register here
        raise ValueError(request.param)
    s = open_store(location, tmp_path, create=True)
    yield s
    s.close()
    drop_schema(location)


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
        if TEST_STORE:  # the folder's liuyu.toml names the demo's schema: give the copy its own
            _clone_store(dest)
        return open_workspace(dest)

    return copy


def _clone_store(root: Path) -> None:
    """Point the copied workspace at a clone of the demo's PostgreSQL schema."""
    from liuyu.config import CONFIG_NAME, load_config, save_config
    from liuyu.store.location import new_schema_name
    from liuyu.store.pg import PostgisStore

    config = load_config(root / CONFIG_NAME)
    source = PostgisStore.open(config.store.location, root)
    try:
        config.store.location = source.clone(new_schema_name(), unlogged=True)
    finally:
        source.close()
    save_config(config, root / CONFIG_NAME)


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
    drop_schema(ws.config.store.location)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, launched once per test module; each test opens its own page (tests/browser.py).

    Skips the test when Chromium or the npm front end is missing.
    """
    from browser import chromium, skip_without_browser

    skip_without_browser()
    with chromium() as b:
        yield b
