"""OGC API Features through FastAPI's TestClient: landing, conformance, collections, items, HTML."""

from __future__ import annotations

import re
from urllib.parse import quote

import ogc_data
import pytest
from fastapi.testclient import TestClient

from liuyu.api import create_app
from liuyu.catalog import load_categories

FEATURES = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    ws = ogc_data.build(tmp_path_factory.mktemp("ogc") / "ws")
    ws.close()
    with TestClient(create_app(ws.root)) as c:
        yield c


def ogc_error(r, status: int, *words: str) -> dict:
    """The response is an OGC exception with ``status`` whose description mentions ``words``."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) <= {"code", "description"} and body["code"]
    for w in words:
        assert w in body["description"], body
    return body


def test_landing_page_links(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    rels = {link["rel"]: link["href"] for link in r.json()["links"]}
    for rel in ("self", "alternate", "service-desc", "service-doc", "conformance", "data"):
        assert rel in rels
    assert rels["service-desc"].endswith("/openapi.json") and rels["service-doc"].endswith("/api.html")
    assert any(link["href"].endswith("/map") for link in r.json()["links"])
    assert "测试流域" in r.json()["title"]


def test_conformance_declares_what_is_implemented(client):
    classes = client.get("/conformance").json()["conformsTo"]
    for c in ("core", "geojson", "html", "oas30"):
        assert f"{FEATURES}/{c}" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in classes


def test_every_vector_category_is_a_collection(client):
    doc = client.get("/collections").json()
    ids = [c["id"] for c in doc["collections"]]
    vector = [code for code, cat in load_categories().items() if not cat.is_raster]
    assert sorted(ids) == sorted(vector)
    land = next(c for c in doc["collections"] if c["id"] == "land_use")
    assert land["itemType"] == "feature" and "土地利用" in land["title"] and "Land use" in land["title"]
    assert land["storageCrs"] == "http://www.opengis.net/def/crs/EPSG/0/4490"
    assert "http://www.opengis.net/def/crs/EPSG/0/4548" in land["crs"]
    assert "http://www.opengis.net/def/crs/OGC/1.3/CRS84" in land["crs"]
    x0, y0, x1, y1 = land["extent"]["spatial"]["bbox"][0]
    assert 116.79 < x0 < x1 < 116.9 and 40.39 < y0 < y1 < 40.5
    rels = {link["rel"] for link in land["links"]}
    assert {"items", "http://www.opengis.net/def/rel/ogc/1.0/queryables"} <= rels
    assert any(link["href"].endswith("/collections/land_use/tiles") for link in land["links"])
    assert land["liuyu:version"] == 2


def test_one_collection_and_unknown_ones(client):
    doc = client.get("/collections/townships").json()
    assert doc["id"] == "townships" and doc["links"][0]["rel"] == "self"
    ogc_error(client.get("/collections/nope"), 404, "nope")
    ogc_error(client.get("/collections/dem/items"), 404, "raster")
    ogc_error(client.get("/collections/nope/items"), 404)


def test_queryables_are_a_json_schema_of_the_fields(client):
    r = client.get("/collections/land_use/queryables")
    assert r.status_code == 200 and r.headers["content-type"] == "application/schema+json"
    doc = r.json()
    props = doc["properties"]
    assert doc["type"] == "object" and doc["$schema"].startswith("https://json-schema.org/")
    assert props["area_m2"]["type"] == "number" and props["area_m2"]["x-ogc-unit"] == "m2"
    assert props["survey_year"]["type"] == "integer" and props["class_code"]["type"] == "string"
    assert "0101" in props["class_code"]["enum"]
    assert props["geometry"]["format"] == "geometry-multipolygon"
    assert props["jurisdiction"]["type"] == "string"
    assert (
        client.get("/collections/stations/queryables").json()["properties"]["established"]["format"] == "date"
    )


def test_paging_to_the_end_of_a_layer(client):
    url, seen, matched, pages = "/collections/land_use/items?limit=25", [], None, 0
    while url:
        doc = client.get(url).json()
        matched = doc["numberMatched"] if matched is None else matched
        assert doc["numberMatched"] == matched and doc["numberReturned"] == len(doc["features"])
        seen += [f["id"] for f in doc["features"]]
        url = next((link["href"] for link in doc["links"] if link["rel"] == "next"), None)
        pages += 1
    assert matched == ogc_data.N_PARCELS - 1 == len(seen) == len(set(seen))
    assert pages == 6 and "P00005" not in seen  # removed in version 2


def test_prev_link_and_other_parameters_are_kept(client):
    doc = client.get("/collections/land_use/items?limit=10&offset=30&county_code=110118").json()
    links = {link["rel"]: link["href"] for link in doc["links"]}
    assert "offset=20" in links["prev"] and "offset=40" in links["next"]
    assert "county_code=110118" in links["next"] and "limit=10" in links["next"]
    assert links["collection"].endswith("/collections/land_use")
    assert doc["timeStamp"].endswith("Z")


def test_limit_is_capped_and_validated(client):
    doc = client.get("/collections/land_use/items?limit=20000").json()
    assert doc["numberReturned"] == ogc_data.N_PARCELS - 1
    assert len(client.get("/collections/land_use/items").json()["features"]) == 10
    ogc_error(client.get("/collections/land_use/items?limit=0"), 400, "limit")
    ogc_error(client.get("/collections/land_use/items?limit=abc"), 400, "limit")
    ogc_error(client.get("/collections/land_use/items?offset=-1"), 400, "offset")
    far = client.get(f"/collections/land_use/items?offset={10**20}")  # beyond SQLite's integers
    assert far.status_code == 200 and far.json()["features"] == []


def test_feature_by_id_has_properties_and_extra(client):
    r = client.get("/collections/land_use/items/P00007")
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    doc = r.json()
    assert doc["id"] == "P00007" and doc["geometry"]["type"] == "MultiPolygon"
    props = doc["properties"]
    assert (
        props["parcel_id"] == "P00007" and props["survey_year"] == 2020 and props["jurisdiction"] == "beijing"
    )
    assert props["extra"] == {"note": "备注7"}
    assert {link["rel"] for link in doc["links"]} >= {"self", "alternate", "collection"}
    # ids are URL-encoded in links and decoded in paths: a key with '#'
    page = client.get("/collections/stations/items?f=html").text
    assert f"/items/{quote('S#5', safe='')}?f=html" in page
    assert (
        client.get(f"/collections/stations/items/{quote('S#5', safe='')}").json()["properties"]["name"]
        == "白河堡"
    )
    ogc_error(client.get("/collections/land_use/items/NOPE"), 404, "NOPE")


def test_bbox_selects_through_the_index(client):
    doc = client.get("/collections/land_use/items?bbox=116.8,40.4,116.81,40.41&limit=100").json()
    assert doc["numberMatched"] == doc["numberReturned"] == 9  # a 3 x 3 block of the grid
    six = client.get("/collections/land_use/items?bbox=116.8,40.4,0,116.81,40.41,100").json()
    assert six["numberMatched"] == 9
    assert client.get("/collections/land_use/items?bbox=10,10,11,11").json()["numberMatched"] == 0
    # minx > maxx crosses the antimeridian (Part 1): 170E eastwards round to 116.805E
    across = client.get("/collections/land_use/items?bbox=170,40.4,116.805,40.41").json()
    assert across["numberMatched"] == 6  # the first two columns, three rows
    for bad in ("1,2,3", "a,b,c,d", "116.9,40.5,117,40.4", "116,91,117,92", "1,2,3,inf"):
        ogc_error(client.get(f"/collections/land_use/items?bbox={bad}"), 400, "bbox")


def test_property_filters_are_typed(client):
    parcels = ogc_data.current_parcels()
    doc = client.get("/collections/land_use/items?county_code=130828&jurisdiction=hebei&limit=200").json()
    expected = parcels[(parcels.county_code == "130828") & (parcels.jurisdiction == "hebei")]
    assert sorted(f["id"] for f in doc["features"]) == sorted(expected.parcel_id)
    assert doc["numberMatched"] == len(expected) > 0
    both = client.get("/collections/land_use/items?survey_year=2020&survey_year=2021").json()
    assert both["numberMatched"] == len(parcels)
    n_2021 = int((parcels.survey_year == 2021).sum())
    assert client.get("/collections/land_use/items?survey_year=2021").json()["numberMatched"] == n_2021
    ogc_error(client.get("/collections/land_use/items?survey_year=x"), 400, "survey_year", "integer")
    ogc_error(client.get("/collections/land_use/items?colour=red"), 400, "colour")
    ogc_error(client.get(f"/collections/land_use/items?survey_year={10**20}"), 400, "survey_year")


def test_as_of_version(client):
    now = client.get("/collections/land_use/items/P00000").json()["properties"]["class_code"]
    then = client.get("/collections/land_use/items/P00000?version=1").json()["properties"]["class_code"]
    assert (now, then) == ("1201", "0101")
    assert client.get("/collections/land_use/items/P00005?version=1").status_code == 200
    ogc_error(client.get("/collections/land_use/items/P00005"), 404)
    assert client.get("/collections/land_use/items?version=1").json()["numberMatched"] == ogc_data.N_PARCELS
    filtered = client.get("/collections/land_use/items?version=1&class_code=1201").json()
    assert filtered["numberMatched"] == 0
    ogc_error(client.get("/collections/land_use/items?version=9"), 400, "version", "1..2")
    ogc_error(client.get("/collections/land_use/items/P00000?version=0"), 400, "version")


def test_datetime_needs_a_time_field(client, monkeypatch):
    ogc_error(client.get("/collections/land_use/items?datetime=2020-01-01"), 400, "datetime", "land_use")
    cats = load_categories()
    monkeypatch.setitem(cats, "stations", cats["stations"].model_copy(update={"time_field": "established"}))

    def count(value: str) -> int:
        r = client.get(f"/collections/stations/items?datetime={value}")
        assert r.status_code == 200, r.text
        return r.json()["numberMatched"]

    assert count("2005-01-01") == 1
    assert count("2005-01-01T10:00:00Z") == 1  # an instant falls on its day
    assert count("2000-01-01/2015-12-31") == 2
    assert count("../2010-07-15") == 3
    assert count("2010-07-15/..") == 2
    temporal = client.get("/collections/stations").json()["extent"]["temporal"]
    assert temporal["interval"] == [["1990-05-01T00:00:00Z", "2020-12-31T23:59:59Z"]]
    for bad in ("yesterday", "2020-13-01", "../..", "2021-01-01/2020-01-01", "a/b/c"):
        ogc_error(client.get(f"/collections/stations/items?datetime={bad}"), 400, "datetime")


def test_html_pages_are_bilingual_and_self_contained(client):
    for url in (
        "/",
        "/conformance",
        "/collections",
        "/collections/land_use",
        "/collections/land_use/queryables",
        "/collections/land_use/items",
        "/collections/land_use/items/P00001",
    ):
        r = client.get(url, params={"f": "html"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), url
        assert re.search(r"[\u4e00-\u9fff]", r.text) and "Collections" in r.text
        assert not re.search(r"""(src|href)=["']https?://(?!testserver)""", r.text), url  # nothing external
    items = client.get("/collections/land_use/items?f=html").text
    assert "<svg" in items and "P00002" in items and "下一页" in items


def test_accept_header_negotiation(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert (
        client.get("/collections", headers={"Accept": browser})
        .headers["content-type"]
        .startswith("text/html")
    )
    assert client.get("/collections", headers={"Accept": "application/json"}).json()["collections"]
    r = client.get("/collections/land_use/items", headers={"Accept": "application/geo+json"})
    assert r.headers["content-type"] == "application/geo+json"
    assert client.get("/", headers={"Accept": "*/*"}).headers["content-type"] == "application/json"
    ogc_error(client.get("/collections?f=xml"), 400, "f")
