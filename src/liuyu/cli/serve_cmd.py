"""`liuyu serve`: the HTTP API and the web map of one workspace, through uvicorn."""

from __future__ import annotations

import os
import re
from typing import Annotated

import typer

from liuyu.cli.options import WorkspaceOpt, console
from liuyu.workspace import ENV_VAR, open_workspace


def serve(
    ws_path: WorkspaceOpt = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on 监听地址 (0.0.0.0 for all interfaces)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port 端口")] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes 进程数. Each has its own store connection; on PostGIS they read and "
            "write in parallel, on a GeoPackage they read in parallel and writes take turns",
        ),
    ] = 1,
) -> None:
    """Serve the workspace 启动服务: OGC API Features and Tiles, the web map, Liuyu's routes."""
    import uvicorn

    # Open it once here so a wrong path or a broken store is a clear message, not a worker crash.
    with open_workspace(ws_path) as ws:
        root = ws.root
        title = f"{ws.config.basin.name} {ws.config.basin.name_en}".strip()
        location = ws.config.store.location
    # Every worker process builds its own app from the factory and finds the workspace here.
    os.environ[ENV_VAR] = str(root)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}"
    console.print(f"流域 Liuyu — {title} ({root})", highlight=False)
    console.print(f"  接口 API (OGC API Features):  {url}/", highlight=False)
    console.print(f"  地图 Web map:                 {url}/map", highlight=False)
    console.print(f"  文档 API documentation:       {url}/api.html", highlight=False)
    console.print(f"  存储 Store:                   {_store_line(location, workers)}", highlight=False)
    console.print("按 Ctrl+C 停止 Press Ctrl+C to stop.", highlight=False)
    uvicorn.run(
        "liuyu.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def _store_line(location: str, workers: int) -> str:
    """Which store the workers share, its password hidden, and what several workers mean for it."""
    if location.startswith(("postgresql://", "postgres://")):
        shown = re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", location)
        return f"PostGIS {shown} ({workers} 进程 workers)"
    if workers == 1:
        return f"GeoPackage {location}"
    return (
        f"GeoPackage {location} ({workers} 进程并行读取，写入依次进行 "
        f"{workers} workers read in parallel, writes take turns)"
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
