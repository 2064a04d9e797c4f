"""Keyset paging of SensorThings Observations: cursor pages equal offset pages, whatever the order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from liuyu.api.sta_query import sta_sql
from liuyu.errors import SchemaError
from liuyu.store.base import Provenance


@pytest.fixture
def filled(store):
    frames = []
    for i, prop in enumerate(["tp", "nh3n", "codmn"]):
        times = pd.date_range("2024-01-01", periods=40, freq="6h", tz="UTC")
        values = np.round(np.random.default_rng(i).uniform(0, 1, 40), 2)  # ties in value on purpose
        values[5] = np.nan  # a missing result
        frames.append(
            pd.DataFrame(
                {"station_code": "S1", "property_code": prop, "phenomenon_time": times, "value": values}
            )
        )
    store.append_observations(pd.concat(frames, ignore_index=True), Provenance(user="t"))
    return store


def _pages(conn, where, params, order, top, *, cursor: bool):
    sta = sta_sql(conn)  # the GeoPackage's or PostgreSQL's SensorThings SQL
    out, token, skip = [], None, 0
    while True:
        rows = sta.select_entities(
            conn, "Observations", where, params, order, top, 0 if cursor else skip, cursor=token
        )
        out.extend(r["id"] for r in rows)
        if len(rows) < top:
            return out
        skip += top
        if cursor:
            token = sta.next_cursor(rows, order)
            assert token is not None


@pytest.mark.parametrize(
    "order",
    [
        ["e.id ASC"],
        ["e.phenomenon_time DESC", "e.id ASC"],
        ["e.datastream_id ASC", "e.phenomenon_time DESC", "e.id ASC"],
    ],
)
def test_cursor_pages_equal_offset_pages(filled, order) -> None:
    conn = filled.conn
    where, params = ["(e.phenomenon_time >= ?)"], [int(pd.Timestamp("2024-01-03", tz="UTC").timestamp())]
    by_offset = _pages(conn, where, params, order, 7, cursor=False)
    by_cursor = _pages(conn, where, params, order, 7, cursor=True)
    assert by_cursor == by_offset and len(by_cursor) == len(set(by_cursor)) == 3 * 32


def test_no_cursor_for_nullable_keys_and_foreign_cursors_are_refused(filled) -> None:
    conn = filled.conn
    sta = sta_sql(conn)
    order = ["e.result ASC", "e.id ASC"]
    rows = sta.select_entities(conn, "Observations", [], [], order, 200, 0)
    assert rows[0]["result"] is None and sta.next_cursor(rows[:1], order) is None
    token = sta.next_cursor(rows[-2:], ["e.id ASC"])
    with pytest.raises(SchemaError, match="another"):
        sta.select_entities(conn, "Observations", [], [], order, 5, 0, cursor=token)
    with pytest.raises(SchemaError):
        sta.select_entities(conn, "Observations", [], [], ["e.id ASC"], 5, 0, cursor="garbage!")
