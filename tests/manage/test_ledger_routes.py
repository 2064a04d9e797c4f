"""The ledger and facility routes: create, list, map, move, photos, overdue, stats, XLSX; who may write."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from ledger_data import ledger_workspace, tiny_jpeg
from liuyu.api import create_app

HEBEI_EDITOR = {"X-Liuyu-User": "zhao", "X-Liuyu-Role": "editor", "X-Liuyu-Jurisdiction": "hebei"}
VIEWER = {"X-Liuyu-User": "guest"}


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    root = tmp_path / "ws"
    ledger_workspace(root).close()
    return TestClient(create_app(root))


def _create(client: TestClient, **kw: object) -> dict:
    body = {"title": "河滩垃圾", "source": "inspection", "category": "illegal_dumping", "longitude": 116.9,
            "latitude": 40.5, "deadline": "2024-07-01", "found_at": "2024-06-01T08:00:00Z", **kw}  # fmt: skip
    r = client.post("/api/ledger/problems", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_list_detail_and_geojson(client: TestClient) -> None:
    a = _create(client)
    b = _create(
        client,
        category="illegal_fishing",
        geometry={
            "type": "Polygon",
            "coordinates": [[[117.1, 40.5], [117.2, 40.5], [117.2, 40.6], [117.1, 40.5]]],
        },
    )
    assert (a["code"], a["jurisdiction"], a["state"], a["overdue"]) == (
        "WT2024-0001",
        "beijing",
        "found",
        True,
    )
    assert b["jurisdiction"] == "hebei" and b["geometry"]["type"] == "Polygon"
    listed = client.get("/api/ledger/problems", params={"jurisdiction": "hebei"}).json()
    assert listed["number"] == 1 and listed["problems"][0]["code"] == b["code"]
    assert client.get("/api/ledger/problems", params={"state": "nonsense"}).status_code == 400
    geo = client.get("/api/ledger/problems.geojson", params={"category": "illegal_dumping"})
    assert geo.headers["content-type"].startswith("application/geo+json")
    features = geo.json()["features"]
    assert [f["id"] for f in features] == [a["code"]] and features[0]["properties"]["state"] == "found"
    detail = client.get(f"/api/ledger/problems/{a['code']}").json()
    assert [m["to"] for m in detail["next"]] == ["assigned"] and detail["history"][0]["to_state"] == "found"
    assert client.get("/api/ledger/problems/WT1999-0001").status_code == 404
    r = client.post(
        "/api/ledger/problems", json={"title": "x", "source": "inspection", "category": "illegal_dumping"}
    )
    assert r.status_code == 400


def test_transitions_skipping_and_permissions(client: TestClient) -> None:
    code = _create(client)["code"]
    url = f"/api/ledger/problems/{code}/transitions"
    assert client.post(url, json={"to": "closed"}).status_code == 409
    assert client.post(url, json={"to": "assigned"}, headers=VIEWER).status_code == 403
    r = client.post(url, json={"to": "assigned"}, headers=HEBEI_EDITOR)
    assert r.status_code == 403 and "beijing" in r.json()["description"]
    r = client.post(url, json={"to": "assigned", "note": "交办镇政府"})
    assert r.status_code == 200 and r.json()["state"] == "assigned"
    bad_role = {"X-Liuyu-User": "x", "X-Liuyu-Role": "superuser"}
    assert client.post(url, json={"to": "being_fixed"}, headers=bad_role).status_code == 403
    hist = client.get(f"/api/ledger/problems/{code}").json()["history"]
    assert [(h["to_state"], h["user"]) for h in hist] == [("found", "local"), ("assigned", "local")]


def test_headers_narrow_but_never_widen_the_configured_access(tmp_path: Path) -> None:
    from liuyu.config import save_config

    root = tmp_path / "ro"
    ws = ledger_workspace(root)
    ws.config.access.role = "editor"
    ws.config.access.jurisdiction = "hebei"
    save_config(ws.config, root / "liuyu.toml")
    ws.close()
    client = TestClient(create_app(root))
    body = {
        "title": "x",
        "source": "inspection",
        "category": "illegal_dumping",
        "longitude": 116.9,
        "latitude": 40.5,
    }
    assert (
        client.post("/api/ledger/problems", json=body).status_code == 403
    )  # a Beijing place, a Hebei editor
    admin = {"X-Liuyu-User": "me", "X-Liuyu-Role": "admin"}
    assert client.post("/api/ledger/problems", json=body, headers=admin).status_code == 403
    bj = {"X-Liuyu-User": "me", "X-Liuyu-Role": "editor", "X-Liuyu-Jurisdiction": "beijing"}
    assert client.post("/api/ledger/problems", json=body, headers=bj).status_code == 403
    hebei = {**body, "longitude": 117.2}
    assert client.post("/api/ledger/problems", json=hebei).status_code == 201
    assert client.post("/api/ledger/problems", json=hebei, headers=VIEWER).status_code == 403


def test_photo_upload_and_download(client: TestClient) -> None:
    code = _create(client)["code"]
    url = f"/api/ledger/problems/{code}/photos"
    r = client.post(url, files={"file": ("../../x.jpg", tiny_jpeg(), "image/jpeg")})
    assert r.status_code == 201, r.text
    photo = r.json()
    assert photo["original_name"] == "x.jpg" and "path" not in photo
    got = client.get(f"{url}/{photo['id']}")
    assert (
        got.status_code == 200 and got.content == tiny_jpeg() and got.headers["content-type"] == "image/jpeg"
    )
    exe = client.post(url, files={"file": ("photo.jpg", b"MZ\x90\x00" + bytes(100), "image/jpeg")})
    assert exe.status_code == 400 and "JPEG" in exe.json()["description"]
    assert (
        client.post(url, files={"file": ("a.jpg", tiny_jpeg(), "image/jpeg")}, headers=VIEWER).status_code
        == 403
    )
    assert client.post(url, data={"x": "1"}).status_code == 400
    assert client.get(f"{url}/999").status_code == 404


def test_photo_too_big(tmp_path: Path) -> None:
    root = tmp_path / "small"
    ws = ledger_workspace(root)
    ws.config.ledger.photo_max_bytes = 1000
    from liuyu.config import save_config

    save_config(ws.config, root / "liuyu.toml")
    ws.close()
    client = TestClient(create_app(root))
    code = _create(client)["code"]
    r = client.post(
        f"/api/ledger/problems/{code}/photos",
        files={"file": ("a.jpg", tiny_jpeg() + bytes(5000), "image/jpeg")},
    )
    assert r.status_code == 413
    huge = client.post(
        f"/api/ledger/problems/{code}/photos", files={"file": ("b.jpg", tiny_jpeg() + bytes(200_000))}
    )
    assert huge.status_code == 413


def test_overdue_stats_and_export(client: TestClient) -> None:
    a = _create(client)["code"]
    _create(client, deadline="2099-01-01", category="illegal_fishing")
    late = client.get("/api/ledger/overdue", params={"today": "2024-07-11"}).json()
    assert [p["code"] for p in late["problems"]] == [a] and late["problems"][0]["days_overdue"] == 10
    rows = client.get("/api/ledger/stats", params={"by": "category", "today": "2024-07-11"}).json()["rows"]
    assert {r["category"]: (r["total"], r["overdue"]) for r in rows} == {
        "illegal_dumping": (1, 1),
        "illegal_fishing": (1, 0),
    }
    assert client.get("/api/ledger/stats", params={"by": "colour"}).status_code == 400
    r = client.get("/api/ledger/export.xlsx", params={"category": "illegal_fishing"})
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert sheet["B4"].value == "WT2024-0002" and sheet["B5"].value is None


def test_facility_routes(client: TestClient) -> None:
    body = client.get("/api/facilities").json()
    assert body["number"] == 3 and body["counts"] == {"no_data": 3}
    r = client.post("/api/facilities/F3/proposals", json={"fields": {"process": "SBR"}, "reason": "核查"})
    assert r.status_code == 201 and r.json()["state"] == "pending"
    pid = r.json()["id"]
    assert client.post(f"/api/facilities/proposals/{pid}/approve", headers=VIEWER).status_code == 403
    ok = client.post(f"/api/facilities/proposals/{pid}/approve", json={"note": "同意"}, headers=HEBEI_EDITOR)
    assert ok.status_code == 200 and ok.json()["version"] == 2
    assert client.post(f"/api/facilities/proposals/{pid}/reject").status_code == 400
    assert (
        client.post(
            "/api/facilities/F1/proposals", json={"fields": {"process": "SBR"}}, headers=HEBEI_EDITOR
        ).status_code
        == 403
    )
    assert (
        client.post("/api/facilities/NOPE/proposals", json={"fields": {"process": "SBR"}}).status_code == 404
    )
    assert client.get("/api/facilities/proposals", params={"state": "approved"}).json()["number"] == 1
    assert client.get("/api/facilities", params={"state": "broken"}).status_code == 400


def test_the_page_and_codes(client: TestClient) -> None:
    from liuyu.api.web import front_end_installed

    codes = client.get("/api/ledger/codes").json()
    assert codes["states"][0]["code"] == "found" and len(codes["categories"]) == 7
    page = client.get("/ledger")
    assert page.status_code == (200 if front_end_installed() else 404)
    if page.status_code == 200:
        assert "static/ledger.js" in page.text
