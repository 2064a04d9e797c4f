"""SensorThings 1.1 resource paths (OGC 18-088 §9.2): properties, $value, navigation chains, $ref, errors."""

from __future__ import annotations

import pytest
from test_sensorthings import STA, client, get, ids_of, observation_frame, ws_root  # noqa: F401 (fixtures)


# --- property paths and $value ---------------------------------------------------------------------
def test_property_path_gives_the_property_as_json(client):  # noqa: F811
    thing = get(client, "/Things", **{"$filter": "properties/code eq 'S2'"})["value"][0]
    tid = thing["@iot.id"]
    r = client.get(f"{STA}/Things({tid})/name")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == {"name": thing["name"]}
    assert get(client, f"/Things({tid})/properties") == {"properties": thing["properties"]}
    assert get(client, f"/Things({tid})/properties/role") == {"role": "provincial_boundary"}
    assert get(client, f"/Things({tid})/id") == {"@iot.id": tid}
    ds = ids_of(client, "Datastreams", "rainfall", "properties/property_code")
    assert get(client, f"/Datastreams({ds})/unitOfMeasurement")["unitOfMeasurement"]["symbol"] == "mm"


def test_value_gives_the_raw_value_as_text(client):  # noqa: F811
    tid = ids_of(client, "Things", "S3")
    r = client.get(f"{STA}/Things({tid})/name/$value")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.text == "下会自动站"
    assert client.get(f"{STA}/Things({tid})/properties/target_class/$value").text == "II"
    codmn = ids_of(client, "Datastreams", "codmn", "properties/property_code")
    first = get(client, f"/Datastreams({codmn})/Observations", **{"$orderby": "phenomenonTime", "$top": "1"})
    oid = first["value"][0]["@iot.id"]
    assert client.get(f"{STA}/Observations({oid})/result/$value").text == "1.5"
    assert client.get(f"{STA}/Observations({oid})/phenomenonTime/$value").text == "2024-01-05T02:00:00Z"
    assert client.get(f"{STA}/Sensors('lab')/name/$value").text == "lab"


def test_value_of_null_is_no_content_and_of_an_object_is_400(client):  # noqa: F811
    tid = ids_of(client, "Things", "S1")
    assert get(client, f"/Things({tid})/properties/role") == {"role": None}
    r = client.get(f"{STA}/Things({tid})/properties/role/$value")
    assert r.status_code == 204 and r.content == b""
    assert "object" in get(client, f"/Things({tid})/properties/$value", 400)["message"]


# --- navigation ------------------------------------------------------------------------------------
def test_navigation_chains_and_keys_on_the_way(client):  # noqa: F811
    rain = ids_of(client, "Datastreams", "rainfall", "properties/property_code")
    locs = get(client, f"/Datastreams({rain})/Thing/Locations")["value"]
    assert [loc["location"]["coordinates"] for loc in locs] == [[116.9, 40.5]]
    tid = ids_of(client, "Things", "S1")
    obs = get(client, f"/Things({tid})/Datastreams({rain})/Observations", **{"$count": "true", "$top": "5"})
    assert obs["@iot.count"] == (observation_frame().station_code == "S1").sum() and len(obs["value"]) == 5
    assert obs["@iot.nextLink"].split("?")[0].endswith(f"/Things({tid})/Datastreams({rain})/Observations")
    oid = obs["value"][0]["@iot.id"]
    assert get(client, f"/Observations({oid})/Datastream/Thing/name") == {"name": "密云雨量站"}
    foi = get(client, f"/Observations({oid})/FeatureOfInterest/Observations", **{"$count": "true"})
    assert foi["@iot.count"] == obs["@iot.count"]
    # a key on a navigation property that the parent does not have
    other = ids_of(client, "Datastreams", "tp", "properties/property_code")
    assert get(client, f"/Things({tid})/Datastreams({other})", 404)["code"] == "NotFound"


def test_query_options_apply_to_the_final_collection(client):  # noqa: F811
    codmn = ids_of(client, "Datastreams", "codmn", "properties/property_code")
    page = get(
        client,
        f"/Datastreams({codmn})/Observations",
        **{"$filter": "result ge 2", "$orderby": "result desc", "$select": "result", "$count": "true"},
    )
    results = [o["result"] for o in page["value"]]
    assert (
        results == sorted(results, reverse=True) and min(results) >= 2 and page["@iot.count"] == len(results)
    )
    assert all(set(o) == {"result"} for o in page["value"])


# --- $ref ------------------------------------------------------------------------------------------
def test_ref_lists_self_links_and_pages(client):  # noqa: F811
    things = get(client, "/Things")["value"]
    refs = get(client, "/Things/$ref", **{"$count": "true"})
    assert refs == {"@iot.count": 3, "value": [{"@iot.selfLink": t["@iot.selfLink"]} for t in things]}
    rain = ids_of(client, "Datastreams", "rainfall", "properties/property_code")
    url: str | None = f"{STA}/Datastreams({rain})/Observations/$ref?$top=60&$orderby=phenomenonTime desc"
    links: list[str] = []
    while url:
        page = client.get(url).json()
        assert all(set(item) == {"@iot.selfLink"} for item in page["value"])
        links += [item["@iot.selfLink"] for item in page["value"]]
        url = page.get("@iot.nextLink")
    full = get(
        client, f"/Datastreams({rain})/Observations", **{"$top": "1000", "$orderby": "phenomenonTime desc"}
    )
    assert links == [o["@iot.selfLink"] for o in full["value"]]
    assert len(links) == (observation_frame().property_code == "rainfall").sum()


def test_ref_to_one_entity_and_refused_options(client):  # noqa: F811
    rain = ids_of(client, "Datastreams", "rainfall", "properties/property_code")
    thing = get(client, f"/Datastreams({rain})/Thing")
    assert get(client, f"/Datastreams({rain})/Thing/$ref") == {"@iot.selfLink": thing["@iot.selfLink"]}
    assert get(client, "/Things/$ref", 400, **{"$expand": "Datastreams"})["message"].startswith("$expand")
    assert get(client, "/Things/$ref", 400, **{"$select": "name"})["message"].startswith("$select")


# --- $expand with nested options and $select of navigation links -------------------------------------
def test_expand_with_nested_select_top_expand(client):  # noqa: F811
    doc = get(
        client,
        "/Things",
        **{
            "$filter": "properties/code eq 'S2'",
            "$expand": "Datastreams($select=name;$top=1;$count=true;"
            "$expand=ObservedProperty($select=id,name))",
        },
    )
    (thing,) = doc["value"]
    assert thing["Datastreams@iot.count"] == 2 and len(thing["Datastreams"]) == 1
    link = thing["Datastreams@iot.nextLink"]
    assert "$skiptoken=" in link.replace("%24", "$") and "$select=name" in link.replace("%24", "$")
    rest = client.get(link).json()["value"]
    assert len(rest) == 1 and rest[0]["name"] != thing["Datastreams"][0]["name"]
    (ds,) = thing["Datastreams"]
    assert set(ds) == {"name", "ObservedProperty"}
    assert set(ds["ObservedProperty"]) == {"@iot.id", "name"} and ds["ObservedProperty"]["@iot.id"] in {
        "codmn",
        "nh3n",
    }
    nxt = client.get(thing["Datastreams@iot.nextLink"]).json()["value"]
    assert len(nxt) == 1 and nxt[0]["name"] != ds["name"]


def test_select_navigation_links(client):  # noqa: F811
    ds = get(client, "/Datastreams", **{"$select": "id,Thing,Observations", "$top": "1"})["value"][0]
    assert set(ds) == {"@iot.id", "Thing@iot.navigationLink", "Observations@iot.navigationLink"}
    assert client.get(ds["Observations@iot.navigationLink"]).status_code == 200


# --- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/Things", {"$filter": "name eq"}),
        ("/Things", {"$top": "x"}),
        ("/Things", {"$expand": "Datastreams($top=x)"}),
        ("/Things", {"$expand": "Datastreams($nosuch=1)"}),
        ("/Things", {"$expand": "Datastreams(($top=1)"}),
        ("/Things/Datastreams", {}),
    ],
)
def test_bad_requests_are_400_with_a_message(client, path, params):  # noqa: F811
    r = client.get(STA + path, params=params)
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["status"] == 400 and body["code"] == "InvalidParameterValue"
    assert body["message"] == body["description"] and len(body["message"]) > 10


@pytest.mark.parametrize(
    "path",
    [
        "/Things(999)/name",
        "/Things(999)/Datastreams/$ref",
        "/Things(1)/nosuch",
        "/Things(1)/name/nosuch",
        "/Things(1)/$value",
        "/Things(1)/Locations/$value",
        "/$ref",
        "/Sensors('nosuch')/Datastreams",
        "/Things(abc)",
        "/Observations('lab')",
    ],
)
def test_missing_entities_and_paths_are_404_with_a_message(client, path):  # noqa: F811
    r = client.get(STA + path)
    assert r.status_code == 404, r.text
    body = r.json()
    assert body["status"] == 404 and body["code"] == "NotFound" and body["message"]


def test_the_api_is_read_only(client):  # noqa: F811
    assert client.post(f"{STA}/Things", json={"name": "x"}).status_code == 405


# --- HistoricalLocations and $top=0 ------------------------------------------------------------------
def test_historical_locations_date_the_current_station_version(client, ws_root):  # noqa: F811
    import liuyu

    ws = liuyu.open(ws_root)
    try:
        created = ws.store.conn.execute(
            "SELECT created_at FROM liuyu_versions WHERE category = 'stations' ORDER BY version DESC"
        ).fetchone()[0]
    finally:
        ws.close()
    tid = ids_of(client, "Things", "S2")
    (hl,) = get(client, f"/Things({tid})/HistoricalLocations")["value"]
    assert hl["time"] == created[:19] + "Z"
    assert get(client, f"/HistoricalLocations({hl['@iot.id']})/Thing/id") == {"@iot.id": tid}
    (loc,) = get(client, f"/HistoricalLocations({hl['@iot.id']})/Locations")["value"]
    assert loc["@iot.selfLink"] == get(client, f"/Things({tid})/Locations")["value"][0]["@iot.selfLink"]
    assert get(client, f"/Locations({loc['@iot.id']})/HistoricalLocations/$ref")["value"] == [
        {"@iot.selfLink": hl["@iot.selfLink"]}
    ]
    later = get(client, "/HistoricalLocations", **{"$filter": f"time gt {created[:19]}Z", "$count": "true"})
    assert later["@iot.count"] == 0
    assert get(client, "/HistoricalLocations", **{"$count": "true", "$top": "0"})["@iot.count"] == 3


def test_top_zero_gives_the_count_and_no_next_link(client):  # noqa: F811
    page = get(client, "/Observations", **{"$top": "0", "$count": "true"})
    assert page == {"@iot.count": len(observation_frame()), "value": []}
