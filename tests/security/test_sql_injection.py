"""SQL injection through every filter and parameter: taken as a literal or refused, never run.

A sweep sends hostile strings through every parameter (query and path) of every GET route in
the OpenAPI document; targeted tests check that filters treat them as literal values (zero
matches, not every row). Afterwards every table is still there with all its rows, and no answer
ever held a server error, SQL error text or the secret planted in a table no route serves.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sec_data import SQL_PAYLOADS, SWEEP_PAYLOADS, assert_intact, assert_safe, plant_secret, table_counts

from liuyu.api import create_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def attacked(copy_demo: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Any]]:
    """A private demo copy with a planted secret, its API client, and its table counts before the attack."""
    ws = copy_demo(tmp_path_factory.mktemp("sqli") / "ws")
    plant_secret(ws.store.conn)
    before = table_counts(ws.store.conn)
    client = TestClient(create_app(ws.root))
    yield client, ws
    assert_intact(before, table_counts(ws.store.conn))
    assert ws.store.conn.execute("SELECT count(*) FROM secret_sentinel").fetchone()[0] == 1
    ws.close()


@pytest.fixture(scope="module")
def samples(attacked: tuple[TestClient, Any]) -> dict[str, str]:
    """A valid value for every path parameter, taken from the demo through the API itself."""
    client, _ = attacked
    station = client.get("/collections/stations/items?limit=1").json()["features"][0]
    problem = client.get("/api/ledger/problems").json()["problems"][0]
    return {
        "collectionId": "stations",
        "featureId": str(station["id"]),
        "tileMatrixSetId": "WebMercatorQuad",
        "tileMatrix": "8",
        "tileRow": "96",
        "tileCol": "211",
        "code": str(station["properties"]["code"]),
        "category": "townships",
        "name": client.get("/api/analysis/cross").json()[0]["name"],
        "path": "Things",
        "photo_id": "1",
        "token_id": "1",
        "alert_id": "1",
        "proposal_id": "1",
        "problem": str(problem["code"]),
    }


REQUIRED_QUERY = {"month": "2024-08"}
# Per-collection copies of /collections/{collectionId}/items differ only in their property filters;
# two of them stand for the rest (the generic path is swept with every collection parameter).
ITEMS_PATHS_KEPT = {"/collections/stations/items", "/collections/land_use/items"}


def _operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path, ops in document["paths"].items():
        if re.fullmatch(r"/collections/[a-z_]+/items", path) and path not in ITEMS_PATHS_KEPT:
            continue
        if "get" in ops:
            out.append((path, ops["get"]))
    return out


def _url(path: str, params: list[dict[str, Any]], samples: dict[str, str], target: str, payload: str) -> str:
    values = dict(samples)
    if "/ledger/problems/{code}" in path:
        values["code"] = samples["problem"]
    for p in params:
        if p["in"] == "path":
            value = payload if p["name"] == target else values[p["name"]]
            path = path.replace("{" + p["name"] + "}", quote(value, safe=""))
    query = {k: v for k, v in REQUIRED_QUERY.items() if any(p["name"] == k for p in params)}
    if any(p["name"] == target and p["in"] == "query" for p in params):
        query[target] = payload
    if not query:
        return path
    return path + "?" + "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in query.items())


def test_every_parameter_of_every_get_route(attacked, samples):
    client, _ = attacked
    document = client.get("/openapi.json").json()
    sent = 0
    for path, op in _operations(document):
        params = [p for p in op.get("parameters", []) if p["in"] in ("path", "query")]
        for param in params:
            for payload in SWEEP_PAYLOADS:
                url = _url(path, params, samples, param["name"], payload)
                assert_safe(client.get(url), f"GET {url}")
                sent += 1
    assert sent > 500  # every route, every parameter: hundreds of requests


# --- OGC API Features -------------------------------------------------------------------------


@pytest.mark.parametrize("payload", SQL_PAYLOADS)
def test_property_filters_take_the_payload_literally(attacked, payload):
    client, _ = attacked
    for param in ("name", "code", "jurisdiction", "kind"):
        r = client.get("/collections/stations/items", params={param: payload, "limit": 5})
        assert_safe(r, f"{param}={payload!r}")
        assert r.status_code == 400 or r.json()["numberMatched"] == 0, (param, payload)


@pytest.mark.parametrize("payload", SQL_PAYLOADS)
def test_cql_filter_literals_and_ogc_parameters(attacked, payload):
    client, _ = attacked
    literal = payload.replace("'", "''")
    for params in (
        {"filter": f"name = '{literal}'"},
        {"filter": f"name LIKE '{literal}%'"},
        {"filter": payload},
        {"filter": f"name = {payload}"},
        {"filter": payload, "filter-lang": "cql2-text"},
        {"filter-lang": payload},
        {"filter-crs": payload},
        {"bbox": payload},
        {"bbox": f"116,40,117,{payload}"},
        {"bbox-crs": payload},
        {"crs": payload},
        {"datetime": payload},
        {"datetime": f"2020-01-01T00:00:00Z/{payload}"},
        {"limit": payload},
        {"offset": payload},
        {"sortby": payload},
        {"properties": payload},
        {"version": payload},
    ):
        r = client.get("/collections/stations/items", params=params)
        assert_safe(r, f"{params}")
        if "name" in str(params.get("filter", ""))[:6] and r.status_code == 200:
            assert r.json()["numberMatched"] == 0, params


@pytest.mark.parametrize("payload", SQL_PAYLOADS[:8])
def test_collection_and_feature_ids_and_tiles(attacked, samples, payload):
    client, _ = attacked
    p = quote(payload, safe="")
    for url in (
        f"/collections/{p}",
        f"/collections/{p}/items",
        f"/collections/{p}/queryables",
        f"/collections/stations/items/{p}",
        f"/collections/{p}/tiles/WebMercatorQuad/8/96/211",
        f"/collections/stations/tiles/{p}/8/96/211",
        f"/collections/stations/tiles/WebMercatorQuad/{p}/96/211",
        f"/collections/stations/tiles/WebMercatorQuad/8/{p}/211",
        f"/collections/stations/tiles/WebMercatorQuad/8/96/{p}",
        f"/api/labels/{p}",
    ):
        r = client.get(url)
        assert_safe(r, url)
        assert r.status_code in (400, 404, 422), (url, r.status_code)


# --- SensorThings -----------------------------------------------------------------------------


@pytest.mark.parametrize("payload", SQL_PAYLOADS)
def test_sensorthings_options_and_ids(attacked, payload):
    client, _ = attacked
    literal = payload.replace("'", "''")
    r = client.get("/sta/v1.1/Things", params={"$filter": f"name eq '{literal}'"})
    assert_safe(r, f"$filter literal {payload!r}")
    assert r.status_code == 400 or r.json()["value"] == [], payload
    for entity in ("Things", "Datastreams", "Observations"):  # (the others share their query code)
        for option in ("$filter", "$orderby", "$select", "$expand", "$top", "$skip", "$count"):
            r = client.get(f"/sta/v1.1/{entity}", params={option: payload})
            assert_safe(r, f"{entity}?{option}={payload!r}")
        for ident in (payload, f"'{literal}'", f"1 {payload}"):
            url = f"/sta/v1.1/{entity}({quote(ident, safe='')})"
            r = client.get(url)
            assert_safe(r, url)
            assert r.status_code in (400, 404), (url, r.status_code)
    r = client.get("/sta/v1.1/Things", params={"$expand": f"Datastreams($filter=name eq '{literal}')"})
    assert_safe(r, "$expand with a nested $filter")


# --- Liuyu's own routes -----------------------------------------------------------------------


@pytest.mark.parametrize("payload", SQL_PAYLOADS)
def test_ledger_alerts_audit_and_search_parameters(attacked, payload):
    client, _ = attacked
    lists = {
        "/api/ledger/problems": ("problems", ["state", "category", "jurisdiction", "source", "overdue"]),
        "/api/ledger/problems.geojson": ("features", ["state", "category", "jurisdiction"]),
        "/api/alerts": (None, ["state", "kind", "jurisdiction"]),
        "/api/audit": ("entries", ["user", "target", "action", "since", "until", "limit", "offset"]),
        "/api/facilities/proposals": (None, ["state", "facility"]),
        "/api/warnings": (None, ["state", "limit"]),
    }
    for url, (key, names) in lists.items():
        for name in names:
            r = client.get(url, params={name: payload})
            assert_safe(r, f"{url}?{name}={payload!r}")
            if key and r.status_code == 200 and name not in ("limit", "offset"):
                assert r.json()[key] == [], (url, name, payload)
    for url, params in (
        ("/api/search", {"q": payload}),
        ("/api/latest", {"station": payload}),
        ("/api/assessments", {"period": payload}),
        ("/api/assessments/history", {"station": payload}),
        ("/api/discharge", {"station": payload}),
        ("/api/ledger/stats", {"by": payload}),
        ("/api/ledger/overdue", {"today": payload}),
        ("/api/compensation", {"year": payload}),
        ("/api/gates/flow", {"gate": payload}),
        (f"/api/stations/{quote(payload, safe='')}/series", {}),
        ("/api/stations/1101SZ001/observations", {"property": payload, "start": payload}),
    ):
        r = client.get(url, params=params)
        assert_safe(r, f"{url} {params}")
    hits = client.get("/api/search", params={"q": payload}).json().get("hits", [])
    assert all(payload.strip("%' ") in (h.get("name") or "") + (h.get("code") or "") for h in hits), hits


def test_written_text_is_stored_literally(attacked):
    """Hostile text in a new ledger problem is stored and read back exactly, and harms nothing."""
    client, _ = attacked
    for payload in SQL_PAYLOADS[:12]:
        body = {
            "title": payload,
            "description": payload,
            "location": payload,
            "responsible_unit": payload,
            "source": "inspection",
            "category": "illegal_dumping",
            "longitude": 117.0,
            "latitude": 40.6,
        }
        r = client.post("/api/ledger/problems", json=body)
        assert_safe(r, f"POST problem {payload!r}")
        assert r.status_code == 201, r.text
        back = client.get(f"/api/ledger/problems/{r.json()['code']}").json()
        assert (back["title"], back["description"], back["location"]) == (payload,) * 3
        r = client.post("/api/ledger/problems", json={**body, "category": payload, "source": payload})
        assert_safe(r, f"POST problem with category {payload!r}")
        assert r.status_code in (400, 422)


def test_the_planted_secret_is_there_to_leak(attacked):
    """The sentinel check can fail: the secret is really in the store the API reads."""
    from sec_data import SECRET

    _, ws = attacked
    assert ws.store.conn.execute("SELECT v FROM secret_sentinel").fetchone()[0] == SECRET
    assert Path(ws.root).exists()
