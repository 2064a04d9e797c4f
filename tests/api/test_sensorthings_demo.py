"""SensorThings and the latest values on the demo network (429 stations, 3,068 series, 2.8 M observations)."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from test_sensorthings import STA, assert_latest_matches, brute_force_latest

from liuyu.api.sta_query import sta_sql

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(demo_workspace):
    from liuyu.api.app import create_app

    with TestClient(create_app(demo_workspace.root)) as c:
        yield c


def test_latest_is_correct_and_fast_on_the_demo(demo_workspace):
    conn = demo_workspace.store.conn
    sta = sta_sql(conn)  # the GeoPackage's or PostgreSQL's SQL, whichever store the demo is on
    rows = sta.latest_values(conn)
    assert len(rows) == conn.execute("SELECT count(*) FROM series").fetchone()[0] == 3068
    assert_latest_matches(rows, brute_force_latest(demo_workspace.store))
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        sta.latest_values(conn)
        timings.append(time.perf_counter() - start)
    print(f"latest value of {len(rows)} series: best {min(timings) * 1000:.1f} ms")
    assert min(timings) < 0.050  # issue 5: < 50 ms for every series


def test_latest_route_and_expand_agree(client):
    latest = {s["series_id"]: s for s in client.get("/api/latest").json()["series"]}
    expand = "Datastreams($expand=Observations($top=1;$orderby=phenomenonTime desc))"
    doc = client.get(f"{STA}/Things", params={"$top": "30", "$expand": expand}).json()
    checked = 0
    for thing in doc["value"]:
        for ds in thing["Datastreams"]:
            obs = ds["Observations"][0]
            assert (obs["phenomenonTime"], obs["result"]) == (
                latest[ds["@iot.id"]]["time"],
                latest[ds["@iot.id"]]["value"],
            )
            checked += 1
    assert checked > 30


def test_paging_datastreams_to_the_end(client):
    url: str | None = f"{STA}/Datastreams?$top=1000&$count=true&$select=id"
    ids: list[int] = []
    count = None
    while url:
        page = client.get(url).json()
        count = page.get("@iot.count", count)
        ids += [d["@iot.id"] for d in page["value"]]
        url = page.get("@iot.nextLink")
    assert count == len(set(ids)) == len(ids) == 3068


def test_time_range_filter_matches_pandas(client, demo_workspace):
    demo = demo_workspace
    series_id = 5
    obs = demo.store.read_observations()
    sid = demo.store.series().set_index("series_id").loc[series_id]
    mine = obs[(obs.station_code == sid.station_code) & (obs.property_code == sid.property_code)]
    mine = mine[mine.method == sid.method]
    lo, hi = pd.Timestamp("2023-03-01", tz="UTC"), pd.Timestamp("2023-06-01", tz="UTC")
    expected = mine[(mine.phenomenon_time >= lo) & (mine.phenomenon_time < hi)]
    flt = "phenomenonTime ge 2023-03-01T00:00:00Z and phenomenonTime lt 2023-06-01T00:00:00Z"
    page = client.get(
        f"{STA}/Datastreams({series_id})/Observations",
        params={"$filter": flt, "$count": "true", "$top": "10000"},
    ).json()
    assert page["@iot.count"] == len(expected) == len(page["value"]) > 0
