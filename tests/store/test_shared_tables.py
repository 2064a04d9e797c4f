"""Liuyu's own tables (quarantine, proposals, derived results, ledger) with the same code on both stores.

The ``store`` fixture runs each test on the GeoPackage and, in the PostGIS pass, on PostgreSQL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from liuyu.assess.alerts import alert_key, reconcile
from liuyu.store import (
    gpkg_alerts,
    gpkg_assess,
    gpkg_discharge,
    gpkg_facilities,
    gpkg_ledger,
    gpkg_tables,
)


def test_plain_rows_bind_on_both_drivers() -> None:
    frame = pd.DataFrame(
        {
            "f": [1.5, np.nan, 2.0],
            "i": [1, 2, 3],
            "b": pd.array([True, None, False], dtype="boolean"),
            "o": pd.Series([False, None, True], dtype=object),
            "s": ["a", None, "c"],
            "nb": [True, False, True],
        }
    )
    rows = gpkg_tables.plain_rows(frame, list(frame.columns))
    assert rows == [(1.5, 1, 1, 0, "a", 1), (None, 2, None, None, None, 0), (2.0, 3, 0, 1, "c", 1)]
    assert all(type(v) in (int, float, str, type(None)) for row in rows for v in row)


def _rejections(n: int, reason: str = "geometry_invalid") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ingest_id": "i1",
            "category": "rivers",
            "created_at": "2024-08-01T00:00:00Z",
            "source_name": "rivers.shp",
            "source_checksum": "abc",
            "row": np.arange(n),
            "reason": reason,
            "field": None,
            "value": None,
            "problems": None,
            "attributes": "{}",
            "geom": [b"\x01\x02\x00"] * n,
        }
    )


def test_quarantine_counts_new_rejections_only(store) -> None:
    assert store.add_quarantine(_rejections(3)) == 3
    assert store.add_quarantine(_rejections(4)) == 1  # rows 0-2 are known: only row 3 is new
    assert store.add_quarantine(_rejections(2, "field_missing")) == 2
    rows = store.quarantine(category="rivers")
    assert len(rows) == 6 and rows["id"].is_monotonic_decreasing and rows["geom"].iloc[0] == b"\x01\x02\x00"
    assert len(store.quarantine(limit=2)) == 2
    summary = store.quarantine_summary().iloc[0]
    assert summary["n"] == 6 and sorted(summary["reasons"].split(",")) == [
        "field_missing",
        "geometry_invalid",
    ]


def test_proposal_ids_come_back_and_decide_once(store) -> None:
    conn = store.conn
    gpkg_facilities.ensure_table(conn)
    row = {
        "facility_code": "F1",
        "jurisdiction": "hebei",
        "fields": {"capacity_m3d": 50},
        "before": {"capacity_m3d": 30},
        "reason": "扩建 extended",
        "proposed_by": "zhao",
        "proposed_at": "2024-08-01T00:00:00Z",
    }
    with store.transaction() as tx:
        first, second = (
            gpkg_facilities.insert(tx, row),
            gpkg_facilities.insert(tx, row | {"facility_code": "F2"}),
        )
    assert second == first + 1
    with store.transaction() as tx:
        gpkg_facilities.decide(tx, first, "approved", "li", "2024-08-02T00:00:00Z", None, 7)
        gpkg_facilities.decide(tx, first, "rejected", "li", "2024-08-03T00:00:00Z", None, None)  # not pending
    got = gpkg_facilities.read(conn, proposal_id=first).iloc[0]
    assert (got["state"], got["version"], got["fields"]) == ("approved", 7, {"capacity_m3d": 50})
    assert list(gpkg_facilities.read(conn, state="pending")["facility_code"]) == ["F2"]


def test_a_period_is_replaced_whole(store) -> None:
    conn = store.conn
    assert gpkg_assess.read(conn, "2024-08").empty and gpkg_assess.assessed_periods(conn) == []
    rows = pd.DataFrame(
        {
            "period": "2024-08",
            "station_code": ["S1", "S2"],
            "water_type": "river",
            "class": [2, 4],
            "label": ["Ⅱ", "Ⅳ"],
            "target": "Ⅲ",
            "met": [True, False],
            "main_pollutants": [None, "总磷"],
            "n_samples": np.array([1, 2], dtype=np.int64),
            "standard": "gb3838_2002",
            "fingerprint": "f1",
            "computed_at": "2024-09-01T00:00:00Z",
        }
    )
    for fp in ("f1", "f2"):
        with store.transaction() as tx:
            gpkg_assess.replace(tx, "2024-08", rows.assign(fingerprint=fp).iloc[: 2 if fp == "f1" else 1])
    got = gpkg_assess.read(conn, "2024-08")
    assert list(got["station_code"]) == ["S1"] and list(got["fingerprint"]) == ["f2"]
    assert got["met"].dtype == "boolean" and bool(got["met"].iloc[0]) and int(got["class"].iloc[0]) == 2
    assert gpkg_assess.assessed_periods(conn) == ["2024-08"]


def test_discharge_flags_keep_their_missing_values(store) -> None:
    row = dict.fromkeys(gpkg_discharge.COLUMNS) | {
        "period": "2024-08",
        "station_code": "WS1",
        "property_code": "COD",
        "fingerprint": "f",
        "verified": True,
    }
    rows = pd.DataFrame([row, row | {"property_code": "NH3-N", "value": 80.0, "limit": 50.0}])
    rows["exceed"] = pd.array([None, True], dtype="boolean")
    with store.transaction() as tx:
        gpkg_discharge.replace(tx, "2024-08", rows)
    got = gpkg_discharge.read(store.conn, "2024-08").set_index("property_code")
    assert got.loc["COD", "exceed"] is pd.NA and bool(got.loc["NH3-N", "exceed"])
    assert got.loc["NH3-N", "limit"] == 50.0 and np.isnan(got.loc["COD", "value"])


def test_ledger_geometry_round_trips(store) -> None:
    conn = store.conn
    gpkg_ledger.ensure_tables(conn)
    base = dict.fromkeys(gpkg_ledger.PROBLEM_COLUMNS) | {
        "title": "t",
        "source": "inspection",
        "category": "c",
        "state": "found",
        "found_at": "2024-08-01T00:00:00Z",
        "created_by": "u",
        "created_at": "x",
        "updated_at": "x",
    }
    square = shapely.box(117.0, 40.0, 117.01, 40.01)
    with store.transaction() as tx:
        gpkg_ledger.insert_problem(tx, base | {"code": "P1"}, shapely.Point(116.9, 40.5))
        gpkg_ledger.insert_problem(tx, base | {"code": "P2"}, square)
        gpkg_ledger.add_event(tx, {"problem_code": "P1", "at": "x", "user": "wang", "to_state": "found"})
    assert gpkg_ledger.read_problem(conn, "P2")["geometry"].equals(square)
    assert gpkg_ledger.read_events(conn, "P1")["user"].tolist() == ["wang"]  # not the database's user
    with store.transaction() as tx:
        assert gpkg_ledger.update_problem(tx, "P1", {"state": "assigned"}, state="found") == 1
        assert gpkg_ledger.update_problem(tx, "P1", {"state": "closed"}, state="found") == 0
    found = gpkg_ledger.read_problems(conn, bbox=(116.95, 39.9, 117.1, 40.1))
    assert list(found["code"]) == ["P2"] and found["geometry"].iloc[0].equals(square)


@pytest.mark.parametrize("table", ["alerts", "facility_proposals", "ledger_problems"])
def test_tables_made_at_open_exist(store, table: str) -> None:
    assert gpkg_tables.table_exists(store.conn, table)
    assert not gpkg_tables.table_exists(store.conn, "no_such_table")


def test_two_evaluations_racing_add_an_alert_once(store) -> None:
    candidates = pd.DataFrame(
        {
            "key": [alert_key("station_silent", "S1", "2024-08")],
            "kind": "station_silent",
            "subject": "S1",
            "subject_name": "站1",
            "period": "2024-08",
            "severity": "warning",
            "message_zh": "无数据",
            "message_en": "silent",
            "value": [np.nan],
            "verified": [True],
            "details": None,
        }
    )
    places = pd.DataFrame({"jurisdiction": ["hebei"], "longitude": [117.1], "latitude": [40.5]}, index=["S1"])
    # both plans are made before either is written, as two ingests evaluating at once would
    first, second = (reconcile(gpkg_alerts.read(store.conn), candidates, []) for _ in range(2))
    with store.transaction() as tx:
        ids = gpkg_alerts.apply(tx, first, places, "2024-09-01T00:00:00Z")
    with store.transaction() as tx:
        again = gpkg_alerts.apply(tx, second, places, "2024-09-01T01:00:00Z")
    stored = gpkg_alerts.read(store.conn)
    assert again == ids and len(stored) == 1
    row = stored.iloc[0]
    assert (row["first_seen"], row["last_seen"], bool(row["verified"])) == (
        "2024-09-01T00:00:00Z",
        "2024-09-01T01:00:00Z",
        True,
    )
    assert (row["jurisdiction"], row["longitude"]) == ("hebei", 117.1) and pd.isna(row["value"])
