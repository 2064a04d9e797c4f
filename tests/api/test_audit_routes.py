"""GET /api/audit: the audit log with the same filters as `liuyu audit`, JSON before/after decoded."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import liuyu
from conftest import township_frame
from liuyu.api import create_app
from liuyu.store import audit


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    root = tmp_path_factory.mktemp("audit_api") / "ws"
    ws = liuyu.init(root, basin_name="测试流域")
    ws.write_layer("townships", township_frame(), user="gis")
    with ws.store.transaction() as tx:  # type: ignore[attr-defined]
        audit.record(
            tx, "wang (editor@hebei)", "ledger.assigned", "ledger:WT2024-0001", before={"s": "found"}
        )
    ws.close()
    return TestClient(create_app(root))


def test_lists_newest_first_with_decoded_records(client: TestClient) -> None:
    r = client.get("/api/audit")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["number"] == 2 and body["limit"] == 100 and body["offset"] == 0
    newest, layer = body["entries"]
    assert newest["action"] == "ledger.assigned" and newest["before"] == {"s": "found"}
    assert (newest["role"], newest["jurisdiction"]) == ("editor", "hebei")
    assert layer["target"] == "townships@1" and layer["after"]["n_features"] == 12 and layer["user"] == "gis"


def test_filters_match_the_cli(client: TestClient) -> None:
    def targets(**params: str) -> list[str]:
        r = client.get("/api/audit", params=params)
        assert r.status_code == 200, r.text
        return [e["target"] for e in r.json()["entries"]]

    assert targets(user="wang") == ["ledger:WT2024-0001"]
    assert targets(target="townships") == ["townships@1"]
    assert targets(action="version") == ["townships@1"]
    assert targets(since="2999-01-01") == [] and len(targets(until="2999-01-01T00:00+08:00")) == 2
    assert targets(limit="1", offset="1") == ["townships@1"]


def test_bad_parameters_are_client_errors(client: TestClient) -> None:
    r = client.get("/api/audit", params={"since": "last tuesday"})
    assert r.status_code == 400 and "not a time" in r.json()["description"]
    assert client.get("/api/audit", params={"limit": "0"}).status_code in (400, 422)
    assert client.get("/api/audit", params={"limit": "100000"}).status_code in (400, 422)
    r = client.get("/api/audit", params={"target": "x' OR '1'='1"})
    assert r.status_code == 200 and r.json()["entries"] == []


def test_the_route_is_documented(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    params = {p["name"] for p in doc["paths"]["/api/audit"]["get"]["parameters"]}
    assert {"user", "target", "action", "since", "until", "limit", "offset"} <= params
    assert json.dumps(doc["paths"]["/api/audit"]).count("$ref") >= 1


def test_only_administrators_read_it_and_no_secret_is_logged(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parents[1] / "access"))  # the access tests' accounts
    from access_data import PASSWORD, access_workspace

    root = tmp_path / "ws"
    headers = access_workspace(root)
    client = TestClient(create_app(root))
    for who in ("anonymous", "viewer@hebei", "editor@beijing"):
        assert client.get("/api/audit", headers=headers[who]).status_code in (401, 403), who
    r = client.get("/api/audit", params={"target": "user", "limit": 1000}, headers=headers["admin@basin"])
    assert r.status_code == 200
    added = [e for e in r.json()["entries"] if e["action"] == "user.add"]
    assert len(added) == 4 and {e["target"] for e in added} >= {"user:ad", "user:hv"}
    everything = client.get("/api/audit", params={"limit": 10000}, headers=headers["admin@basin"]).text
    secrets = [h["Authorization"].split()[-1] for h in headers.values() if h]
    assert PASSWORD not in everything and not any(s in everything for s in secrets)
    assert not any(hashlib.sha256(s.encode()).hexdigest() in everything for s in secrets)
    assert "pbkdf2" not in everything.lower() and "scrypt" not in everything.lower()
