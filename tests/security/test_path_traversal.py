"""Path traversal through every path-like parameter: static and vendor files, ingest report names,
ledger problems and photo ids, tiles, labels, stations, analyses and SensorThings paths.

A secret file lies next to the workspace and the workspace's own liuyu.toml is within reach of
``..``: no answer may be 2xx with either's content, nor a server error.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sec_data import assert_safe

from conftest import township_frame
from liuyu.api.app import create_app

OUTSIDE = "OUTSIDE-SECRET-9c4f"

TRAVERSALS = [
    "../liuyu.toml",
    "../../liuyu.toml",
    "../../../../../../etc/passwd",
    "..%2F..%2Fliuyu.toml",  # sent encoded twice: the route sees %2F
    "%2e%2e/%2e%2e/liuyu.toml",
    "....//....//liuyu.toml",
    "..\\..\\liuyu.toml",
    "/etc/passwd",
    "//etc/passwd",
    "C:\\Windows\\win.ini",
    "~/.bashrc",
    "../secret.txt",
    "../../secret.txt",
    ".",
    "..",
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Path, dict[str, str]]]:
    import liuyu

    base = tmp_path_factory.mktemp("traversal")
    (base / "secret.txt").write_text(OUTSIDE)
    ws = liuyu.init(base / "ws", basin_name="测试流域", basin_name_en="Test basin")
    ws.write_layer("townships", township_frame(4))
    root = ws.root
    ws.close()
    client = TestClient(create_app(root))
    buf = io.BytesIO()
    township_frame(4).to_file(buf, driver="GeoJSON")
    report = client.post(
        "/api/ingest", files={"file": ("t.geojson", buf.getvalue())}, data={"category": "townships"}
    )
    assert report.status_code in (200, 201), report.text
    problem = client.post(
        "/api/ledger/problems",
        json={
            "title": "t",
            "source": "inspection",
            "category": "illegal_dumping",
            "longitude": 117,
            "latitude": 40.5,
        },
    )
    assert problem.status_code == 201, problem.text
    known = {"report": report.json()["ingest_id"], "problem": problem.json()["code"]}
    yield client, root, known


def assert_not_served(r: Any, what: str, root: Path) -> None:
    """No server error, and neither the secret beside the workspace nor liuyu.toml in the answer."""
    assert_safe(r, what)
    assert OUTSIDE not in r.text and "[basin]" not in r.text, what
    assert "[basin]" in (root / "liuyu.toml").read_text(encoding="utf-8")  # what a leak would show


def urls(p: str, known: dict[str, str]) -> list[str]:
    """Every path-like parameter with ``p`` in it (one path segment, slashes encoded)."""
    seg = quote(p, safe="").replace(".", "%2E")  # (else the client itself resolves a bare '..')
    return [
        f"/static/{seg}",
        f"/vendor/{seg}",
        f"/api/ingest/reports/{seg}",
        f"/api/ingest/reports/{seg}.html",
        f"/api/ledger/problems/{seg}",
        f"/api/ledger/problems/{seg}/photos/1",
        f"/api/ledger/problems/{known['problem']}/photos/{seg}",
        f"/collections/{seg}/tiles/WebMercatorQuad/8/96/211",
        f"/collections/townships/tiles/{seg}/8/96/211",
        f"/collections/townships/tiles/WebMercatorQuad/{seg}/96/211",
        f"/collections/townships/tiles/WebMercatorQuad/8/{seg}/211",
        f"/collections/townships/tiles/WebMercatorQuad/8/96/{seg}",
        f"/collections/{seg}",
        f"/collections/townships/items/{seg}",
        f"/tileMatrixSets/{seg}",
        f"/api/labels/{seg}",
        f"/api/stations/{seg}",
        f"/api/stations/{seg}/series",
        f"/api/analysis/cross/{seg}",
        f"/sta/v1.1/{seg}",
        f"/api/reports/monthly?month={seg}",
    ]


@pytest.mark.parametrize("p", TRAVERSALS)
def test_encoded_traversal_in_every_path_parameter(api, p):
    client, root, known = api
    for url in urls(p, known):
        r = client.get(url)
        assert_not_served(r, url, root)
        assert r.status_code in (400, 404, 422), (url, r.status_code)


@pytest.mark.parametrize("p", [t for t in TRAVERSALS if "/" in t])
def test_raw_slashes_in_catch_all_paths(api, p):
    """The ``{path:path}`` routes get the traversal with its slashes as the path's own segments."""
    client, root, _ = api
    raw = quote(p, safe="/").replace(".", "%2E")
    for url in (f"/static/{raw}", f"/vendor/{raw}", f"/sta/v1.1/{raw}", f"/sta/v1.1/Things/{raw}"):
        r = client.get(url)
        assert_not_served(r, url, root)
        assert r.status_code in (400, 404, 422), (url, r.status_code)


def test_the_routes_do_serve_their_own_files(api):
    """The traversal checks can fail: the same routes answer 200 for what they are meant to serve."""
    client, _, known = api
    assert client.get("/static/map.js").status_code == 200
    assert client.get(f"/api/ingest/reports/{known['report']}").status_code == 200
    assert client.get(f"/api/ledger/problems/{known['problem']}").status_code == 200
    assert client.get("/collections/townships/tiles/WebMercatorQuad/8/96/211").status_code in (200, 204)


def test_a_photo_name_cannot_place_the_file(api):
    client, root, known = api
    jpeg = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
    r = client.post(
        f"/api/ledger/problems/{known['problem']}/photos",
        files={"file": ("../../../../escaped.jpg", jpeg, "image/jpeg")},
    )
    assert r.status_code in (201, 400), r.text
    assert not list(root.parent.rglob("escaped.jpg"))
    if r.status_code == 201:
        assert "/" not in (r.json().get("label") or r.json().get("filename") or "")


@pytest.mark.slow
def test_raw_request_lines_to_a_real_server(api):
    """Through uvicorn, with request targets no client library would normalise first."""
    import http.client
    from urllib.parse import urlsplit

    from live_server import liuyu_serve

    _, root, known = api
    targets = [
        "/static/../../liuyu.toml",
        "/static/../../../secret.txt",
        "/static/%2e%2e/%2e%2e/liuyu.toml",
        "/vendor/../../../../etc/passwd",
        "/sta/v1.1/../../liuyu.toml",
        f"/api/ingest/reports/../../{known['report']}",
        "/api/ingest/reports/..%2f..%2fliuyu.toml",
        "/collections/townships/tiles/WebMercatorQuad/../../../liuyu.toml",
        "/static//etc/passwd",
        "/static/%5c..%5c..%5cliuyu.toml",
    ]
    with liuyu_serve(root) as url:
        where = urlsplit(url)
        for target in targets:
            conn = http.client.HTTPConnection(where.hostname, where.port, timeout=10)
            conn.putrequest("GET", target, skip_host=False, skip_accept_encoding=True)
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read().decode("utf-8", errors="replace")
            conn.close()
            assert resp.status < 500, (target, resp.status, body[:200])
            assert OUTSIDE not in body and "[basin]" not in body and "root:x:0:0" not in body, target
            assert resp.status in (400, 404), (target, resp.status)
