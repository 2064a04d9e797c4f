"""Every route of the API against every role: the outcome expected by the table below, no route forgotten.

The expectation table is written here, by hand, not read from ``access/routes.toml``: a route
added to the API without an entry here fails :func:`test_every_route_is_in_the_expectation_table`,
and a policy that drifts from what is expected fails the matrix.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from access_data import PUBLIC, ROLES, SHARED, USERS, access_workspace
from fastapi.testclient import TestClient

from liuyu.api import create_app
from liuyu.catalog import load_categories

# kind: public | list | account | admin | read:<resource> | write:<resource> | write_basin:<resource>
EXPECTED: dict[str, str] = {
    "GET /": "public",
    "GET /conformance": "public",
    "GET /map": "public",
    "GET /ledger": "public",
    "GET /manage": "public",
    "GET /login": "public",
    "GET /static/{path}": "public",
    "GET /vendor/{path}": "public",
    "GET /api/config": "public",
    "GET /openapi.json": "public",
    "GET /api.html": "public",
    "POST /api/login": "public",
    "POST /api/logout": "public",
    "GET /api/me": "public",
    "GET /api/tokens": "account",
    "POST /api/tokens": "account",
    "DELETE /api/tokens/{token_id}": "account",
    "GET /api/users": "admin",
    "POST /api/users": "admin",
    "DELETE /api/users/{name}": "admin",
    "GET /api/audit": "admin",
    "GET /collections": "list",
    "GET /collections/{collectionId}": "read:{collectionId}",
    "GET /collections/{collectionId}/queryables": "read:{collectionId}",
    "GET /collections/{collectionId}/items": "read:{collectionId}",
    "GET /collections/{collectionId}/items/{featureId}": "read:{collectionId}",
    "GET /tileMatrixSets": "public",
    "GET /tileMatrixSets/{tileMatrixSetId}": "public",
    "GET /collections/{collectionId}/tiles": "read:{collectionId}",
    "GET /collections/{collectionId}/tiles/{tileMatrixSetId}": "read:{collectionId}",
    "GET /collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": (
        "read:{collectionId}"
    ),
    "GET /api/catalog": "list",
    "GET /api/search": "list",
    "GET /api/labels/{category}": "read:{category}",
    "GET /api/stations/{code}": "read:stations",
    "GET /api/stations/{code}/observations": "read:stations",
    "GET /api/stations/{code}/series": "read:stations",
    "GET /api/latest": "read:stations",
    "GET /sta/v1.1": "read:stations",
    "GET /sta/v1.1/{path}": "read:stations",
    "POST /api/ingest": "write:ingest",
    "GET /api/ingest/reports/{name}": "read:ingest",
    "GET /api/assessments": "read:assessments",
    "GET /api/assessments/periods": "read:assessments",
    "GET /api/assessments/history": "read:assessments",
    "GET /api/discharge": "read:assessments",
    "GET /api/alerts": "read:alerts",
    "POST /api/alerts/{alert_id}/ack": "write:alerts",
    "GET /api/reports/monthly": "read:reports",
    "GET /api/analysis/zonal": "read:analysis",
    "POST /api/analysis/zonal": "write_basin:analysis",
    "GET /api/analysis/cross": "read:analysis",
    "GET /api/analysis/cross/{name}": "read:analysis",
    "POST /api/analysis/cross/{name}": "write_basin:analysis",
    "GET /api/analysis/coverage": "read:analysis",
    "POST /api/analysis/coverage": "write_basin:analysis",
    "POST /api/analysis/steep-slopes": "write_basin:analysis",
    "GET /api/ledger/codes": "read:ledger",
    "GET /api/ledger/problems": "read:ledger",
    "POST /api/ledger/problems": "write:ledger",
    "GET /api/ledger/problems.geojson": "read:ledger",
    "GET /api/ledger/problems/{code}": "read:ledger",
    "POST /api/ledger/problems/{code}/transitions": "write:ledger",
    "POST /api/ledger/problems/{code}/photos": "write:ledger",
    "GET /api/ledger/problems/{code}/photos/{photo_id}": "read:ledger",
    "GET /api/ledger/overdue": "read:ledger",
    "GET /api/ledger/stats": "read:ledger",
    "GET /api/ledger/export.xlsx": "read:ledger",
    "GET /api/facilities": "read:facilities",
    "GET /api/facilities/proposals": "read:facilities",
    "POST /api/facilities/{code}/proposals": "write:facilities",
    "POST /api/facilities/proposals/{proposal_id}/approve": "write:facilities",
    "POST /api/facilities/proposals/{proposal_id}/reject": "write:facilities",
    "GET /api/compensation": "read:manage",
    "GET /api/warnings": "read:manage",
    "POST /api/warnings/check": "write:manage",
    "GET /api/gates": "read:manage",
    "GET /api/gates/flow": "read:manage",
    "POST /api/gates/flow": "write:manage",
    "POST /api/gates/fit": "write:manage",
}
#: The OpenAPI document lists each collection's items page as a path of its own.
PER_COLLECTION = re.compile(r"^GET /collections/(\w+)/items$")
#: Path parameters as the requests fill them: townships is hidden from Hebei (shared with Beijing).
FILL = {
    "collectionId": "townships",
    "category": "townships",
    "featureId": "x",
    "tileMatrixSetId": "WebMercatorQuad",
    "tileMatrix": "0",
    "tileRow": "0",
    "tileCol": "0",
    "code": "NW1",
    "path": "Things",
    "name": "nobody",
    "token_id": "999999",
    "alert_id": "999999",
    "proposal_id": "999999",
    "photo_id": "1",
}
#: Outcome per role: "ok" (the route ran; its own answer, never a refusal) or the refusal status.
ROLE = {label: (role, jur) for label, (_, role, jur) in USERS.items()}


def expected(kind: str, who: str) -> str | int:
    """What ``who`` gets for a route of ``kind`` in the test workspace (PUBLIC and SHARED of access_data)."""
    if kind in ("public", "list"):
        return "ok"
    if who == "anonymous":
        if kind.startswith("read:") and kind[5:] in PUBLIC:
            return "ok"
        resource = kind.partition(":")[2]
        return 404 if kind.startswith("read:") and resource in load_categories() else 401
    role, jur = ROLE[who]
    if kind == "account":
        return "ok"
    if kind == "admin":
        return "ok" if role == "admin" else 403
    action, _, resource = kind.partition(":")
    if action == "write" and role == "viewer":
        return 403
    if action == "write_basin" and not (role == "admin" or (role == "editor" and jur == "basin")):
        return 403
    seen = role == "admin" or jur == "basin" or resource in PUBLIC or jur in SHARED.get(resource, [jur])
    return "ok" if seen else 404


def _operations(app: Any) -> list[tuple[str, str, str]]:
    """(method, concrete path, kind) of every operation of the OpenAPI document and every hidden page."""
    ops: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for path, item in app.openapi()["paths"].items():
        for method in item:
            key = f"{method.upper()} {path}"
            seen.add(key)
            ops.append((method.upper(), path, _kind(key)))
    for method, path in _hidden_routes(app):
        if f"{method} {path}" not in seen:
            ops.append((method, path, _kind(f"{method} {path}")))
    return ops


def _hidden_routes(app: Any) -> list[tuple[str, str]]:
    """Routes left out of the OpenAPI document (pages, static files): they must be in the table too."""
    out: list[tuple[str, str]] = []

    def walk(routes: list[Any]) -> None:
        for r in routes:
            if hasattr(r, "effective_candidates"):
                walk(r.effective_candidates())
            elif getattr(r, "include_in_schema", True) is False and getattr(r, "methods", None):
                path = re.sub(r"{(\w+):\w+}", r"{\1}", r.path)
                out.extend((m, path) for m in sorted(r.methods - {"HEAD"}))

    walk(app.router.routes)
    return [(m, p) for m, p in out if p not in ("/docs/oauth2-redirect",)]


def _kind(key: str) -> str:
    if key in EXPECTED:
        return EXPECTED[key]
    m = PER_COLLECTION.match(key)
    if m and m.group(1) in load_categories():
        return f"read:{m.group(1)}"
    return "MISSING"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, dict[str, dict[str, str]]]:
    root: Path = tmp_path_factory.mktemp("matrix") / "ws"
    headers = access_workspace(root)
    return TestClient(create_app(root)), headers


def test_every_route_is_in_the_expectation_table(setup: tuple[TestClient, Any]) -> None:
    client, _ = setup
    missing = [f"{m} {p}" for m, p, kind in _operations(client.app) if kind == "MISSING"]
    assert not missing, f"routes with no expected access outcome (add them to EXPECTED): {missing}"
    assert len(_operations(client.app)) >= 100


@pytest.mark.parametrize("who", ROLES)
def test_access_matrix(setup: tuple[TestClient, dict[str, dict[str, str]]], who: str) -> None:
    client, headers = setup
    wrong = []
    for method, path, kind in _operations(client.app):
        if kind == "MISSING":
            continue
        kind = re.sub(r"{(\w+)}", lambda m: FILL[m.group(1)], kind)
        url = re.sub(r"{(\w+)}", lambda m: FILL[m.group(1)], path)
        r = client.request(method, url, headers=headers[who], json=None if method == "GET" else {})
        refused = r.headers.get("x-liuyu-access") == "refused"
        want = expected(kind, who)
        got: str | int = r.status_code if refused else "ok"
        if got != want or r.status_code >= 500:
            wrong.append(f"{method} {url}: want {want}, got {r.status_code} {r.text[:120]}")
    assert not wrong, f"{who}:\n" + "\n".join(wrong)
