"""The JSON shapes of OGC 18-088 (SensorThings 1.1): mandatory properties, annotations, links, media types."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from test_sensorthings import STA, client, get, ws_root  # noqa: F401 (fixtures)

#: OGC 18-088 §8.2: the mandatory properties of each entity type (optional ones may be absent)
#: and its navigation properties, with whether each leads to one entity or to a collection.
MANDATORY = {
    "Things": (
        {"name", "description"},
        {"Locations": True, "HistoricalLocations": True, "Datastreams": True},
    ),
    "Locations": (
        {"name", "description", "encodingType", "location"},
        {"Things": True, "HistoricalLocations": True},
    ),
    "HistoricalLocations": ({"time"}, {"Thing": False, "Locations": True}),
    "Datastreams": (
        {"name", "description", "unitOfMeasurement", "observationType"},
        {"Thing": False, "Sensor": False, "ObservedProperty": False, "Observations": True},
    ),
    "Sensors": ({"name", "description", "encodingType", "metadata"}, {"Datastreams": True}),
    "ObservedProperties": ({"name", "definition", "description"}, {"Datastreams": True}),
    "Observations": (
        {"phenomenonTime", "result", "resultTime"},
        {"Datastream": False, "FeatureOfInterest": False},
    ),
    "FeaturesOfInterest": ({"name", "description", "encodingType", "feature"}, {"Observations": True}),
}
#: The entity set a singular navigation property leads to.
TARGETS = {
    "Thing": "Things",
    "Sensor": "Sensors",
    "ObservedProperty": "ObservedProperties",
    "Datastream": "Datastreams",
    "FeatureOfInterest": "FeaturesOfInterest",
}
ISO_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _instant(text: str) -> dt.datetime:
    assert ISO_INSTANT.match(text), text
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_entity(entity: dict, entity_set: str) -> None:
    """One entity against the standard's shape: annotations, mandatory properties, navigation links."""
    props, navs = MANDATORY[entity_set]
    assert props <= set(entity), props - set(entity)
    assert isinstance(entity["@iot.id"], int | str)
    key = f"'{entity['@iot.id']}'" if isinstance(entity["@iot.id"], str) else str(entity["@iot.id"])
    assert entity["@iot.selfLink"].endswith(f"{STA}/{entity_set}({key})")
    for nav in navs:
        assert entity[f"{nav}@iot.navigationLink"] == f"{entity['@iot.selfLink']}/{nav}"
    for name in ("name", "description"):
        if name in props:
            assert isinstance(entity[name], str) and entity[name]
    if "encodingType" in props:
        geo = entity.get("location", entity.get("feature"))
        if entity["encodingType"] == "application/geo+json":
            assert geo["type"] == "Point" and len(geo["coordinates"]) == 2
    if entity_set == "Datastreams":
        assert set(entity["unitOfMeasurement"]) == {"name", "symbol", "definition"}
        assert entity["observationType"].startswith("http://www.opengis.net/def/observationType/OGC-OM/2.0/")
        if entity.get("phenomenonTime") is not None:
            start, end = entity["phenomenonTime"].split("/")
            assert _instant(start) <= _instant(end)
    if entity_set == "HistoricalLocations":
        _instant(entity["time"])
    if entity_set == "Observations":
        _instant(entity["phenomenonTime"])
        assert entity["resultTime"] is None or _instant(entity["resultTime"])
        assert entity["result"] is None or isinstance(entity["result"], int | float)


@pytest.mark.parametrize("entity_set", sorted(MANDATORY))
def test_collection_and_entity_shapes(client, entity_set):  # noqa: F811
    r = client.get(f"{STA}/{entity_set}", params={"$top": "5", "$count": "true"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    page = r.json()
    assert set(page) <= {"@iot.count", "@iot.nextLink", "value"} and isinstance(page["@iot.count"], int)
    assert 0 < len(page["value"]) <= 5 and page["@iot.count"] >= len(page["value"])
    assert ("@iot.nextLink" in page) == (page["@iot.count"] > 5)
    for entity in page["value"]:
        check_entity(entity, entity_set)
        alone = client.get(entity["@iot.selfLink"])
        assert alone.status_code == 200 and alone.headers["content-type"] == "application/json"
        assert alone.json() == entity


@pytest.mark.parametrize("entity_set", sorted(MANDATORY))
def test_navigation_links_lead_to_the_right_shapes(client, entity_set):  # noqa: F811
    entity = get(client, f"/{entity_set}", **{"$top": "1"})["value"][0]
    for nav, many in MANDATORY[entity_set][1].items():
        target = client.get(entity[f"{nav}@iot.navigationLink"]).json()
        target_set = TARGETS.get(nav, nav)
        if many:
            assert "value" in target and isinstance(target["value"], list)
            for item in target["value"][:3]:
                check_entity(item, target_set)
        else:
            check_entity(target, target_set)


def test_service_root_shape(client):  # noqa: F811
    r = client.get(STA)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    doc = r.json()
    assert set(doc) == {"value", "serverSettings"}
    for item in doc["value"]:
        assert set(item) == {"name", "url"} and client.get(item["url"]).status_code == 200
    assert all(
        c.startswith("http://www.opengis.net/spec/iot_sensing/1.1/")
        for c in doc["serverSettings"]["conformance"]
    )


def test_expanded_entities_keep_their_shape(client):  # noqa: F811
    doc = get(
        client,
        "/Things",
        **{
            "$top": "1",
            "$expand": "Locations,Datastreams($expand=Sensor,ObservedProperty,Observations($top=2))",
        },
    )
    thing = doc["value"][0]
    check_entity(thing, "Things")
    for loc in thing["Locations"]:
        check_entity(loc, "Locations")
    for ds in thing["Datastreams"]:
        check_entity(ds, "Datastreams")
        check_entity(ds["Sensor"], "Sensors")
        check_entity(ds["ObservedProperty"], "ObservedProperties")
        for obs in ds["Observations"]:
            check_entity(obs, "Observations")
