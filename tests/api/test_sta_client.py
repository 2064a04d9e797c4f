"""An independent SensorThings client (FROST's Python client, from PyPI) reads a live `liuyu serve`."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from test_sensorthings import STA, observation_frame, station_frame, ws_root  # noqa: F401 (fixture)

from live_server import liuyu_serve

frost = pytest.importorskip("frost_sta_client")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:furl")  # the client's URL library


@pytest.fixture(scope="module")
def service(ws_root):  # noqa: F811 (the fixture imported above)
    with liuyu_serve(ws_root, ready=STA) as url:
        yield frost.SensorThingsService(f"{url}{STA}")


def test_things_through_the_client_follow_paging(service):
    things = service.things().query().top(2).count().list()
    assert things.count == 3 and things.next_link  # two pages of two
    got = {t.properties["code"]: t for t in things}  # iterating follows @iot.nextLink
    expected = station_frame().set_index("code")
    assert sorted(got) == sorted(expected.index)
    for code, thing in got.items():
        assert thing.name == expected.loc[code, "name"]
        assert thing.properties["jurisdiction"] == expected.loc[code, "jurisdiction"]
    one = service.things().find(got["S2"].id)
    assert one.name == "古北口断面" and one.properties["role"] == "provincial_boundary"


def test_datastreams_and_their_observations_through_the_client(service):
    obs = observation_frame()
    datastreams = list(service.datastreams().query().top(3).list())
    expected = obs.groupby(["station_code", "property_code"]).size()
    assert len(datastreams) == len(expected)
    for ds in datastreams:
        key = (ds.properties["station_code"], ds.properties["property_code"])
        page = ds.get_observations().query().top(40).orderby("phenomenonTime", "ASC").count().list()
        rows = list(page)  # every page, through the client's own paging
        assert page.count == len(rows) == expected[key]
        mine = obs[(obs.station_code == key[0]) & (obs.property_code == key[1])].sort_values(
            "phenomenon_time"
        )
        times = pd.to_datetime([o.phenomenon_time for o in rows], utc=True)
        assert list(times) == list(mine.phenomenon_time)
        for o, value in zip(rows, mine.value, strict=True):
            assert (o.result is None and math.isnan(value)) or o.result == pytest.approx(value)


def test_all_observations_through_the_client(service):
    rows = list(service.observations().query().top(97).list())
    ids = [o.id for o in rows]
    assert len(ids) == len(set(ids)) == len(observation_frame())
    censored = [o for o in rows if (o.result_quality or {}).get("censor") == "<"]
    assert len(censored) == 1 and censored[0].result == 0.5


def test_locations_and_historical_locations_through_the_client(service):
    locations = {loc.id: loc for loc in service.locations().query().list()}
    expected = station_frame().set_index("name").geometry
    assert {loc.name for loc in locations.values()} == set(expected.index)
    for loc in locations.values():
        assert list(loc.location["coordinates"]) == [expected[loc.name].x, expected[loc.name].y]
    history = list(service.historical_locations().query().top(1).list())
    assert len(history) == len(locations) and all(h.time for h in history)
