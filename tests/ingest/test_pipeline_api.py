"""`POST /api/ingest` and the completeness matrix the CLI and `/api/catalog` share."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from ingest_data import delivery, parcels, write_shapefile

from liuyu.api import ingest_routes
from liuyu.api.app import create_app
from liuyu.catalog.completeness import completeness, is_stale
from liuyu.config import save_config
from liuyu.ingest.pipeline import IngestOptions, ingest_delivery


@pytest.fixture
def client(workspace) -> TestClient:
    return TestClient(create_app(workspace.root))


def zipped_shapefile(tmp_path: Path) -> bytes:
    shp = write_shapefile(parcels(5).assign(DLBM=["0101", "0102", "0103", "森林", "0301"]), tmp_path / "in")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, part.name)
    return buf.getvalue()


def test_upload_returns_the_report_and_writes_a_version(
    client: TestClient, workspace, tmp_path: Path
) -> None:
    body = zipped_shapefile(tmp_path)
    dry = client.post(
        "/api/ingest", files={"file": ("乡镇.zip", body)}, data={"category": "land_use", "dry_run": "true"}
    )
    assert dry.status_code == 200 and dry.json()["status"] == "dry-run"
    r = client.post(
        "/api/ingest",
        files={"file": ("乡镇.zip", body)},
        data={"category": "land_use", "jurisdiction": "hebei", "agency": "承德市", "map": "BSM=parcel_id"},
    )
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["counts"] == {"input": 5, "accepted": 4, "quarantined": 1, "repaired": 0, "warnings": 0}
    assert report["version"]["scope"] == "hebei" and report["options"]["user"] == "local (admin@basin)"
    page = client.get(f"/api/ingest/reports/{report['ingest_id']}.html")
    assert (
        page.status_code == 200
        and page.headers["content-type"].startswith("text/html")
        and "<svg" in page.text
    )
    assert client.get(f"/api/ingest/reports/{report['ingest_id']}").json()["ingest_id"] == report["ingest_id"]
    assert client.get("/api/ingest/reports/..%2Fliuyu.toml").status_code == 404
    catalog = {c["code"]: c for c in client.get("/api/catalog").json()["categories"]}
    assert catalog["land_use"]["report"] == f"api/ingest/reports/{report['ingest_id']}.html"
    assert (
        catalog["land_use"]["stale"] == [] and catalog["land_use"]["jurisdictions"]["hebei"]["features"] == 4
    )
    assert workspace.versions("land_use")[0].provenance.agency == "承德市"


def test_upload_errors_are_clear(client: TestClient, workspace, tmp_path: Path) -> None:
    r = client.post("/api/ingest", files={"file": ("x.shp", b"<html></html>")}, data={"category": "land_use"})
    assert r.status_code == 400 and r.json()["code"] == "InvalidParameterValue"
    r = client.post("/api/ingest", files={"file": ("x.zip", b"PK")}, data={})
    assert r.status_code == 400 and "category" in r.json()["description"]
    workspace.config.server.max_upload_bytes = 1000
    save_config(workspace.config, workspace.root / "liuyu.toml")
    small = TestClient(create_app(workspace.root))
    r = small.post(
        "/api/ingest", files={"file": ("x.zip", zipped_shapefile(tmp_path))}, data={"category": "land_use"}
    )
    assert r.status_code == 413 and "limit" in r.json()["description"] and "上限" in r.json()["description"]


def test_a_shapefile_uploaded_as_its_parts(client: TestClient, tmp_path: Path) -> None:
    shp = write_shapefile(parcels(3), tmp_path / "in")
    parts = [("file", (p.name, p.read_bytes())) for p in sorted(shp.parent.iterdir())]
    r = client.post("/api/ingest", files=parts, data={"category": "land_use"})
    assert r.status_code == 201, r.text
    assert r.json()["source"]["name"] == "parcels.shp"


def test_require_editor_is_the_one_access_hook() -> None:
    dependants = [
        d.call
        for route in ingest_routes.router.routes
        if route.methods == {"POST"}
        for d in route.dependant.dependencies
    ]
    assert ingest_routes.require_editor in dependants


def test_completeness_stale_cells_and_last_report(workspace) -> None:
    r = ingest_delivery(workspace, delivery(parcels(4)), "land_use", IngestOptions(jurisdiction="beijing"))
    entries = {e["code"]: e for e in completeness(workspace)}
    cell = entries["land_use"]["jurisdictions"]["beijing"]
    assert (cell["status"], cell["features"], cell["stale"]) == ("present", 4, False)
    assert entries["land_use"]["jurisdictions"]["hebei"]["status"] == "missing"
    assert entries["land_use"]["report"] == r.ingest_id
    now = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert is_stale(cell["updated"], 365, now) and not is_stale(cell["updated"], 365 * 10, now)
    assert not is_stale(None, 1)
    assert workspace.config.catalog.stale_after_days == 365
