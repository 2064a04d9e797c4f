"""The same observations on both backends give the same answers; PostGIS keeps them partitioned by year.

Runs in the PostGIS pass (``LIUYU_TEST_STORE``), which has both backends at hand: every network
read (series, observations with and without history, SensorThings pages, latest values) is
compared value by value between a GeoPackage store and a PostGIS store fed the same batches.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from liuyu.api.sta_entities import ENTITY_SETS
from liuyu.catalog import load_categories
from liuyu.errors import SchemaError
from liuyu.store import gpkg_sta, open_store, pg_sta
from liuyu.store.base import Provenance

TEST_STORE = os.environ.get("LIUYU_TEST_STORE") or None
pytestmark = pytest.mark.skipif(TEST_STORE is None, reason="needs LIUYU_TEST_STORE (a PostGIS database)")


def _frame(station: str, prop: str, start: str, n: int, freq: str = "7D", seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    value = np.round(rng.uniform(0.01, 2.0, n), 3)
    censor = np.where(value < 0.1, "<", "")
    return pd.DataFrame(
        {
            "station_code": station,
            "property_code": prop,
            "method": "lab" if freq == "7D" else "auto",
            "phenomenon_time": pd.date_range(start, periods=n, freq=freq, tz="Asia/Shanghai"),
            "value": np.where(np.arange(n) % 17 == 5, np.nan, value),
            "censor": censor,
            "raw": [f"{c}{v:g}" for c, v in zip(censor, value, strict=True)],
        }
    )


def _feed(store) -> None:
    """Batches across year boundaries, a re-run, an overlap, a correction and a QC re-run."""
    p = Provenance(user="t", source_name="feed")
    one = pd.concat([_frame("S1", "tp", "2022-11-01", 30), _frame("S2", "nh3n", "2023-12-25", 20, seed=1)])
    assert store.append_observations(one, p) == 50
    assert store.append_observations(one, p) == 0
    two = pd.concat([_frame("S1", "tp", "2023-04-01", 30, seed=2), _frame("S3", "tp", "2024-12-31", 48, "h")])
    store.append_observations(two, p)
    fix = pd.DataFrame(
        {
            "station_code": ["S1", "S3"],
            "property_code": ["tp", "tp"],
            "phenomenon_time": [
                pd.Timestamp("2022-11-08", tz="Asia/Shanghai"),
                pd.Timestamp("2025-01-01 05:00", tz="Asia/Shanghai"),
            ],
            "method": ["lab", "auto"],
            "value": [9.5, 0.25],
            "reason": ["typo", "drift"],
        }
    )
    with pytest.raises(SchemaError, match="no stored observation"):  # no such series (method "")
        store.correct_observations(fix.drop(columns="method"), user="editor")
    assert store.correct_observations(fix, user="editor") == 2
    store.rerun_qc(user="qc")


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    from conftest import drop_schema
    from liuyu.store.location import store_location

    root: Path = tmp_path_factory.mktemp("pair")
    gpkg = open_store(str(root / "liuyu.gpkg"), root, create=True)
    location = store_location(TEST_STORE)
    pg = open_store(location, root, create=True)
    stations = gpd.GeoDataFrame(
        {
            "code": ["S1", "S2", "S3"],
            "name": ["密云", "古北口", "下会"],
            "jurisdiction": ["beijing", "beijing", "hebei"],
        },
        geometry=shapely.points([[116.9, 40.5], [117.1, 40.6], [116.7, 40.45]]),
        crs="EPSG:4490",
    )
    for s in (gpkg, pg):
        s.write_layer(load_categories()["stations"], stations, Provenance(user="t"))
        _feed(s)
    yield gpkg, pg
    gpkg.close()
    pg.close()
    drop_schema(location)


def test_series_and_observations_are_the_same(pair) -> None:
    gpkg, pg = pair
    pd.testing.assert_frame_equal(gpkg.series(), pg.series(), check_dtype=False)
    for history in (False, True):
        a, b = gpkg.read_observations(history=history), pg.read_observations(history=history)
        assert len(a) > 100
        pd.testing.assert_frame_equal(a, b)
    start, end = pd.Timestamp("2023-01-01", tz="UTC"), pd.Timestamp("2024-01-01", tz="UTC")
    a = gpkg.read_observations(station_code="S1", start=start, end=end)
    b = pg.read_observations(station_code="S1", start=start, end=end)
    assert len(a) and a["phenomenon_time"].min() >= start
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("where", "params", "order"),
    [
        ([], [], ["e.id ASC"]),
        (["e.datastream_id = ?"], [1], ["e.phenomenon_time DESC", "e.id ASC"]),
        (["(e.result > ?)"], [1.0], ["e.result ASC", "e.id ASC"]),
        ([], [], ["e.result DESC", "e.id ASC"]),  # NULL results sort as in SQLite
        (["(e.censor IS NOT NULL)"], [], ["e.qc_flag DESC", "e.id ASC"]),
    ],
)
def test_sensorthings_observation_pages_are_the_same(pair, where, params, order) -> None:
    gpkg, pg = pair
    a = gpkg_sta.select_entities(gpkg.conn, "Observations", where, params, order, 50, 7)
    b = pg_sta.select_entities(pg.conn, "Observations", where, params, order, 50, 7)
    assert a and a == b
    assert gpkg_sta.count_entities(gpkg.conn, "Observations", where, params) == pg_sta.count_entities(
        pg.conn, "Observations", where, params
    )
    cursor = gpkg_sta.next_cursor(a, order)
    if cursor is not None:
        a2 = gpkg_sta.select_entities(gpkg.conn, "Observations", where, params, order, 20, 0, cursor)
        b2 = pg_sta.select_entities(pg.conn, "Observations", where, params, order, 20, 0, cursor)
        assert a2 == b2


def test_datastreams_sensors_and_latest_are_the_same(pair) -> None:
    gpkg, pg = pair
    for name in ("Datastreams", "Sensors", "ObservedProperties"):
        a = gpkg_sta.select_entities(gpkg.conn, name, [], [], ["e.id ASC"], 100, 0)
        b = pg_sta.select_entities(pg.conn, name, [], [], ["e.id ASC"], 100, 0)
        assert a == b
    latest = pg_sta.latest_values(pg.conn)
    assert len(latest) == 3 and gpkg_sta.latest_values(gpkg.conn) == latest
    assert pg_sta.latest_values(pg.conn, "S3") == [r for r in latest if r["station_code"] == "S3"]


@pytest.mark.parametrize(
    ("name", "where", "params"),
    [
        ("Things", [], []),
        (
            "Locations",
            ["(liuyu_st_within(e.geom, ?) = 1)"],
            ["POLYGON((116.8 40.4, 117.2 40.4, 117.2 40.7, 116.8 40.7, 116.8 40.4))"],
        ),
        (
            "FeaturesOfInterest",
            ["(liuyu_st_intersects(e.geom, ?) = 1)"],
            ["POLYGON((116 40, 117 40, 117 41, 116 41, 116 40))"],
        ),
        ("HistoricalLocations", [], []),
        ("Datastreams", ["e.thing_id = ?"], [1]),
    ],
)
def test_things_and_their_json_are_the_same(pair, name, where, params) -> None:
    """Rendered as SensorThings JSON (geometry decoded from either store's encoding)."""
    gpkg, pg = pair
    es = ENTITY_SETS[name]
    a = gpkg_sta.select_entities(gpkg.conn, name, where, params, ["e.id ASC"], 100, 0)
    b = pg_sta.select_entities(pg.conn, name, where, params, ["e.id ASC"], 100, 0)
    assert a and [r["id"] for r in a] == [r["id"] for r in b]
    if name == "HistoricalLocations":  # the version's creation time: each store wrote its own
        assert all(
            len(r["time_iso"]) == 20 and abs(r["time"] - q["time"]) < 600 for r, q in zip(a, b, strict=True)
        )
        return
    assert [es.to_json(r) for r in a] == [es.to_json(r) for r in b]


def test_observations_are_partitioned_by_year(pair) -> None:
    _, pg = pair
    parts = {
        r[0]: r[1]
        for r in pg.conn.execute(
            "SELECT c.relname, count(o.*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "LEFT JOIN observations o ON o.tableoid = c.oid WHERE i.inhparent = 'observations'::regclass "
            "GROUP BY c.relname"
        ).fetchall()
    }
    assert {"observations_y2022", "observations_y2023", "observations_y2024", "observations_y2025"} <= set(
        parts
    )
    assert parts["observations_default"] == 0
    assert sum(parts.values()) == len(pg.read_observations(history=True))
    plan = "\n".join(
        r[0]
        for r in pg.conn.execute(
            "EXPLAIN SELECT * FROM observations WHERE series_id = 1 "
            "AND phenomenon_time >= 1672531200 AND phenomenon_time < 1704067200"
        ).fetchall()
    )
    assert "observations_y2023" in plan and "observations_y2022" not in plan  # pruned to one year


def test_revisions_keep_the_raw_rows(pair) -> None:
    _, pg = pair
    rows = pg.conn.execute(
        "SELECT revision, value FROM observations o JOIN series s USING (series_id) "
        "WHERE s.station_code = 'S1' AND o.phenomenon_time = ? ORDER BY revision",
        (int(pd.Timestamp("2022-11-08", tz="Asia/Shanghai").timestamp()),),
    ).fetchall()
    assert rows[0][0] == 0 and rows[0][1] != 9.5 and rows[1] == (1, 9.5)
    audit = pg.audit_log()
    assert {"observations.append", "observations.correct", "observations.qc"} <= set(audit["action"])
