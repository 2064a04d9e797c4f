"""The web map's files: the page, our static files, the npm packages' files, and what is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import liuyu
from liuyu.api import create_app
from liuyu.api.web import NODE_MODULES_ENV, VENDOR_FILES, front_end_installed

needs_npm = pytest.mark.skipif(
    not front_end_installed(), reason="run `npm ci --prefix src/liuyu/web` (scripts/test.sh does)"
)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    root = tmp_path_factory.mktemp("web") / "ws"
    liuyu.init(root).close()
    return TestClient(create_app(root))


@needs_npm
def test_map_page_loads_our_module_and_the_vendor_files(client: TestClient) -> None:
    res = client.get("/map")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="static/map.js">' in res.text
    assert 'href="vendor/maplibre-gl/maplibre-gl.css"' in res.text
    js = client.get("/static/map.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert 'from "../vendor/maplibre-gl/maplibre-gl.mjs"' in js.text


@needs_npm
@pytest.mark.parametrize("path", sorted(VENDOR_FILES))
def test_vendor_files(client: TestClient, path: str) -> None:
    res = client.get(f"/vendor/{path}")
    assert res.status_code == 200
    kind = "text/css" if path.endswith(".css") else "text/javascript"
    assert res.headers["content-type"].startswith(kind)
    assert "max-age" in res.headers["cache-control"]


@pytest.mark.parametrize(
    "url",
    [
        "/static/../api/web.py",
        "/static/%2e%2e/%2e%2e/api/app.py",
        "/static/..%2f..%2fapi%2fapp.py",
        "/static/nothing.js",
        "/vendor/maplibre-gl/package.json",
        "/vendor/..%2f..%2fpackage.json",
        "/vendor/maplibre-gl/dist/maplibre-gl.mjs",
    ],
)
def test_refuses_anything_else(client: TestClient, url: str) -> None:
    res = client.get(url)
    assert res.status_code == 404
    assert "def " not in res.text and '"dependencies"' not in res.text


def test_map_says_how_to_install_the_front_end(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NODE_MODULES_ENV, str(tmp_path / "node_modules"))
    res = client.get("/map")
    assert res.status_code == 503
    assert "npm ci --prefix src/liuyu/web" in res.text
    assert "地图前端尚未安装" in res.text and "not installed" in res.text
    assert client.get("/vendor/echarts/echarts.esm.min.mjs").status_code == 404
