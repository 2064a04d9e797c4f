"""SensorThings API 1.1 (read) on a small hand-made network: shapes, query options, errors, paging."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from live_server import liuyu_serve

STA = "/sta/v1.1"
N_RAIN = 250  # hourly, not a multiple of the page sizes used below


def station_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["S1", "S2", "S3"],
            "name": ["密云雨量站", "古北口断面", "下会自动站"],
            "kind": ["rain", "water_quality", "auto_water_quality"],
            "agency": ["北京市水文总站", "北京市生态环境监测中心", "河北省生态环境监测中心"],
            "river": ["潮河", "潮河", "白河"],
            "role": [None, "provincial_boundary", "reservoir_inflow"],
            "water_type": ["river", "river", "river"],
            "target_class": [None, "II", "II"],
            "jurisdiction": ["beijing", "beijing", "hebei"],
        },
        geometry=shapely.points([[116.9, 40.5], [117.1, 40.6], [116.7, 40.45]]),
        crs="EPSG:4490",
    )


def observation_frame() -> pd.DataFrame:
    """Four series: hourly rain (one missing value), monthly lab CODMn (one censored) and NH3-N, daily TP."""
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    rain = pd.DataFrame(
        {
            "station_code": "S1",
            "property_code": "rainfall",
            "method": "gauge",
            "phenomenon_time": t0 + pd.to_timedelta(np.arange(N_RAIN), unit="h"),
            "value": (np.arange(N_RAIN) % 7).astype(float),
        }
    )
    rain.loc[10, "value"] = np.nan
    months = pd.date_range("2024-01-05 02:00", periods=12, freq=pd.DateOffset(months=1), tz="UTC")
    codmn = pd.DataFrame(
        {
            "station_code": "S2",
            "property_code": "codmn",
            "method": "lab",
            "phenomenon_time": months,
            "value": np.linspace(1.5, 4.0, 12),
        }
    )
    codmn.loc[3, ["value", "censor", "raw"]] = [0.5, "<", "<0.5"]
    nh3n = codmn.assign(property_code="nh3n", value=np.linspace(0.1, 0.6, 12), censor=None, raw=None)
    tp = pd.DataFrame(
        {
            "station_code": "S3",
            "property_code": "tp",
            "method": "auto",
            "phenomenon_time": pd.date_range("2024-03-01", periods=30, freq="D", tz="UTC"),
            "value": np.linspace(0.01, 0.2, 30),
        }
    )
    return pd.concat([rain, codmn, nh3n, tp], ignore_index=True)


def build(root: Path):
    import liuyu
    from liuyu.network import load_properties

    ws = liuyu.init(root, basin_name="测试流域", basin_name_en="Test basin")
    ws.write_layer("stations", station_frame())
    ws.store.upsert_properties(load_properties())
    ws.append_observations(observation_frame())
    return ws


@pytest.fixture(scope="module")
def ws_root(tmp_path_factory) -> Path:
    ws = build(tmp_path_factory.mktemp("sta") / "ws")
    root = Path(ws.root)
    ws.close()
    return root


@pytest.fixture(scope="module")
def client(ws_root):
    from liuyu.api.app import create_app

    with TestClient(create_app(ws_root)) as c:
        yield c


def get(client, path: str, status: int = 200, **params):
    r = client.get(STA + path, params=params)
    assert r.status_code == status, r.text
    return r.json()


def ids_of(client, entity_set: str, code: str, key: str = "properties/code") -> int:
    return get(client, f"/{entity_set}", **{"$filter": f"{key} eq '{code}'"})["value"][0]["@iot.id"]


# --- shapes ---------------------------------------------------------------------------------------
def test_service_root_lists_entity_sets_and_conformance(client):
    doc = get(client, "")
    names = {e["name"] for e in doc["value"]}
    assert names == {
        "Things",
        "Locations",
        "HistoricalLocations",
        "Datastreams",
        "ObservedProperties",
        "Sensors",
        "Observations",
        "FeaturesOfInterest",
    }
    assert all(e["url"].endswith(f"{STA}/{e['name']}") for e in doc["value"])
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel" in doc["serverSettings"]["conformance"]


def test_thing_shape(client):
    things = get(client, "/Things")["value"]
    assert len(things) == 3
    t = next(t for t in things if t["properties"]["code"] == "S2")
    assert t["name"] == "古北口断面" and isinstance(t["@iot.id"], int)
    assert t["@iot.selfLink"].endswith(f"{STA}/Things({t['@iot.id']})")
    assert t["properties"]["role"] == "provincial_boundary" and t["properties"]["jurisdiction"] == "beijing"
    for nav in ("Locations", "Datastreams"):
        assert t[f"{nav}@iot.navigationLink"] == f"{t['@iot.selfLink']}/{nav}"
    assert get(client, f"/Things({t['@iot.id']})") == t


def test_location_is_geojson_crs84(client):
    thing = ids_of(client, "Things", "S1")
    loc = get(client, f"/Things({thing})/Locations")["value"][0]
    assert loc["encodingType"] == "application/geo+json"
    assert loc["location"] == {"type": "Point", "coordinates": [116.9, 40.5]}


def test_datastream_shape_and_time_range(client):
    ds = get(client, "/Datastreams", **{"$filter": "properties/property_code eq 'rainfall'"})["value"][0]
    assert ds["unitOfMeasurement"]["symbol"] == "mm" and set(ds["unitOfMeasurement"]) == {
        "name",
        "symbol",
        "definition",
    }
    assert ds["observationType"].endswith("OM_Measurement")
    assert ds["phenomenonTime"] == "2024-01-01T00:00:00Z/2024-01-11T09:00:00Z"
    sensor = get(client, f"/Datastreams({ds['@iot.id']})/Sensor")
    assert sensor["@iot.id"] == "gauge" and {"encodingType", "metadata"} <= set(sensor)
    prop = get(client, f"/Datastreams({ds['@iot.id']})/ObservedProperty")
    assert (
        prop["@iot.id"] == "rainfall"
        and prop["definition"]
        and isinstance(prop["properties"]["aliases"], list)
    )
    assert get(client, f"/Datastreams({ds['@iot.id']})/Thing")["properties"]["code"] == "S1"


def test_observation_shape_missing_and_censored(client):
    ds = ids_of(client, "Datastreams", "codmn", "properties/property_code")
    obs = get(client, f"/Datastreams({ds})/Observations", **{"$orderby": "phenomenonTime"})["value"]
    assert len(obs) == 12 and obs[0]["phenomenonTime"] == "2024-01-05T02:00:00Z"
    assert obs[3]["result"] == 0.5 and obs[3]["resultQuality"] == {"censor": "<", "qc_flag": 0}
    assert obs[3]["parameters"]["raw"] == "<0.5"
    assert obs[0]["Datastream@iot.navigationLink"].endswith(f"Observations({obs[0]['@iot.id']})/Datastream")
    rain = ids_of(client, "Datastreams", "rainfall", "properties/property_code")
    missing = get(client, f"/Datastreams({rain})/Observations", **{"$filter": "result eq null"})["value"]
    assert [o["phenomenonTime"] for o in missing] == ["2024-01-01T10:00:00Z"] and missing[0]["result"] is None
    foi = get(client, f"/Observations({obs[0]['@iot.id']})/FeatureOfInterest")
    assert foi["feature"]["type"] == "Point" and foi["encodingType"] == "application/geo+json"


# --- query options --------------------------------------------------------------------------------
def test_top_skip_count_and_next_link(client):
    page = get(client, "/Observations", **{"$top": "100", "$count": "true"})
    assert page["@iot.count"] == len(observation_frame()) and len(page["value"]) == 100
    assert "%24skiptoken=" in page["@iot.nextLink"] and "%24skip=" not in page["@iot.nextLink"]
    ids = [o["@iot.id"] for o in page["value"]]
    following = client.get(page["@iot.nextLink"]).json()
    assert (
        following["value"][0]["@iot.id"]
        == get(client, "/Observations", **{"$skip": "100"})["value"][0]["@iot.id"]
    )
    skipped = get(client, "/Observations", **{"$top": "10", "$skip": "5"})["value"]
    assert [o["@iot.id"] for o in skipped] == ids[5:15]
    assert "@iot.nextLink" not in get(client, "/Things")
    assert len(get(client, "/Observations")["value"]) == 100  # the default $top


def test_orderby_desc_and_select(client):
    rain = ids_of(client, "Datastreams", "rainfall", "properties/property_code")
    obs = get(
        client,
        f"/Datastreams({rain})/Observations",
        **{"$orderby": "phenomenonTime desc", "$top": "3", "$select": "id,phenomenonTime,result"},
    )["value"]
    assert [o["phenomenonTime"] for o in obs] == [
        "2024-01-11T09:00:00Z",
        "2024-01-11T08:00:00Z",
        "2024-01-11T07:00:00Z",
    ]
    assert set(obs[0]) == {"@iot.id", "phenomenonTime", "result"}
    names = [t["name"] for t in get(client, "/Things", **{"$orderby": "name desc"})["value"]]
    assert names == sorted(names, reverse=True)


def test_filter_phenomenon_time_range_and_result(client):
    df = observation_frame()
    lo, hi = pd.Timestamp("2024-01-03T00:00:00Z"), pd.Timestamp("2024-03-10T00:00:00+00:00")
    expected = df[(df.phenomenon_time >= lo) & (df.phenomenon_time < hi) & (df.value > 0.15)]
    f = (
        "phenomenonTime ge 2024-01-03T00:00:00Z and phenomenonTime lt '2024-03-10T08:00:00+08:00' "
        "and result gt 0.15"
    )
    page = get(client, "/Observations", **{"$filter": f, "$count": "true", "$top": "1000"})
    assert page["@iot.count"] == len(expected) == len(page["value"])
    assert all(o["result"] > 0.15 for o in page["value"])


def test_filter_logic_and_parentheses(client):
    f = "(properties/kind eq 'rain' or properties/jurisdiction eq 'hebei') and not properties/code eq 'S3'"
    assert [t["properties"]["code"] for t in get(client, "/Things", **{"$filter": f})["value"]] == ["S1"]
    f = "properties/kind ne 'rain' and (properties/role eq 'provincial_boundary' or properties/role eq 'x')"
    assert [t["properties"]["code"] for t in get(client, "/Things", **{"$filter": f})["value"]] == ["S2"]
    # a value is always a bound parameter, never SQL
    assert get(client, "/Things", **{"$filter": "name eq 'x'' OR 1=1 --'"})["value"] == []


def test_filter_st_within(client):
    box = "POLYGON((116.8 40.4, 117.0 40.4, 117.0 40.55, 116.8 40.55, 116.8 40.4))"
    for path, prop in (("/Things", "Locations/location"), ("/Locations", "location")):
        doc = get(client, path, **{"$filter": f"st_within({prop}, geography'{box}')", "$count": "true"})
        assert doc["@iot.count"] == 1 and doc["value"][0]["name"] == "密云雨量站"
    f = f"not st_within(location, geography'{box}') and name ne 'x'"
    assert len(get(client, "/Locations", **{"$filter": f})["value"]) == 2
    assert get(client, "/Things", 400, **{"$filter": "st_within(name, geography'POINT(1 1)')"})["description"]
    assert get(client, "/Locations", 400, **{"$filter": "st_within(location, geography'POLYGON((1')"})


def test_nested_expand_gives_the_latest_observation(client):
    doc = get(
        client,
        "/Things",
        **{"$expand": "Datastreams($expand=Observations($top=1;$orderby=phenomenonTime desc))"},
    )
    latest = {s["series_id"]: s for s in client.get("/api/latest").json()["series"]}
    seen = 0
    for thing in doc["value"]:
        for ds in thing["Datastreams"]:
            (obs,) = ds["Observations"]
            assert obs["phenomenonTime"] == latest[ds["@iot.id"]]["time"]
            assert obs["result"] == latest[ds["@iot.id"]]["value"]
            follow = client.get(ds["Observations@iot.nextLink"]).json()["value"]
            assert follow[0]["phenomenonTime"] < obs["phenomenonTime"]  # the same order, one further
            seen += 1
    assert seen == 4


def test_expand_to_one_and_path_form(client):
    obs = get(client, "/Observations", **{"$top": "1", "$expand": "Datastream($select=name;$expand=Thing)"})
    ds = obs["value"][0]["Datastream"]
    assert set(ds) == {"name", "Thing"} and ds["Thing"]["properties"]["code"] == "S1"
    doc = get(
        client,
        "/Things",
        **{"$expand": "Datastreams/Observations($top=2)", "$filter": "properties/code eq 'S3'"},
    )
    assert len(doc["value"][0]["Datastreams"][0]["Observations"]) == 2


# --- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "option"),
    [
        ({"$filter": "nosuch eq 1"}, "$filter"),
        ({"$filter": "name eq"}, "$filter"),
        ({"$filter": "(name eq 'a'"}, "$filter"),
        ({"$filter": "name like 'a'"}, "$filter"),
        ({"$top": "10001"}, "$top"),
        ({"$top": "-1"}, "$top"),
        ({"$orderby": "nosuch"}, "$orderby"),
        ({"$orderby": "name sideways"}, "$orderby"),
        ({"$expand": "Nothing"}, "$expand"),
        ({"$select": "nosuch"}, "$select"),
        ({"$count": "maybe"}, "$count"),
        ({"$frobnicate": "1"}, "$frobnicate"),
    ],
)
def test_bad_options_are_400_naming_the_option(client, params, option):
    body = get(client, "/Things", 400, **params)
    assert body["code"] == "InvalidParameterValue" and body["description"].startswith(option)


@pytest.mark.parametrize(
    "path",
    [
        "/Things(999)",
        "/Datastreams(999)/Observations",
        "/Nothing",
        "/Things(1)/Nothing",
        "/ObservedProperties('nosuch')",
        "/Observations(99999)",
    ],
)
def test_unknown_ids_and_paths_are_404(client, path):
    body = get(client, path, 404)
    assert body["code"] == "NotFound" and body["description"]


def test_a_new_workspace_has_empty_entity_sets(tmp_path):
    import liuyu
    from liuyu.api.app import create_app

    liuyu.init(tmp_path / "ws", basin_name="测试流域", basin_name_en="Test basin").close()
    with TestClient(create_app(tmp_path / "ws")) as c:
        for name in (
            "Things",
            "Locations",
            "HistoricalLocations",
            "Datastreams",
            "Observations",
            "Sensors",
            "FeaturesOfInterest",
        ):
            assert get(c, f"/{name}", **{"$count": "true"}) == {"@iot.count": 0, "value": []}
        assert c.get("/api/latest").json() == {"numberReturned": 0, "series": []}


# --- latest value ---------------------------------------------------------------------------------
def brute_force_latest(store) -> pd.DataFrame:
    """The last revision of the last time of every series, from every stored row (either backend)."""
    key = ["station_code", "property_code", "method"]
    obs = store.read_observations(history=True).merge(store.series()[["series_id", *key]], on=key)
    last = obs.sort_values(["series_id", "phenomenon_time", "revision"]).groupby("series_id").tail(1)
    last = last.assign(time=last.phenomenon_time.dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return last.set_index("series_id")[["time", "value", "censor", "qc_flag"]].sort_index()


def assert_latest_matches(rows: list[dict], expected: pd.DataFrame) -> None:
    got = pd.DataFrame(rows).set_index("series_id")[["time", "value", "censor", "qc_flag"]].sort_index()
    got["censor"], expected["censor"] = got["censor"].fillna("-"), expected["censor"].fillna("-")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_names=False)


def test_latest_matches_brute_force(client, ws_root):
    import liuyu

    body = client.get("/api/latest").json()
    assert body["numberReturned"] == 4
    ws = liuyu.open(ws_root)
    try:
        assert_latest_matches(body["series"], brute_force_latest(ws.store))
    finally:
        ws.close()
    one = client.get("/api/latest", params={"station": "S2"}).json()["series"]
    assert {r["property_code"] for r in one} == {"codmn", "nh3n"}


# --- an independent client against a live server -------------------------------------------------
@pytest.fixture(scope="module")
def server(ws_root):
    """`liuyu serve` (uvicorn) in a subprocess on a free port of 127.0.0.1."""
    with liuyu_serve(ws_root, ready=STA) as url:
        yield url


def test_httpx_follows_next_links_to_the_end(server):
    url: str | None = f"{server}{STA}/Observations?$top=37&$count=true&$orderby=phenomenonTime desc"
    ids, count, pages = [], None, 0
    with httpx.Client(timeout=10) as http:
        while url:
            page = http.get(url).raise_for_status().json()
            count = page.get("@iot.count", count)
            ids += [o["@iot.id"] for o in page["value"]]
            url, pages = page.get("@iot.nextLink"), pages + 1
    assert count == len(ids) == len(set(ids)) == len(observation_frame())
    assert pages == -(-count // 37)


def test_deep_pages_follow_a_keyset_cursor_in_any_order(client):
    """Paging by $skiptoken visits every observation once, also in a descending order with ties."""
    query = {"$top": "37", "$orderby": "phenomenonTime desc", "$select": "id,phenomenonTime"}
    page = get(client, "/Observations", **query)
    seen, times = [], []
    while True:
        seen += [o["@iot.id"] for o in page["value"]]
        times += [o["phenomenonTime"] for o in page["value"]]
        if "@iot.nextLink" not in page:
            break
        assert "%24skiptoken=" in page["@iot.nextLink"]
        page = client.get(page["@iot.nextLink"]).json()
    total = get(client, "/Observations", **{"$count": "true", "$top": "0"})["@iot.count"]
    assert len(seen) == len(set(seen)) == total
    assert times == sorted(times, reverse=True)
    bad = client.get("/sta/v1.1/Observations", params={"$skiptoken": "not-a-cursor"})
    assert bad.status_code == 400
