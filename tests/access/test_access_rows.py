"""Row level and visibility per role and jurisdiction: features, ledger, facilities, ingest, lists, tiles."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import pytest
from access_data import access_workspace, set_access
from fastapi.testclient import TestClient

from conftest import township_frame
from ledger_data import counties
from liuyu.api import create_app
from liuyu.workspace import open_workspace


@pytest.fixture
def setup(tmp_path: Path) -> tuple[TestClient, dict[str, dict[str, str]], Path]:
    root = tmp_path / "ws"
    headers = access_workspace(root)
    return TestClient(create_app(root)), headers, root


def _ids(doc: dict, key: str, field: str) -> set[str]:
    return {c[field] for c in doc[key]}


def test_a_layer_not_shared_is_absent_from_lists_counts_and_search(setup) -> None:
    client, h, _ = setup
    for who, sees in (
        ("viewer@hebei", False),
        ("editor@hebei", False),
        ("editor@beijing", True),
        ("admin@basin", True),
    ):
        cols = _ids(client.get("/collections", headers=h[who]).json(), "collections", "id")
        cats = _ids(client.get("/api/catalog", headers=h[who]).json(), "categories", "code")
        hits = client.get("/api/search", params={"q": "乡镇"}, headers=h[who]).json()["hits"]
        assert (
            "townships" in cols,
            "townships" in cats,
            any(x["category"] == "townships" for x in hits),
        ) == (
            sees,
            sees,
            sees,
        ), who
        assert {"counties", "stations"} <= cols
        items = client.get("/collections/townships/items", headers=h[who])
        assert items.status_code == (200 if sees else 404)
        if sees:
            assert items.json()["numberMatched"] == 8
        one = client.get("/collections/townships/items/110118000", headers=h[who])
        assert one.status_code == (200 if sees else 404)


def test_anonymous_callers_see_public_layers_only(setup) -> None:
    client, _, _ = setup
    cols = _ids(client.get("/collections").json(), "collections", "id")
    assert cols == {"basin", "counties"}
    assert client.get("/collections/counties/items").json()["numberMatched"] == 2
    assert client.get("/collections/stations/items").status_code == 404
    assert client.get("/api/ledger/problems").status_code == 401
    assert client.get("/api/me").json()["via"] == "anonymous"


def test_a_cached_tile_is_never_served_to_someone_who_cannot_see_its_layer(setup) -> None:
    client, h, _ = setup
    z, lon, lat = 10, 116.85, 40.45
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    url = f"/collections/townships/tiles/WebMercatorQuad/{z}/{y}/{x}"
    first = client.get(url, headers=h["admin@basin"])
    again = client.get(url, headers=h["editor@beijing"])
    assert first.status_code == again.status_code == 200
    assert again.headers["x-liuyu-tile-cache"] == "hit"
    hidden = client.get(url, headers=h["viewer@hebei"])
    assert hidden.status_code == 404 and hidden.content != first.content
    etag = first.headers["etag"]
    revalidate = client.get(url, headers={**h["viewer@hebei"], "If-None-Match": etag})
    assert revalidate.status_code == 404 and "etag" not in revalidate.headers
    assert client.get("/collections/townships/tiles", headers=h["editor@hebei"]).status_code == 404


def test_sensorthings_and_station_routes_follow_the_stations_sharing(setup) -> None:
    client, h, root = setup
    assert client.get("/sta/v1.1/Things", headers=h["viewer@hebei"]).status_code == 200
    set_access(root, shared={"stations": ["beijing"]})
    client = TestClient(create_app(root))
    for path in (
        "/sta/v1.1/Things",
        "/sta/v1.1",
        "/api/latest",
        "/api/stations/NW1",
        "/collections/stations/items",
    ):
        assert client.get(path, headers=h["viewer@hebei"]).status_code == 404, path
        assert client.get(path, headers=h["editor@beijing"]).status_code in (200, 404), path
    things = client.get("/sta/v1.1/Things", headers=h["editor@beijing"])
    assert things.status_code == 200
    cols = _ids(client.get("/collections", headers=h["viewer@hebei"]).json(), "collections", "id")
    assert "stations" not in cols and "townships" in cols  # the new sharing replaced the old one


def _problem(client: TestClient, headers: dict[str, str], jurisdiction: str, lon: float) -> object:
    body = {
        "title": "河滩垃圾",
        "source": "inspection",
        "category": "illegal_dumping",
        "longitude": lon,
        "latitude": 40.5,
        "jurisdiction": jurisdiction,
    }
    return client.post("/api/ledger/problems", json=body, headers=headers)


def test_ledger_rows_belong_to_their_jurisdiction(setup) -> None:
    client, h, _ = setup
    hebei = _problem(client, h["editor@hebei"], "hebei", 117.1)
    assert hebei.status_code == 201, hebei.text
    assert _problem(client, h["editor@hebei"], "beijing", 116.9).status_code == 403
    assert _problem(client, h["viewer@hebei"], "hebei", 117.1).status_code == 403
    assert _problem(client, h["anonymous"], "hebei", 117.1).status_code == 401
    code = hebei.json()["code"]
    move = {"to": "assigned", "responsible_unit": "隆化县水务局", "note": "x"}
    url = f"/api/ledger/problems/{code}/transitions"
    assert client.post(url, json=move, headers=h["editor@beijing"]).status_code == 403
    moved = client.post(url, json=move, headers=h["editor@hebei"])
    assert moved.status_code == 200 and moved.json()["state"] == "assigned"
    history = client.get(f"/api/ledger/problems/{code}", headers=h["viewer@hebei"]).json()["history"]
    assert {e["user"] for e in history} == {"he"}


def test_facility_proposals_belong_to_their_jurisdiction(setup) -> None:
    client, h, _ = setup
    body = {"fields": {"capacity_m3d": 99}, "reason": "核查"}
    assert (
        client.post("/api/facilities/F1/proposals", json=body, headers=h["editor@hebei"]).status_code == 403
    )
    ok = client.post("/api/facilities/F3/proposals", json=body, headers=h["editor@hebei"])
    assert ok.status_code == 201, ok.text
    pid = ok.json()["id"]
    assert (
        client.post(
            f"/api/facilities/proposals/{pid}/approve", json={}, headers=h["editor@beijing"]
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"/api/facilities/proposals/{pid}/approve", json={}, headers=h["viewer@hebei"]
        ).status_code
        == 403
    )


def _upload(client: TestClient, headers: dict[str, str], frame: gpd.GeoDataFrame, **fields: str):
    data = json.loads(frame.to_json()) | {"crs": {"type": "name", "properties": {"name": "EPSG:4490"}}}
    files = {"file": ("counties.geojson", json.dumps(data, ensure_ascii=False).encode())}
    return client.post("/api/ingest", files=files, data={"category": "counties", **fields}, headers=headers)


def test_an_upload_by_a_hebei_editor_replaces_hebei_features_only(setup) -> None:
    client, h, root = setup
    both = counties().assign(name=["改名一", "改名二"])
    assert _upload(client, h["editor@hebei"], both, jurisdiction="beijing").status_code == 403
    assert _upload(client, h["viewer@hebei"], both).status_code == 403
    taken = _upload(client, h["editor@hebei"], both, scope="all")  # holds Beijing's county: refused
    assert taken.status_code == 400 and "another jurisdiction" in taken.text
    frame = both.assign(code=["130826", "130825"])
    r = _upload(client, h["editor@hebei"], frame, scope="all")
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["version"]["scope"] == "hebei" and report["options"]["user"] == "he (editor@hebei)"
    with open_workspace(root) as ws:
        layer = ws.read_layer("counties")
    beijing = layer[layer["jurisdiction"] == "beijing"]
    assert list(beijing["name"]) == ["密云区"]  # untouched
    assert sorted(layer[layer["jurisdiction"] == "hebei"]["name"]) == ["改名一", "改名二"]
    files = {"file": ("t.geojson", b"{}")}
    hidden = client.post(
        "/api/ingest", files=files, data={"category": "townships"}, headers=h["editor@hebei"]
    )
    assert hidden.status_code == 404


def test_ingest_reports_of_a_hidden_layer_are_absent(setup) -> None:
    client, h, _ = setup
    frame = township_frame(2, jurisdiction="beijing").assign(code=["X1", "X2"])
    files = {"file": ("t.geojson", frame.to_json().encode())}
    data = {"category": "townships", "dry_run": "true"}
    r = client.post("/api/ingest", files=files, data=data, headers=h["editor@beijing"])
    assert r.status_code == 200, r.text
    url = f"/api/ingest/reports/{r.json()['ingest_id']}"
    assert client.get(url, headers=h["editor@beijing"]).status_code == 200
    assert client.get(url, headers=h["viewer@hebei"]).status_code == 404
    assert client.get(url + ".html", headers=h["editor@hebei"]).status_code == 404


def test_alerts_are_acknowledged_in_their_own_jurisdiction(setup) -> None:
    client, h, root = setup
    with open_workspace(root) as ws:
        ids = [
            ws.store.conn.execute(
                "INSERT INTO alerts (key, kind, subject, severity, message_zh, message_en, jurisdiction, "
                "first_seen, last_seen) VALUES (?, 'exceedance', 'NW1', 'warning', '超标', 'over', ?, "
                "'2024-01-01', '2024-01-01') RETURNING id",
                (f"k-{jur}", jur),
            ).fetchone()[0]
            for jur in ("beijing", "hebei")
        ]
    beijing, hebei = (f"/api/alerts/{i}/ack" for i in ids)
    refused = client.post(beijing, json={"note": "x"}, headers=h["editor@hebei"])
    assert refused.status_code == 403 and "beijing" in refused.text
    assert client.post(hebei, json={"note": "x"}, headers=h["viewer@hebei"]).status_code == 403
    ok = client.post(hebei, json={"note": "复核"}, headers=h["editor@hebei"])
    assert ok.status_code == 200 and ok.json()["acknowledged_by"] == "he (editor@hebei)"
    assert client.post(beijing, json={}, headers=h["editor@beijing"]).status_code == 200
