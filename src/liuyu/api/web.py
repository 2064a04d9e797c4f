"""The web map: the page at /map, our files at /static, and the npm packages' files at /vendor.

MapLibre GL JS and Apache ECharts come from the npm registry at install time
(``npm ci --prefix src/liuyu/web``, pinned by package-lock.json); nothing is fetched from a CDN.
Only the few distribution files the map loads are served from node_modules, by name.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from liuyu.api.app import ogc_exception

router = APIRouter(include_in_schema=False)

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
STATIC_DIR = WEB_DIR / "static"
#: Where ``npm ci --prefix src/liuyu/web`` puts the packages; $LIUYU_NODE_MODULES overrides it
#: (for an installation that is not a source checkout).
NODE_MODULES_ENV = "LIUYU_NODE_MODULES"

#: The only files /vendor serves: URL path -> path inside node_modules.
VENDOR_FILES = {
    "maplibre-gl/maplibre-gl.mjs": "maplibre-gl/dist/maplibre-gl.mjs",
    "maplibre-gl/maplibre-gl-worker.mjs": "maplibre-gl/dist/maplibre-gl-worker.mjs",
    "maplibre-gl/maplibre-gl.css": "maplibre-gl/dist/maplibre-gl.css",
    "echarts/echarts.esm.min.mjs": "echarts/dist/echarts.esm.min.mjs",
    "echarts/echarts.min.js": "echarts/dist/echarts.min.js",
}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
#: Vendor files change only with package-lock.json; our own files may change with every edit.
VENDOR_CACHE = "public, max-age=86400"
STATIC_CACHE = "no-cache"

MISSING_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>地图未安装 · Map not installed</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44em;margin:4em auto;line-height:1.6;color:#222}}
code{{background:#f2f2f2;padding:.1em .4em}}</style></head><body>
<h1>地图前端尚未安装 · The map front end is not installed</h1>
<p>地图所需的 MapLibre GL JS 和 ECharts 在安装时从 npm 仓库获取。请在 Liuyu 源码目录中运行：</p>
<p>MapLibre GL JS and ECharts are installed from the npm registry at set-up time. In the Liuyu
source folder, run:</p>
<p><code>npm ci --prefix src/liuyu/web</code></p>
<p>然后刷新本页。Then reload this page. (Looked in <code>{where}</code>; set
<code>${env}</code> to point elsewhere.)</p>
</body></html>
"""


def node_modules() -> Path:
    """The node_modules folder the vendor files are served from."""
    override = os.environ.get(NODE_MODULES_ENV)
    return Path(override) if override else WEB_DIR / "node_modules"


def front_end_installed() -> bool:
    """True when every vendor file the map needs is on disk."""
    root = node_modules()
    return all((root / rel).is_file() for rel in VENDOR_FILES.values())


def _file(path: Path, cache: str) -> FileResponse:
    media = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    return FileResponse(path, media_type=media, headers={"Cache-Control": cache})


@router.get("/map")
def map_page() -> Response:
    """The web map (503 with instructions when the npm packages are not installed)."""
    if not front_end_installed():
        page = MISSING_PAGE.format(where=node_modules(), env=NODE_MODULES_ENV)
        return HTMLResponse(page, status_code=503)
    return _file(STATIC_DIR / "map.html", STATIC_CACHE)


@router.get("/static/{path:path}")
def static_file(path: str) -> Response:
    """One of the map's own files; nothing outside the static folder."""
    root = STATIC_DIR.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        return ogc_exception(404, f"no static file {path!r}")
    return _file(target, STATIC_CACHE)


@router.get("/vendor/{path:path}")
def vendor_file(path: str) -> Response:
    """One of the listed distribution files of the npm packages."""
    rel = VENDOR_FILES.get(path)
    if rel is None:
        return ogc_exception(404, f"no vendor file {path!r}", f"served: {', '.join(sorted(VENDOR_FILES))}")
    target = node_modules() / rel
    if not target.is_file():
        return ogc_exception(404, f"{path} is not installed", "run `npm ci --prefix src/liuyu/web`")
    return _file(target, VENDOR_CACHE)
